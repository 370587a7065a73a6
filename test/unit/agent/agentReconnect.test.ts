import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/index.ts';
import { ConnectionError, decodeValue, encodeValue, pb } from '../../../src/protocol/index.ts';
import { FakeCoordinator } from './fakeCoordinator.ts';
import { BUNDLE_SOURCE } from './poolHarness.ts';

/** Worker processes this test process has now. */
function workerChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('workerMain'));
}

function sleepTask(digest: string, attemptId: string, ms: number): pb.Assignment {
  return {
    attemptId,
    jobId: 'j',
    seq: 0,
    attempt: 1,
    function: { bundleDigest: digest, exportName: 'sleep' },
    payload: Buffer.from(encodeValue([[ms]])),
    items: 1,
    timeoutMs: 0,
    slots: 1,
    firstIndex: 0,
    resultWaitMs: 0,
  };
}

describe('Agent connection lifecycle', () => {
  let coord: FakeCoordinator | undefined;
  let agent: Agent | undefined;
  let cacheDir: string | undefined;
  const logger = pino({ level: 'silent' });
  afterEach(async () => {
    await agent?.stop();
    await coord?.stop();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
    agent = coord = cacheDir = undefined;
  });
  const setup = async (processes: number) => {
    coord = await FakeCoordinator.start();
    cacheDir = await mkdtemp(join(os.tmpdir(), 'drover-agent-test-'));
    agent = new Agent({ coordinator: coord.address, processes, prefetch: 0, cacheDir, logger });
    await agent.start();
    return { c: coord, a: agent, digest: coord.putBlob(BUNDLE_SOURCE) };
  };

  it('rejects start() with a ConnectionError when no coordinator answers, leaving no worker behind', async () => {
    const a = new Agent({ coordinator: '127.0.0.1:1', processes: 1, connectTimeoutMs: 700, logger });
    const started = Date.now();
    const err = await a.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(workerChildren()).toEqual([]);
    await a.stop();
  });

  it('rejects start() when the coordinator accepts the stream but never answers the registration', async () => {
    const server = new grpc.Server();
    server.addService(pb.AgentsService, { connect: () => {} } satisfies pb.AgentsServer);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    try {
      const a = new Agent({ coordinator: `127.0.0.1:${port}`, processes: 1, connectTimeoutMs: 800, logger });
      const started = Date.now();
      await expect(a.start()).rejects.toThrow(/registered/);
      expect(Date.now() - started).toBeLessThan(4000);
      expect(workerChildren()).toEqual([]);
      await a.stop();
    } finally {
      server.forceShutdown();
    }
  });

  it('reconnects after the stream breaks, keeps running tasks and reports them on the new session', async () => {
    const { c, digest } = await setup(2);
    const first = c.last;
    await c.until(() => c.credit(first) === 2);
    c.send(first, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [sleepTask(digest, 'long', 600)] } });
    await new Promise((r) => setTimeout(r, 150));
    c.drop(first);
    await c.until(() => c.sessions.length === 2 && c.last.register !== undefined, 8000);
    const second = c.last;
    expect(second.register?.name).toBe(first.register?.name);
    // One slot is still busy with the old session's task: only the free one is credited at first.
    await c.until(() => c.of(second, 'credit').length > 0);
    expect(c.of(second, 'heartbeat')[0]).toEqual({ running: 1, queued: 0 });
    expect(c.of(second, 'credit')[0].tasks).toBe(1);
    await c.until(() => c.results(second).has('long'));
    expect(decodeValue(c.results(second).get('long')!.outcome!.value as Uint8Array)).toEqual([undefined]);
    await c.until(() => c.credit(second) === 2);
  });

  it('stop({ drain: true }) lets a running task finish and delivers its result first', async () => {
    const { c, a, digest } = await setup(1);
    const s = c.last;
    await c.until(() => c.credit(s) === 1);
    c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [sleepTask(digest, 'drained', 300)] } });
    await new Promise((r) => setTimeout(r, 100));
    await a.stop({ drain: true });
    expect(workerChildren()).toEqual([]);
    expect(c.results(s).get('drained')?.outcome?.$case).toBe('value');
    // Draining granted no new credit for the finished task.
    expect(c.credit(s)).toBe(1);
    await c.until(() => s.ended);
  });

  it('stop() without drain kills the running task at once and reports nothing', async () => {
    const { c, a, digest } = await setup(1);
    const s = c.last;
    await c.until(() => c.credit(s) === 1);
    c.send(s, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [sleepTask(digest, 'killed', 5000)] } });
    await new Promise((r) => setTimeout(r, 150));
    const started = Date.now();
    await a.stop();
    expect(Date.now() - started).toBeLessThan(2500);
    expect(workerChildren()).toEqual([]);
    expect(c.results(s).has('killed')).toBe(false);
  });
});
