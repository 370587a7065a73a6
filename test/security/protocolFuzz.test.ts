// Property-based fuzzing of the wire: arbitrary bytes — and arbitrary well-formed messages — sent to
// every method of a live coordinator. Each call ends with a deliberate status (never INTERNAL or
// UNKNOWN, which would mean a handler threw), and afterwards the coordinator still serves an honest
// client.
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb } from '../../src/protocol/index.ts';
import { HostileCluster } from './HostileCluster.ts';

let cluster: HostileCluster;
let client: grpc.Client;

beforeAll(async () => {
  cluster = await HostileCluster.start({ limits: { streamOpenTimeoutMs: 2000 } });
  client = cluster.raw();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const bytes = (b: Buffer): Buffer => b;
const DELIBERATE = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ALREADY_EXISTS, grpc.status.DEADLINE_EXCEEDED]);

const STREAMING = ['/drover.v1.Jobs/Run', '/drover.v1.Agents/Connect', '/drover.v1.Blobs/Put'] as const;
const UNARY = ['/drover.v1.Jobs/Get', '/drover.v1.Jobs/Cancel', '/drover.v1.Jobs/List', '/drover.v1.Blobs/Has', '/drover.v1.Admin/Stats', '/drover.v1.Admin/ListAgents'] as const;

/** Sends `frames` on `method` (half-closing after them) and resolves with the status. */
function send(method: string, frames: Buffer[]): Promise<grpc.StatusObject> {
  return new Promise((resolve) => {
    if ((UNARY as readonly string[]).includes(method)) {
      client.makeUnaryRequest(method, bytes, bytes, frames[0] ?? Buffer.alloc(0), { deadline: Date.now() + 10_000 }, (error) =>
        resolve(error ? { code: error.code, details: error.details, metadata: error.metadata } : { code: grpc.status.OK, details: '', metadata: new grpc.Metadata() }),
      );
      return;
    }
    if (method === '/drover.v1.Blobs/Get') {
      const call = client.makeServerStreamRequest(method, bytes, bytes, frames[0] ?? Buffer.alloc(0), { deadline: Date.now() + 10_000 });
      call.on('data', () => {});
      call.on('error', () => {});
      call.on('status', resolve);
      return;
    }
    const call = method === '/drover.v1.Blobs/Put'
      ? client.makeClientStreamRequest(method, bytes, bytes, { deadline: Date.now() + 10_000 }, () => {})
      : client.makeBidiStreamRequest(method, bytes, bytes, { deadline: Date.now() + 10_000 });
    call.on('error', () => {});
    call.on('status', resolve);
    if ('on' in call) (call as NodeJS.EventEmitter).on('data', () => {});
    for (const frame of frames) call.write(frame);
    call.end();
  });
}

const method = fc.constantFrom(...STREAMING, ...UNARY, '/drover.v1.Blobs/Get');
const frames = fc.array(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), { minLength: 1, maxLength: 4 });

/** Well-formed messages with arbitrary field values, for the streaming methods. */
const jobRequest = fc.oneof(
  fc.record({ digest: fc.string(), exportName: fc.string(), name: fc.string(), jobId: fc.string(), timeoutMs: fc.nat(), retries: fc.nat(), wait: fc.nat(), batch: fc.nat(), cpus: fc.nat(), labels: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }) }).map((o) =>
    pb.JobRequest.encode({ msg: { $case: 'open', value: { function: { bundleDigest: o.digest, exportName: o.exportName }, name: o.name, requires: { cpus: o.cpus, memoryMb: 0, sumo: '', labels: o.labels, resources: {} }, timeoutMs: o.timeoutMs, retries: o.retries, retryOnError: false, jobId: o.jobId, unschedulableWaitMs: o.wait, resultsBatchMax: o.batch } } }).finish()),
  fc.record({ seq: fc.nat(), items: fc.nat(), firstIndex: fc.nat(), payload: fc.uint8Array({ maxLength: 32 }) }).map((t) =>
    pb.JobRequest.encode({ msg: { $case: 'inputs', value: { tasks: [{ seq: t.seq, items: t.items, firstIndex: t.firstIndex, payload: Buffer.from(t.payload) }] } } }).finish()),
  fc.record({ jobId: fc.string(), afterRseq: fc.nat() }).map((a) => pb.JobRequest.encode({ msg: { $case: 'attach', value: a } }).finish()),
  fc.nat().map((n) => pb.JobRequest.encode({ msg: { $case: 'inputEnd', value: { totalTasks: n } } }).finish()),
);
const agentMessage = fc.oneof(
  fc.record({ name: fc.string(), slots: fc.nat(), cpus: fc.double(), memoryMb: fc.nat(), labels: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), running: fc.array(fc.string(), { maxLength: 3 }) }).map((r) =>
    pb.AgentMessage.encode({ msg: { $case: 'register', value: { acksWithAssign: false, name: r.name, version: '', runningAttemptIds: r.running, capacity: { cpus: r.cpus, memoryMb: r.memoryMb, slots: r.slots, sumoVersion: '', sumoHome: '', labels: r.labels, resources: {}, hostname: '', platform: '', nodeVersion: '', sumoTools: false, sumoTraci: false, sumoLibsumo: false } } } }).finish()),
  fc.record({ attemptId: fc.string(), value: fc.uint8Array({ maxLength: 32 }) }).map((r) =>
    pb.AgentMessage.encode({ msg: { $case: 'results', value: { results: [{ attemptId: r.attemptId, outcome: { $case: 'value', value: Buffer.from(r.value) }, worker: '', durationMs: 0 }], credit: 0 } } }).finish()),
  fc.nat().map((n) => pb.AgentMessage.encode({ msg: { $case: 'credit', value: { tasks: n } } }).finish()),
);

describe('the wire, fuzzed', () => {
  it('answers arbitrary bytes on every method with a deliberate status', async () => {
    await fc.assert(
      fc.asyncProperty(method, frames, async (m, f) => {
        const status = await send(m, f);
        expect(DELIBERATE, `${m}: ${grpc.status[status.code]} ${status.details}`).toContain(status.code);
      }),
      { numRuns: 300 },
    );
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  }, 120_000);

  it('answers well-formed messages with arbitrary values with a deliberate status', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jobRequest, { minLength: 1, maxLength: 4 }), fc.array(agentMessage, { minLength: 1, maxLength: 3 }), async (jobFrames, agentFrames) => {
        const [run, connect] = await Promise.all([
          send('/drover.v1.Jobs/Run', jobFrames.map((b) => Buffer.from(b))),
          send('/drover.v1.Agents/Connect', agentFrames.map((b) => Buffer.from(b))),
        ]);
        expect(DELIBERATE, `Jobs.Run: ${grpc.status[run.code]} ${run.details}`).toContain(run.code);
        expect(DELIBERATE, `Agents.Connect: ${grpc.status[connect.code]} ${connect.details}`).toContain(connect.code);
      }),
      { numRuns: 200 },
    );
    expect(await cluster.servesHonestClient()).toEqual([1, 4, 9, 16]);
  }, 120_000);
});
