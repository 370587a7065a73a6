import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/index.ts';
import { Coordinator } from '../../src/coordinator/index.ts';
import { pb, sha256Hex } from '../../src/protocol/index.ts';
import { FakeAgent, FakeJob, unary, waitFor } from '../unit/coordinator/fakes.ts';
import { BUNDLE, expectServed, FN, newToken, RawClients, statusOf } from './securityCluster.ts';

// Hostile callers against a coordinator with a tokens file: each refusal has its exact status,
// and afterwards a legitimate client still gets its job done with every result.

const tokens = { alice: newToken(), bob: newToken(), carol: newToken(), agent: newToken(), agent2: newToken(), root: newToken(), old: newToken() };
let dir: string;
let tokensFile: string;
let coordinator: Coordinator;
let echoAgent: FakeAgent;
const clients: RawClients[] = [];
const as = (token?: string, metadata?: Record<string, string>): RawClients => {
  const c = new RawClients(coordinator.address, token, undefined, metadata);
  clients.push(c);
  return c;
};
function writeTokens(lines: string[]): void {
  writeFileSync(tokensFile, `# drover tokens\n\n${lines.join('\n')}\n`);
}
const allLines = () => [
  `client alice ${tokens.alice}`,
  `client bob ${tokens.bob}   # a comment`,
  `client carol ${tokens.carol}`,
  `agent rack-1 ${tokens.agent}`,
  `agent rack-2 ${tokens.agent2}`,
  `admin root ${tokens.root}`,
  `client old ${tokens.old} expires=2001-01-01T00:00:00Z`,
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-sec-'));
  tokensFile = join(dir, 'tokens');
  writeTokens(allLines());
  coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }), tokensFile, dataDir: join(dir, 'data') });
  await coordinator.start();
  echoAgent = new FakeAgent(as(tokens.agent).agents, 'echo-agent', { echo: true });
  await echoAgent.registered();
  echoAgent.send({ $case: 'credit', value: { tasks: 64 } });
  for (const token of [tokens.alice, tokens.bob, tokens.carol]) await as(token).put(BUNDLE);
});

afterAll(async () => {
  echoAgent?.call.end();
  for (const c of clients) c.close();
  await coordinator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('credentials', () => {
  it('no token: UNAUTHENTICATED on every service, saying how to pass one', async () => {
    const anon = as();
    const listed = await statusOf(anon.list());
    expect(listed.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(listed.details).toMatch(/requires a token.*DROVER_TOKEN/);
    expect((await anon.runRefused()).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await statusOf(anon.has(['a'.repeat(64)]))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await statusOf(anon.put(Buffer.from('x')))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await statusOf(anon.getBlob('a'.repeat(64)))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await statusOf(anon.stats())).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await anon.connectAgent('intruder')).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expectServed(as(tokens.alice));
  });

  it('a wrong token, a near miss and a malformed header: UNAUTHENTICATED', async () => {
    const wrong = await statusOf(as(newToken()).list());
    expect(wrong.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(wrong.details).toMatch(/not valid on this coordinator/);
    // One character off: refused just the same.
    const nearMiss = tokens.alice.slice(0, -1) + (tokens.alice.endsWith('0') ? '1' : '0');
    expect((await statusOf(as(nearMiss).list())).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await statusOf(as(undefined, { authorization: `Basic ${tokens.alice}` }).list())).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await statusOf(as(undefined, { authorization: 'Bearer' }).list())).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await as(newToken()).connectAgent('intruder')).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expectServed(as(tokens.alice));
  });

  it('a real agent with a wrong or a client token fails to start at once, saying why', async () => {
    for (const [token, why] of [[newToken(), /refused this agent: .*not valid on this coordinator/], [tokens.alice, /refused this agent: .*needs an agent token/]] as const) {
      const agent = new Agent({ coordinator: coordinator.address, token, processes: 1, logger: pino({ level: 'silent' }), connectTimeoutMs: 30_000 });
      await expect(agent.start()).rejects.toThrow(why);
      await agent.stop();
    }
    await expectServed(as(tokens.alice));
  });

  it('an expired token: UNAUTHENTICATED, saying it expired', async () => {
    const expired = await statusOf(as(tokens.old).list());
    expect(expired.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(expired.details).toMatch(/token of old expired at 2001-01-01T00:00:00.000Z/);
    expect((await as(tokens.old).runRefused()).code).toBe(grpc.status.UNAUTHENTICATED);
    await expectServed(as(tokens.alice));
  });

  it('role confusion: a client token cannot join as an agent, an agent token cannot submit or list jobs', async () => {
    const asAgent = await as(tokens.alice).connectAgent('alice-pretending');
    expect(asAgent).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((asAgent as { details: string }).details).toMatch(/alice has a client token, and this call needs an agent token/);
    const agent = as(tokens.agent);
    const run = await agent.runRefused();
    expect(run.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(run.details).toMatch(/rack-1 has an agent token, and this call needs a client or an admin token/);
    expect((await statusOf(agent.list())).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await statusOf(agent.cancel('j-anything'))).code).toBe(grpc.status.PERMISSION_DENIED);
    // An admin token is not an agent token either.
    expect(await as(tokens.root).connectAgent('root-agent')).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    await expectServed(as(tokens.alice));
  });

  it('an agent cannot take over the name of another principal’s live agent (PERMISSION_DENIED; the live one keeps running)', async () => {
    // echo-agent runs as rack-1; rack-2 registering under that name would replace its session.
    const hijack = await as(tokens.agent2).connectAgent('echo-agent');
    expect(hijack).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect((hijack as { details: string }).details).toMatch(/agent name "echo-agent" is in use by a live agent of another principal/);
    expect(echoAgent.status).toBeUndefined();
    await expectServed(as(tokens.alice));
    // The same principal may replace its own session (an agent reconnecting).
    expect(await as(tokens.agent2).connectAgent('rack-2-node')).toEqual({ registered: true });
  });

  /** Waits until no live session is named `name`. */
  async function untilAgentGone(name: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while ((await as(tokens.root).listAgents()).agents.some((a) => a.name === name)) {
      if (Date.now() > deadline) throw new Error(`agent ${name} still connected`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('an orphaned attempt goes back only to its own principal: another agent reusing the name is told to cancel it', async () => {
    const labels = { pool: 'orphan-test' };
    const owner = new FakeAgent(as(tokens.agent).agents, 'orphan-node', { echo: false, capacity: { labels } });
    await owner.registered();
    owner.send({ $case: 'credit', value: { tasks: 1 } });
    const job = new FakeJob(as(tokens.alice).jobs);
    job.open({ function: FN, jobId: 'orphan-job', requires: pb.Requirements.fromPartial({ labels }) });
    await job.jobId();
    job.send(0, 1);
    const [assignment] = await waitFor(() => (owner.assignments().length > 0 ? owner.assignments() : undefined), 'assignment');
    owner.call.cancel(); // the owner's session ends: its attempt waits for it (agent grace, 5 s)
    await untilAgentGone('orphan-node');

    // rack-2 takes the free name and claims the attempt by its (guessable) id: it is told to cancel it.
    const thief = new FakeAgent(as(tokens.agent2).agents, 'orphan-node', { echo: false, runningAttemptIds: [assignment!.attemptId], capacity: { labels } });
    await thief.registered();
    await waitFor(() => (thief.cancelled().includes(assignment!.attemptId) ? true : undefined), 'cancel of the claimed attempt');
    thief.call.cancel();
    await untilAgentGone('orphan-node');

    // The owner reconnects within its grace and keeps the attempt; its result reaches Alice.
    const back = new FakeAgent(as(tokens.agent).agents, 'orphan-node', { echo: false, runningAttemptIds: [assignment!.attemptId], capacity: { labels } });
    await back.registered();
    expect(back.cancelled()).toEqual([]);
    back.answer([assignment!]);
    await waitFor(() => (job.results().length === 1 ? true : undefined), 'result');
    back.call.cancel();
  });

  it('Admin: ListAgents needs the admin role; Stats is open to clients (the SDK sizes chunks by it)', async () => {
    expect((await statusOf(as(tokens.alice).listAgents())).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await statusOf(as(tokens.agent).stats())).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await as(tokens.root).listAgents()).agents.map((a) => a.name)).toContain('echo-agent');
    expect((await as(tokens.alice).stats()).agents).toBeGreaterThanOrEqual(1);
    const adminListJobs = (c: RawClients) => unary(c.admin.listJobs.bind(c.admin), { state: '' });
    expect((await statusOf(adminListJobs(as(tokens.alice)))).code).toBe(grpc.status.PERMISSION_DENIED);
    await adminListJobs(as(tokens.root));
  });

  it('Stats lists a client’s own jobs only; an admin sees every job there', async () => {
    const bobJob = new FakeJob(as(tokens.bob).jobs);
    bobJob.open({ function: FN, jobId: 'bob-stats-job' });
    await bobJob.jobId();
    const seen = (await as(tokens.alice).stats()).jobs.map((j) => j.owner);
    expect(seen.every((owner) => owner === 'alice')).toBe(true);
    expect((await as(tokens.root).stats()).jobs.map((j) => j.jobId)).toContain('bob-stats-job');
    expect(await as(tokens.bob).cancel('bob-stats-job')).toEqual({ cancelled: true });
  });

  it('a revoked token (its line removed from the tokens file while running) is refused without a restart, and the streams it opened end', async () => {
    const carol = as(tokens.carol);
    await carol.list();
    // Streams opened before the revocation: Carol's job and rack-2's agent session.
    const carolJob = new FakeJob(carol.jobs);
    carolJob.open({ function: FN, jobId: 'carol-job' });
    await carolJob.jobId();
    const rack2 = new FakeAgent(as(tokens.agent2).agents, 'rack-2', { echo: false });
    await rack2.registered();
    expect((await as(tokens.root).listAgents()).agents.map((a) => a.name)).toContain('rack-2');

    writeTokens(allLines().filter((line) => !line.includes(' carol ') && !line.includes(' rack-2 ')));
    const deadline = Date.now() + 10_000;
    let code: grpc.status | undefined;
    while (Date.now() < deadline) {
      code = (await statusOf(carol.list()).catch(() => ({ code: grpc.status.OK, details: '' }))).code;
      if (code === grpc.status.UNAUTHENTICATED) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await as(tokens.agent2).connectAgent('rack-2-again')).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await waitFor(() => carolJob.status && rack2.status, 'revoked streams to end', 10_000);
    expect(carolJob.status).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/token of this stream was revoked/) });
    expect(rack2.status).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const agentsNow = (await as(tokens.root).listAgents()).agents.map((a) => a.name);
    expect(agentsNow).not.toContain('rack-2');
    expect(agentsNow).toContain('echo-agent');
    // The others' tokens and streams still work.
    await expectServed(as(tokens.alice));
    expect((await as(tokens.root).list()).jobs.length).toBeGreaterThan(0);
  });

  it('a tokens file changed into garbage keeps the tokens read last', async () => {
    writeFileSync(tokensFile, 'this is not a tokens file\n');
    await new Promise((r) => setTimeout(r, 2500));
    await expectServed(as(tokens.alice));
    writeTokens(allLines());
  });
});

describe('isolation between principals', () => {
  it('client B neither sees, attaches to nor cancels client A’s job (NOT_FOUND, as for no job); A’s job loses nothing; admin sees all', async () => {
    const alice = as(tokens.alice);
    const bob = as(tokens.bob);
    // Alice's job stays open (no InputEnd yet) while Bob probes it.
    const job = new FakeJob(alice.jobs);
    job.open({ function: FN, name: 'alice-private', jobId: 'alice-job-1' });
    const jobId = await job.jobId();
    job.send(0, 3);
    await waitFor(() => job.results().length === 3, 'alice results');

    const got = await statusOf(bob.get(jobId));
    expect(got.code).toBe(grpc.status.NOT_FOUND);
    expect(got.details).toBe(`no job with id ${JSON.stringify(jobId)}`);
    expect((await statusOf(bob.get('no-such-job'))).details).toBe(`no job with id "no-such-job"`);
    expect((await statusOf(bob.cancel(jobId))).code).toBe(grpc.status.NOT_FOUND);
    expect((await bob.list()).jobs.map((j) => j.jobId)).not.toContain(jobId);
    const attach = new FakeJob(bob.jobs);
    attach.attach(jobId, 0);
    await waitFor(() => attach.status, 'attach status');
    expect(attach.status?.code).toBe(grpc.status.NOT_FOUND);
    expect(attach.results()).toEqual([]);

    // Admin sees and reads it, with its owner.
    const root = as(tokens.root);
    expect(await root.get(jobId)).toMatchObject({ jobId, owner: 'alice', state: 'open' });
    expect((await root.list()).jobs.find((j) => j.jobId === jobId)?.owner).toBe('alice');
    // Alice sees only her own jobs.
    expect((await alice.list()).jobs.every((j) => j.owner === 'alice')).toBe(true);

    // Alice's job was not disturbed: it completes with every result.
    job.send(3, 2);
    job.end(5);
    expect(await job.ended()).toEqual({ state: 'completed', message: '' });
    expect(job.results().map((r) => r.seq).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('a client cannot open a job on a bundle it did not upload (FAILED_PRECONDITION); an admin can', async () => {
    const secretBundle = Buffer.from(`export const apiKey = '${newToken()}';`);
    await as(tokens.alice).put(secretBundle);
    const fn = { bundleDigest: sha256Hex(secretBundle), exportName: 'apiKey' };
    const bobJob = new FakeJob(as(tokens.bob).jobs);
    bobJob.open({ function: fn, jobId: 'bob-borrows' });
    await waitFor(() => bobJob.status, 'refusal');
    expect(bobJob.status).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: expect.stringMatching(/not among the blobs you uploaded/) });
    expect((await statusOf(as(tokens.root).get('bob-borrows'))).code).toBe(grpc.status.NOT_FOUND);
    const aliceJob = new FakeJob(as(tokens.alice).jobs);
    aliceJob.open({ function: fn, jobId: 'alice-own-bundle' });
    expect(await aliceJob.jobId()).toBe('alice-own-bundle');
    expect(await as(tokens.alice).cancel('alice-own-bundle')).toEqual({ cancelled: true });
    await expectServed(as(tokens.bob));
  });

  it('client A can cancel its own job; admin can cancel anyone’s', async () => {
    const alice = as(tokens.alice);
    const own = new FakeJob(alice.jobs);
    own.open({ function: FN, jobId: 'alice-cancel-me' });
    await own.jobId();
    expect(await alice.cancel('alice-cancel-me')).toEqual({ cancelled: true });
    const other = new FakeJob(as(tokens.bob).jobs);
    other.open({ function: FN, jobId: 'bob-admin-cancels' });
    await other.jobId();
    expect(await as(tokens.root).cancel('bob-admin-cancels')).toEqual({ cancelled: true });
    expect(await other.ended()).toMatchObject({ state: 'cancelled' });
  });

  it('a blob uploaded by A is absent to B until B uploads the same bytes; admins read it, agents only for a job (PERMISSION_DENIED alone)', async () => {
    const alice = as(tokens.alice);
    const bob = as(tokens.bob);
    const secret = Buffer.from(`alice's private input ${newToken()}`);
    const digest = sha256Hex(secret);
    expect(await alice.put(secret)).toEqual({ digest, size: secret.length });
    expect((await alice.has([digest])).present).toEqual([true]);
    expect(await alice.getBlob(digest)).toEqual(secret);

    expect((await bob.has([digest])).present).toEqual([false]);
    const got = await statusOf(bob.getBlob(digest));
    expect(got.code).toBe(grpc.status.NOT_FOUND);
    expect(got.details).toMatch(/no blob with digest/);
    expect(await statusOf(as(tokens.agent).getBlob(digest))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('on behalf of a job') });
    expect(await as(tokens.root).getBlob(digest)).toEqual(secret);

    // Bob proves possession by uploading identical bytes: now he may read it.
    expect(await bob.put(secret)).toEqual({ digest, size: secret.length });
    expect((await bob.has([digest])).present).toEqual([true]);
    expect(await bob.getBlob(digest)).toEqual(secret);
    await expectServed(alice);
  });

  it('an agent naming no job may neither ask for, read nor store blobs (PERMISSION_DENIED)', async () => {
    const agent = as(tokens.agent);
    const output = Buffer.from(`output ${newToken()}`);
    const digest = sha256Hex(output);
    for (const call of [agent.has([digest]), agent.getBlob(digest), agent.put(output)]) {
      expect(await statusOf(call)).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('job_id and session_id') });
    }
    expect((await as(tokens.root).has([digest])).present).toEqual([false]);
  });

  it('a forged upload under someone else’s digest is refused and grants no access', async () => {
    const alice = as(tokens.alice);
    const bob = as(tokens.bob);
    const secret = Buffer.from(`another secret ${newToken()}`);
    const digest = sha256Hex(secret);
    await alice.put(secret);
    const forged = await statusOf(bob.put(Buffer.from('not the secret at all'), digest));
    expect(forged.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await bob.has([digest])).present).toEqual([false]);
    expect((await statusOf(bob.getBlob(digest))).code).toBe(grpc.status.NOT_FOUND);
    expect(await alice.getBlob(digest)).toEqual(secret);
  });

  it('blob grants and job owners survive a coordinator restart', async () => {
    const alice = as(tokens.alice);
    const secret = Buffer.from(`persisted ${newToken()}`);
    const digest = sha256Hex(secret);
    await alice.put(secret);
    const job = new FakeJob(alice.jobs);
    job.open({ function: FN, jobId: 'alice-survives' });
    await job.jobId();
    job.send(0, 2);
    await waitFor(() => job.results().length === 2, 'results');
    job.call.cancel();

    echoAgent.call.end();
    await coordinator.stop();
    coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }), tokensFile, dataDir: join(dir, 'data') });
    await coordinator.start();
    echoAgent = new FakeAgent(as(tokens.agent).agents, 'echo-agent', { echo: true });
    await echoAgent.registered();
    echoAgent.send({ $case: 'credit', value: { tasks: 64 } });

    const alice2 = as(tokens.alice);
    const bob2 = as(tokens.bob);
    expect(await alice2.getBlob(digest)).toEqual(secret);
    expect((await statusOf(bob2.getBlob(digest))).code).toBe(grpc.status.NOT_FOUND);
    expect(await alice2.get('alice-survives')).toMatchObject({ owner: 'alice', state: 'open' });
    expect((await statusOf(bob2.get('alice-survives'))).code).toBe(grpc.status.NOT_FOUND);
    await expectServed(alice2);
  });
});
