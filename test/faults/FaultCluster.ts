import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { connect, type Pool } from '../../src/sdk/index.ts';
import { startDrover, stopProcess } from '../integration/ProcessCluster.ts';

/** A free loopback port (bind 0, read, close): the coordinator must come back on the same one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface FaultClusterOptions {
  /** Lease of a silent agent session, ms. */
  leaseMs?: number;
  /** How long a lost agent's attempts wait for it to come back, ms. */
  agentGraceMs?: number;
}

/**
 * A coordinator on a fixed port with a data dir, and agents, all separate processes, that a test can
 * kill -9, stop, continue and restart.
 */
export class FaultCluster {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'drover-faults-'));
  readonly agents = new Map<string, ChildProcess>();
  coordinator: ChildProcess | undefined;
  address = '';
  readonly #options: FaultClusterOptions;
  #agentSerial = 0;

  constructor(options: FaultClusterOptions = {}) {
    this.#options = options;
  }

  async startCoordinator(): Promise<void> {
    if (!this.address) this.address = `127.0.0.1:${await freePort()}`;
    const args = ['coordinator', '--listen', this.address, '--data', this.dataDir];
    if (this.#options.leaseMs !== undefined) args.push('--lease-ms', String(this.#options.leaseMs));
    if (this.#options.agentGraceMs !== undefined) args.push('--agent-grace-ms', String(this.#options.agentGraceMs));
    const { child } = await startDrover(args, /listening on/);
    this.coordinator = child;
  }

  /** kill -9 the coordinator (no shutdown of any kind). */
  async killCoordinator(): Promise<void> {
    const c = this.coordinator!;
    c.kill('SIGKILL');
    await new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once('exit', resolve)));
  }

  async startAgent(processes = 1): Promise<string> {
    const name = `agent-${++this.#agentSerial}`;
    const { child } = await startDrover(['agent', '--coordinator', this.address, '--processes', String(processes), '--name', name], /connected/);
    this.agents.set(name, child);
    return name;
  }

  /** kill -9 an agent: its workers lose their IPC channel and exit too. */
  async killAgent(name: string): Promise<void> {
    const a = this.agents.get(name)!;
    this.agents.delete(name);
    a.kill('SIGKILL');
    await new Promise((resolve) => (a.exitCode !== null || a.signalCode !== null ? resolve(null) : a.once('exit', resolve)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => {
      a.kill('SIGCONT');
      return stopProcess(a, 5000);
    }));
    this.agents.clear();
    if (this.coordinator) await stopProcess(this.coordinator, 5000);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Every value exactly once: sorted multiset comparison that names what was lost or duplicated. */
export function multisetDiff(got: number[], expected: number[]): { lost: number[]; duplicated: number[] } {
  const counts = new Map<number, number>();
  for (const v of got) counts.set(v, (counts.get(v) ?? 0) + 1);
  const lost: number[] = [];
  const duplicated: number[] = [];
  for (const v of expected) {
    const c = counts.get(v) ?? 0;
    if (c === 0) lost.push(v);
    else if (c > 1) duplicated.push(v);
    counts.delete(v);
  }
  // Values nobody expected count as duplicates of nothing: report them too.
  for (const [v] of counts) duplicated.push(v);
  return { lost, duplicated };
}

/**
 * For one test file: a {@link FaultCluster} with `agents` agents and a pool connected to it (and the
 * fixture tasks loaded), torn down after the file. Read `pool` and `tasks` inside tests.
 */
export function useFaultPool(options: FaultClusterOptions, agents: number): {
  readonly cluster: FaultCluster;
  readonly pool: Pool;
  readonly tasks: typeof import('../fixtures/tasks.ts');
} {
  const cluster = new FaultCluster(options);
  const state = { cluster } as { cluster: FaultCluster; pool: Pool; tasks: typeof import('../fixtures/tasks.ts') };
  beforeAll(async () => {
    await cluster.startCoordinator();
    await Promise.all(Array.from({ length: agents }, () => cluster.startAgent()));
    state.pool = await connect({ address: cluster.address });
    state.tasks = await state.pool.load(new URL('../fixtures/tasks.ts', import.meta.url));
  });
  afterAll(async () => {
    await state.pool?.close();
    await cluster.stop();
  });
  return state;
}
