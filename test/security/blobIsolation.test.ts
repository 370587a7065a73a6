// Blob isolation on behalf of jobs: agents fetch and store blobs only for the jobs whose attempts they
// hold, with the rights of the job's owner; task outputs belong to the job's owner; a rogue agent's
// credit is clamped. Raw grpc-js clients against a real coordinator, then the SDK with a real agent.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/index.ts';
import { Coordinator } from '../../src/coordinator/index.ts';
import { sha256Hex, type pb } from '../../src/protocol/index.ts';
import { connect, TaskError, type Pool } from '../../src/sdk/index.ts';
import { FakeAgent, FakeJob, unary, waitFor } from '../unit/coordinator/fakes.ts';
import { BUNDLE, FN, newToken, RawClients, statusOf } from './securityCluster.ts';

type BlobTasks = typeof import('../fixtures/blobTasks.ts');

/** Tasks one agent may hold per announced slot (running plus credit): see AgentSession. */
const MAX_HELD_PER_SLOT = 258;

const tokens = { alice: newToken(), bob: newToken(), agent: newToken(), agent2: newToken(), root: newToken() };
const tokenLines = [
  `client alice ${tokens.alice}`,
  `client bob ${tokens.bob}`,
  `agent rack-1 ${tokens.agent}`,
  `agent rack-2 ${tokens.agent2}`,
  `admin root ${tokens.root}`,
];

/** Blob calls of an agent principal, naming a job and a session. */
class ScopedBlobs {
  readonly #blobs: pb.BlobsClient;
  constructor(clients: RawClients) {
    this.#blobs = clients.blobs;
  }

  has(digests: string[], jobId: string, sessionId: string): Promise<boolean[]> {
    return unary<pb.HasBlobsRequest, pb.HasBlobsResponse>(this.#blobs.has.bind(this.#blobs), { digests, jobId, sessionId }).then((r) => r.present);
  }

  get(digest: string, jobId: string, sessionId: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const call = this.#blobs.get({ digest, jobId, sessionId });
      call.on('data', (chunk: pb.BlobChunk) => chunks.push(Buffer.from(chunk.data)));
      call.on('error', reject);
      call.on('end', () => resolve(Buffer.concat(chunks)));
    });
  }

  put(data: Buffer, jobId: string, sessionId: string): Promise<pb.PutBlobResponse> {
    return new Promise((resolve, reject) => {
      const call = this.#blobs.put((error, response) => (error ? reject(error) : resolve(response!)));
      call.write({ digest: sha256Hex(data), size: data.length, data, jobId, sessionId });
      call.end();
    });
  }
}

describe('agents use blobs on behalf of the jobs they serve (raw clients)', () => {
  let dir: string;
  let coordinator: Coordinator;
  const logs: string[] = [];
  const clients: RawClients[] = [];
  const agents: FakeAgent[] = [];
  const jobs: FakeJob[] = [];
  const as = (token: string): RawClients => {
    const c = new RawClients(coordinator.address, token);
    clients.push(c);
    return c;
  };
  const agent = (token: string, name: string): FakeAgent => {
    const a = new FakeAgent(as(token).agents, name, { echo: false, capacity: { slots: 1 } });
    agents.push(a);
    return a;
  };
  const job = (token: string, jobId: string): FakeJob => {
    const j = new FakeJob(as(token).jobs);
    j.open({ function: FN, jobId });
    jobs.push(j);
    return j;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drover-blob-isolation-'));
    writeFileSync(join(dir, 'tokens'), `${tokenLines.join('\n')}\n`);
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(line) });
    coordinator = new Coordinator({ listen: '127.0.0.1:0', logger, tokensFile: join(dir, 'tokens'), dataDir: join(dir, 'data') });
    await coordinator.start();
    for (const token of [tokens.alice, tokens.bob]) await as(token).put(BUNDLE);
  });

  afterAll(async () => {
    for (const j of jobs) j.call.cancel();
    for (const a of agents) a.call.end();
    for (const c of clients) c.close();
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an agent reads for a job it runs only what the job’s owner may read, and is refused (PERMISSION_DENIED) for any other job, session or principal', async () => {
    const alice = as(tokens.alice);
    const bob = as(tokens.bob);
    const input = Buffer.from(`alice's input ${newToken()}`);
    const secret = Buffer.from(`bob's secret ${newToken()}`);
    await alice.put(input);
    await bob.put(secret);

    const holder = agent(tokens.agent, 'holder');
    const { sessionId } = await holder.registered();
    holder.send({ $case: 'credit', value: { tasks: 1 } });
    const aliceJob = job(tokens.alice, 'alice-reads');
    await aliceJob.jobId();
    aliceJob.send(0, 1);
    const [assignment] = await waitFor(() => holder.assignments().length === 1 && holder.assignments(), 'an assignment');
    expect(assignment!.jobId).toBe('alice-reads');
    // Bob's job waits in the queue: no agent holds an attempt of it.
    const bobJob = job(tokens.bob, 'bob-queued');
    await bobJob.jobId();
    bobJob.send(0, 1);

    const rack1 = new ScopedBlobs(as(tokens.agent));
    // For Alice's job: Alice's input (and her bundle), not Bob's secret (answered like a missing blob).
    expect(await rack1.get(sha256Hex(input), 'alice-reads', sessionId)).toEqual(input);
    expect(await rack1.get(FN.bundleDigest, 'alice-reads', sessionId)).toEqual(BUNDLE);
    expect(await rack1.has([sha256Hex(input), sha256Hex(secret), FN.bundleDigest], 'alice-reads', sessionId)).toEqual([true, false, true]);
    expect(await statusOf(rack1.get(sha256Hex(secret), 'alice-reads', sessionId))).toMatchObject({ code: grpc.status.NOT_FOUND });

    // A job this session holds no attempt of, an unknown session, another agent principal with this session id.
    const rack2 = new ScopedBlobs(as(tokens.agent2));
    const refusals = [
      () => rack1.get(sha256Hex(secret), 'bob-queued', sessionId),
      () => rack1.has([sha256Hex(secret)], 'bob-queued', sessionId),
      () => rack1.get(sha256Hex(input), 'alice-reads', 's-not-a-session'),
      () => rack2.get(sha256Hex(input), 'alice-reads', sessionId),
      () => rack1.put(Buffer.from('an output for a job it does not run'), 'bob-queued', sessionId),
    ];
    for (const refusal of refusals) {
      expect(await statusOf(refusal())).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('holds no attempt of job') });
    }
    expect((await bob.has([sha256Hex(Buffer.from('an output for a job it does not run'))])).present).toEqual([false]);

    // Once the attempt is over the agent may no longer act for the job.
    holder.answer([assignment!]);
    await waitFor(() => aliceJob.results().length === 1, 'the result');
    expect(await statusOf(rack1.get(sha256Hex(input), 'alice-reads', sessionId))).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect(await bob.cancel('bob-queued')).toEqual({ cancelled: true });
  });

  it('a task output belongs to its job’s owner: Alice reads it, Bob does not (until he uploads the same bytes), and the grant is persisted', async () => {
    const alice = as(tokens.alice);
    const bob = as(tokens.bob);
    const holder = agent(tokens.agent, 'producer');
    const { sessionId } = await holder.registered();
    holder.send({ $case: 'credit', value: { tasks: 1 } });
    const aliceJob = job(tokens.alice, 'alice-produces');
    await aliceJob.jobId();
    aliceJob.send(0, 1);
    const [assignment] = await waitFor(() => holder.assignments().length === 1 && holder.assignments(), 'an assignment');

    const rack1 = new ScopedBlobs(as(tokens.agent));
    const output = Buffer.from(`alice's result file ${newToken()}`);
    const digest = sha256Hex(output);
    expect(await rack1.has([digest], 'alice-produces', sessionId)).toEqual([false]);
    expect(await rack1.put(output, 'alice-produces', sessionId)).toEqual({ digest, size: output.length });
    expect(await rack1.has([digest], 'alice-produces', sessionId)).toEqual([true]);

    expect(await alice.getBlob(digest)).toEqual(output);
    expect((await alice.has([digest])).present).toEqual([true]);
    expect((await bob.has([digest])).present).toEqual([false]);
    expect(await statusOf(bob.getBlob(digest))).toMatchObject({ code: grpc.status.NOT_FOUND });
    const readers = readFileSync(join(dir, 'data', 'blob-readers.log'), 'utf8');
    expect(readers).toContain(`${digest} "alice"\n`);
    expect(readers).not.toContain('"*"');

    // Bob proves possession of the bytes: then he may read them too.
    await bob.put(output);
    expect(await bob.getBlob(digest)).toEqual(output);
    holder.answer([assignment!]);
    await waitFor(() => aliceJob.results().length === 1, 'the result');
  });

  it('the tasks of an admin’s job read every blob, as the admin does', async () => {
    const secret = Buffer.from(`bob's other secret ${newToken()}`);
    await as(tokens.bob).put(secret);
    const holder = agent(tokens.agent, 'for-root');
    const { sessionId } = await holder.registered();
    holder.send({ $case: 'credit', value: { tasks: 1 } });
    const rootJob = job(tokens.root, 'root-reads');
    await rootJob.jobId();
    rootJob.send(0, 1);
    const [assignment] = await waitFor(() => holder.assignments().length === 1 && holder.assignments(), 'an assignment');
    const rack1 = new ScopedBlobs(as(tokens.agent));
    expect(await rack1.get(sha256Hex(secret), 'root-reads', sessionId)).toEqual(secret);
    holder.answer([assignment!]);
    await waitFor(() => rootJob.results().length === 1, 'the result');
  });

  it('clamps the credit of an agent that asks for more than it could hold, logging it once', async () => {
    const alice = as(tokens.alice);
    const rogue = agent(tokens.agent2, 'rogue');
    await rogue.registered();
    const n = 3 * MAX_HELD_PER_SLOT;
    const flood = job(tokens.alice, 'flood');
    await flood.jobId();
    flood.send(0, n);
    flood.end(n);
    rogue.send({ $case: 'credit', value: { tasks: 1_000_000 } });
    await waitFor(() => rogue.assignments().length >= MAX_HELD_PER_SLOT, 'assignments');
    const root = as(tokens.root);
    const held = async (): Promise<number | undefined> => (await root.listAgents()).agents.find((a) => a.name === 'rogue')?.running;
    expect(await held()).toBe(MAX_HELD_PER_SLOT);
    expect(rogue.assignments()).toHaveLength(MAX_HELD_PER_SLOT);

    // Asking again while holding them all: nothing more is admitted, even once they are finished.
    rogue.send({ $case: 'credit', value: { tasks: 1_000_000 } });
    rogue.answer(rogue.assignments());
    await waitFor(() => flood.results().length === MAX_HELD_PER_SLOT, 'results');
    expect(await held()).toBe(0);
    expect(rogue.assignments()).toHaveLength(MAX_HELD_PER_SLOT);
    expect((await alice.get('flood')).state).toBe('open');

    // A fresh grant is admitted up to the bound again.
    rogue.send({ $case: 'credit', value: { tasks: 1_000_000 } });
    await waitFor(() => rogue.assignments().length >= 2 * MAX_HELD_PER_SLOT, 'more assignments');
    expect(await held()).toBe(MAX_HELD_PER_SLOT);
    expect(rogue.assignments()).toHaveLength(2 * MAX_HELD_PER_SLOT);

    const clamped = logs.filter((line) => line.includes('credit clamped'));
    expect(clamped).toHaveLength(1);
    expect(JSON.parse(clamped[0]!)).toMatchObject({ asked: 1_000_000, admitted: MAX_HELD_PER_SLOT, slots: 1 });
  });
});

describe('tasks fetch, stage and store blobs with their job owner’s rights (SDK, real agent)', () => {
  let dir: string;
  let coordinator: Coordinator;
  let agent: Agent;
  let alice: Pool;
  let bob: Pool;
  let aliceTasks: BlobTasks;
  let bobTasks: BlobTasks;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drover-blob-isolation-sdk-'));
    writeFileSync(join(dir, 'tokens'), `${tokenLines.join('\n')}\n`);
    coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }), tokensFile: join(dir, 'tokens') });
    await coordinator.start();
    agent = new Agent({ coordinator: coordinator.address, token: tokens.agent, processes: 1, cacheDir: join(dir, 'cache'), workDir: join(dir, 'work'), logger: pino({ level: 'silent' }) });
    await agent.start();
    alice = await connect({ address: coordinator.address, token: tokens.alice });
    bob = await connect({ address: coordinator.address, token: tokens.bob });
    aliceTasks = await alice.load<BlobTasks>(new URL('../fixtures/blobTasks.ts', import.meta.url));
    bobTasks = await bob.load<BlobTasks>(new URL('../fixtures/blobTasks.ts', import.meta.url));
  });

  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await agent?.stop();
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the SDK's readBlob rejects with for a blob the caller may not read (as for a missing one). */
  const notFound = { name: 'BlobError', code: 'DROVER_BLOB', cause: expect.objectContaining({ code: grpc.status.NOT_FOUND }) };
  /** The typed failure of a task refused a blob. */
  const refusedBlob = (digest: string) =>
    expect.objectContaining({ kind: 'error', remoteCode: 'DROVER_BLOB', remoteMessage: expect.stringContaining(digest) });

  it('B’s task can neither fetch nor stage A’s blob — not even once the agent has it cached for A’s job', async () => {
    const secret = `alice's private input ${newToken()}`;
    writeFileSync(join(dir, 'secret.txt'), secret);
    const { digest } = await alice.uploadFile(join(dir, 'secret.txt'));

    // Alice's tasks read it (and the agent now has it on disk).
    expect(await alice.apply(aliceTasks.readBlobText, digest)).toBe(secret);
    const staged = await alice.exec({ command: 'cat', args: ['in.txt'], inputs: { 'in.txt': { digest } } });
    expect(staged.stdoutTail).toBe(secret);

    const fetched = await bob.apply(bobTasks.readBlobText, digest).catch((e: unknown) => e);
    expect(fetched).toBeInstanceOf(TaskError);
    expect(fetched).toEqual(refusedBlob(digest));
    expect((fetched as TaskError).remoteMessage).toMatch(/not available to job .*the job's owner may not read it/);
    const stagedByBob = await bob.exec({ command: 'cat', args: ['in.txt'], inputs: { 'in.txt': { digest } } }).catch((e: unknown) => e);
    expect(stagedByBob).toBeInstanceOf(TaskError);
    expect(stagedByBob).toEqual(refusedBlob(digest));
    await expect(bob.readBlob(digest)).rejects.toMatchObject(notFound);
  });

  it('B cannot read A’s job outputs nor stage them; A can', async () => {
    const text = `alice's output ${newToken()}`;
    const digest = await alice.apply(aliceTasks.storeText, text);
    expect((await alice.readBlob(digest)).toString()).toBe(text);
    await expect(bob.readBlob(digest)).rejects.toMatchObject(notFound);
    expect(await bob.apply(bobTasks.readBlobText, digest).catch((e: unknown) => e)).toEqual(refusedBlob(digest));

    const r = await alice.exec({ command: 'sh', args: ['-c', `printf '%s' "${text}-exec" > out.txt`], outputs: ['out.txt'] });
    const out = r.outputs['out.txt']!.digest;
    expect((await alice.readBlob(out)).toString()).toBe(`${text}-exec`);
    await expect(bob.readBlob(out)).rejects.toMatchObject(notFound);
    expect(await bob.exec({ command: 'cat', args: ['in.txt'], inputs: { 'in.txt': { digest: out } } }).catch((e: unknown) => e)).toEqual(refusedBlob(out));
    // Alice's next job may use her earlier job's output.
    expect(await alice.apply(aliceTasks.readBlobText, out)).toBe(`${text}-exec`);
  });
});
