import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/index.ts';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { type AgentsStream, type pb } from '../../../src/protocol/index.ts';
import { connect } from '../../../src/sdk/index.ts';
import { waitFor } from './fakes.ts';

const silent = pino({ level: 'silent' });
const clientToken = randomBytes(16).toString('hex');
const agentToken = randomBytes(16).toString('hex');
const capacity: pb.Capacity = {
  cpus: 1, memoryMb: 1024, slots: 1, sumoVersion: '', sumoHome: '', labels: {}, resources: {}, hostname: 'h', platform: 'linux',
  nodeVersion: process.version, sumoTools: false, sumoTraci: false, sumoLibsumo: false,
};

let coordinator: Coordinator;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'drover-inprocess-'));
  coordinator = new Coordinator({
    listen: '127.0.0.1:0', logger: silent,
    tokens: [{ role: 'client', principal: 'c', token: clientToken }, { role: 'agent', principal: 'local-agent', token: agentToken }],
  });
  await coordinator.start();
});
afterEach(async () => {
  await coordinator.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The `Register` message an agent named `name` opens its session with. */
function register(name: string): pb.AgentMessage {
  return { msg: { $case: 'register', value: { name, capacity, version: 'test', runningAttemptIds: [], acksWithAssign: false } } };
}

/** Collects what arrives on the agent's end of a stream, and how it ended. */
function record(stream: AgentsStream) {
  const got = { messages: [] as pb.CoordinatorMessage[], error: undefined as grpc.ServiceError | undefined, ended: false, status: undefined as grpc.StatusObject | undefined };
  stream.on('data', (m) => got.messages.push(m));
  stream.on('error', (e) => (got.error = e));
  stream.on('end', () => (got.ended = true));
  stream.once('status', (s) => (got.status = s));
  return got;
}

/** An in-process stream whose agent `name` has registered, with what arrives on it recorded. */
async function registeredStream(name: string, label = 'registered') {
  const stream = coordinator.openAgentStream('local-agent');
  const got = record(stream);
  stream.write(register(name));
  await waitFor(() => got.messages.some((m) => m.msg?.$case === 'registered'), label);
  return { stream, got };
}

describe('an agent beside its coordinator, on an in-process stream', () => {
  it('runs a job through worker processes exactly as over gRPC, with blob calls still on the network', async () => {
    let opened = 0;
    const agent = new Agent({
      coordinator: coordinator.address, token: agentToken, processes: 2, cacheDir: join(dir, 'cache'), workDir: join(dir, 'work'), logger: silent,
      connectStream: () => {
        opened += 1;
        return coordinator.openAgentStream('local-agent');
      },
    });
    await agent.start();
    const pool = await connect({ address: coordinator.address, token: clientToken });
    try {
      const tasks = await pool.load<typeof import('../../fixtures/tasks.ts')>(new URL('../../fixtures/tasks.ts', import.meta.url));
      const xs = Array.from({ length: 300 }, (_, i) => i);
      expect(await pool.map(tasks.square, xs, { chunksize: 1 })).toEqual(xs.map((x) => x * x));
      expect(await pool.apply(tasks.add, 2, 3)).toBe(5);
      expect(opened).toBe(1);
      await waitFor(() => agent.unacknowledged === 0, 'every result acknowledged');
    } finally {
      await pool.close();
      await agent.stop();
    }
  });

  it('validates what the agent sends as the network service does', async () => {
    const stream = coordinator.openAgentStream('local-agent');
    const bad = record(stream);
    stream.write({ msg: { $case: 'credit', value: { tasks: 1 } } });
    await waitFor(() => bad.status !== undefined, 'refused');
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.error?.details).toMatch(/first message .* must be "register"/);
    expect(bad.status?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.messages).toEqual([]);
  });

  it('ends the session when the agent half-closes, and answers the end', async () => {
    const { stream, got } = await registeredStream('beside');
    stream.end();
    await waitFor(() => got.status !== undefined, 'status');
    expect(got.ended).toBe(true);
    expect(got.status?.code).toBe(grpc.status.OK);
    // Writes after the end go nowhere.
    expect(stream.write({ msg: { $case: 'heartbeat', value: { running: 0, queued: 0 } } })).toBe(true);
  });

  it('ends live streams with UNAVAILABLE when the coordinator stops, and refuses new ones after', async () => {
    const { stream, got } = await registeredStream('beside');
    await coordinator.stop();
    await waitFor(() => got.status !== undefined, 'status');
    expect(got.error?.code).toBe(grpc.status.UNAVAILABLE);

    const late = coordinator.openAgentStream('local-agent');
    const refused = record(late);
    late.write(register('late'));
    await waitFor(() => refused.status !== undefined, 'refused');
    expect(refused.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('tells the service when the agent cancels', async () => {
    const { stream, got } = await registeredStream('beside');
    stream.cancel();
    expect(got.error?.code).toBe(grpc.status.CANCELLED);
    // The name is free again: the session is gone (a live one of another principal would be refused, not this).
    const { stream: again, got: next } = await registeredStream('beside', 'registered again');
    again.end();
  });
});
