// Fair share across jobs, with real processes: a coordinator, one agent with 2 worker processes, and
// two clients — A in this process, B in a child process. A submits 20,000 short tasks first (all of
// them queued at the coordinator at once), then B submits 10: B's must not wait behind A's.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, connect, type Pool } from '../../../src/sdk/index.ts';
import { ProcessCluster, stopProcess } from '../ProcessCluster.ts';

type Tasks = typeof import('../../fixtures/tasks.ts');

const A_TASKS = 20_000;
const clientB = fileURLToPath(new URL('./fairShareClient.ts', import.meta.url));

let cluster: ProcessCluster;
let poolA: Pool;
let child: ChildProcess | undefined;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ agents: 1, processes: 2 });
  poolA = await connect({ address: cluster.address });
});

afterAll(async () => {
  if (child) await stopProcess(child, 2000);
  await poolA?.terminate();
  await cluster?.stop();
});

/** Runs client B in its own process; resolves with what it printed and how far A had got by then. */
function runClientB(address: string, completedA: () => number): Promise<{ results: number[]; ms: number; aAtReady: number; aAtDone: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [clientB, address], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DROVER_LOG_LEVEL: 'warn' },
    });
    child = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let aAtReady = -1;
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        aAtReady = completedA();
        return;
      }
      if (!line.startsWith('{')) return;
      const aAtDone = completedA();
      const { results, ms } = JSON.parse(line) as { results: number[]; ms: number };
      resolve({ results, ms, aAtReady, aAtDone });
    });
    proc.once('exit', (code, signal) => reject(new Error(`client B exited (${code ?? signal}) without its results:\n${stderr}`)));
  });
}

describe('fair share across jobs (real processes)', () => {
  it('serves a job of 10 tasks submitted later long before a job of 20,000 submitted first', async () => {
    const tasks = await poolA.load<Tasks>(new URL('../../fixtures/tasks.ts', import.meta.url));
    let completedA = 0;
    // A window as large as the job: all of A's tasks wait at the coordinator before B arrives, so a
    // first-come-first-served queue would make B wait for the whole of A.
    const jobA = poolA.mapAsync(tasks.sleep, Array.from({ length: A_TASKS }, () => 2), {
      chunksize: 1,
      window: A_TASKS,
      onProgress: (event) => (completedA = event.completed),
    });
    const aDone = jobA.result().then(
      () => 'completed',
      (error: unknown) => (error instanceof CancelledError ? 'cancelled' : Promise.reject(error)),
    );
    const t0 = Date.now();
    while (completedA < 200) {
      if (Date.now() - t0 > 30_000) throw new Error(`job A did not get going (${completedA} results in 30 s)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const b = await runClientB(cluster.address, () => completedA);
    expect(b.results).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    // B's 10 results arrived while A had done less than a third of its tasks …
    expect(b.aAtDone).toBeLessThan(A_TASKS / 3);
    // … and B's map itself took a small fraction of A's run: A's tasks done meanwhile are few.
    expect(b.aAtDone - b.aAtReady).toBeLessThan(A_TASKS / 10);
    console.log(`fair share: B's 10 tasks took ${b.ms} ms; A completed ${b.aAtReady} → ${b.aAtDone} of ${A_TASKS} meanwhile`);

    await jobA.cancel();
    expect(await aDone).toBe('cancelled');
  });
});
