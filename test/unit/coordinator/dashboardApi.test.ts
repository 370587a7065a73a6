// The dashboard's JSON API over a real scheduler (fake sinks, no sockets), its throughput sampler with
// a fake clock, and the HTTP side serving it (authorize hook, static files, headers) on a real port.
import { CoordinatorMetrics } from '../../../src/coordinator/http/CoordinatorMetrics.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpSide } from '../../../src/coordinator/http/HttpSide.ts';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { DashboardAssets } from '../../../src/coordinator/http/DashboardAssets.ts';
import { DashboardApi, type ClusterView, type JobDetailView, type JobListView } from '../../../src/coordinator/http/DashboardApi.ts';
import { ThroughputSampler } from '../../../src/coordinator/http/ThroughputSampler.ts';
import { Scheduler } from '../../../src/coordinator/Scheduler.ts';
import { CoordinatorStore } from '../../../src/coordinator/store/CoordinatorStore.ts';
import type { pb } from '../../../src/protocol/index.ts';
import { capacity, failed, opening, RecordingAgentSink, RecordingJobSink, settle, silent, value } from './schedulerHarness.ts';

const MARKER = 'PAYLOAD-MUST-NOT-LEAK';
let scheduler: Scheduler | undefined;
let coordinator: Coordinator | undefined;
afterEach(async () => {
  scheduler?.shutdown();
  scheduler = undefined;
  await coordinator?.stop();
  coordinator = undefined;
});

function setup() {
  const s = new Scheduler({ logger: silent });
  scheduler = s;
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const sampler = new ThroughputSampler(() => s.stats(), { now: clock.now, rateSeconds: 10 });
  const api = new DashboardApi({ agents: () => s.agentSummaries(), jobs: () => s.jobSummaries(), stats: () => s.stats() }, sampler, clock.now);
  const addAgent = (name: string, cap: Partial<pb.Capacity> = {}) => {
    const sink = new RecordingAgentSink();
    return { session: s.addSession({ acksWithAssign: false, name, capacity: capacity(cap), version: '0', runningAttemptIds: [] }, sink), sink };
  };
  const tasks = (from: number, count: number): pb.TaskInput[] =>
    Array.from({ length: count }, (_, i) => ({ seq: from + i, payload: Buffer.from(`${MARKER}-${from + i}`), items: 1, firstIndex: from + i }));
  return { scheduler: s, sampler, api, clock, addAgent, tasks };
}

describe('DashboardApi', () => {
  it('lists agents with capacity, SUMO, labels and busy/free slots, and totals them', async () => {
    const { scheduler, api, addAgent, tasks } = setup();
    const a = addAgent('b-sumo', { cpus: 8, slots: 8, memoryMb: 16384, sumoVersion: '1.15.0', sumoTools: true, labels: { zone: 'eu' }, resources: { gpu: 1 } });
    const b = addAgent('a-plain', { cpus: 2, slots: 2, memoryMb: 2048 });
    const job = scheduler.openJob(opening(), new RecordingJobSink());
    scheduler.addInputs(job, tasks(0, 6));
    scheduler.grantCredit(a.session, 3);
    // Credit ahead of its slots: three tasks assigned, two can run.
    scheduler.grantCredit(b.session, 3);
    await settle();

    const cluster = api.handle('/api/cluster')!.body as ClusterView;
    expect(cluster.agents.map((x) => x.name)).toEqual(['a-plain', 'b-sumo']);
    expect(cluster.agents[1]).toMatchObject({
      cpus: 8, memoryMb: 16384, slots: 8, busy: 3, free: 5, tasks: 3, sumoVersion: '1.15.0', sumoTools: true,
      labels: { zone: 'eu' }, resources: { gpu: 1 }, draining: false,
    });
    expect(cluster.agents[0]).toMatchObject({ busy: 2, free: 0, tasks: 3, sumoVersion: null });
    expect(cluster.totals).toMatchObject({ agents: 2, cpus: 10, memoryMb: 18432, slots: 10, busy: 5, free: 5, sumoAgents: 1, tasksRunning: 6, tasksQueued: 0, jobsOpen: 1 });
  });

  it('reports a job’s progress, failures by kind and recent failure messages, never its payloads', async () => {
    const { scheduler, api, addAgent, tasks } = setup();
    const { session, sink } = addAgent('a');
    const job = scheduler.openJob(opening({ name: 'map f' }), new RecordingJobSink());
    scheduler.addInputs(job, tasks(0, 5));
    scheduler.grantCredit(session, 5);
    await settle();
    let list = api.handle('/api/jobs')!.body as JobListView;
    expect(list.jobs[0]).toMatchObject({ id: job.id, name: 'map f', function: 'f', state: 'open', tasksSubmitted: 5, tasksTotal: null, tasksRunning: 5, tasksDone: 0 });

    const ids = sink.assignments().map((x) => x.attemptId);
    scheduler.handleResults(session, [
      value(ids[0]!),
      failed(ids[1]!, 'error', { name: 'ParseFailure', message: 'cannot parse row 1', itemOffset: 0 }),
      value(ids[2]!),
      failed(ids[3]!, 'crashed', { name: 'WorkerCrashed', message: 'worker exited', exitCode: 7 }),
      value(ids[4]!),
    ]);
    scheduler.endInput(job, 5);
    await settle();

    list = api.handle('/api/jobs')!.body as JobListView;
    expect(list.jobs).toHaveLength(1);
    expect(list.jobs[0]).toMatchObject({ tasksTotal: 5, tasksDone: 5, tasksFailed: 2, tasksRunning: 0, failuresByKind: { error: 1, crashed: 1 } });
    const detail = api.handle(`/api/jobs/${job.id}`)!.body as JobDetailView;
    expect(detail.recentFailures.map((f) => [f.kind, f.name, f.message, f.index, f.agent])).toEqual([
      ['crashed', 'WorkerCrashed', 'worker exited', 3, 'a'],
      ['error', 'ParseFailure', 'cannot parse row 1', 1, 'a'],
    ]);
    expect(detail.recentFailures[0]!.exitCode).toBe(7);
    expect(detail.state).toBe('completed');
    expect(detail.endedAtMs).toBeGreaterThan(0);

    for (const path of ['/api/cluster', '/api/jobs', `/api/jobs/${job.id}`, '/api/throughput']) {
      const json = JSON.stringify(api.handle(path)!.body);
      expect(json).not.toContain(MARKER);
      expect(json).not.toContain(Buffer.from(MARKER).toString('base64').slice(0, 16));
    }
  });

  it('keeps a finished job’s failures after it is purged, and cuts long messages', async () => {
    const { scheduler, api, addAgent, tasks } = setup();
    const { session, sink } = addAgent('a');
    const jobSink = new RecordingJobSink();
    const job = scheduler.openJob(opening(), jobSink);
    scheduler.addInputs(job, tasks(0, 1));
    scheduler.endInput(job, 1);
    scheduler.grantCredit(session, 1);
    await settle();
    scheduler.handleResults(session, [failed(sink.assignments()[0]!.attemptId, 'timeout', { message: 'x'.repeat(5000) })]);
    await settle();
    scheduler.resultsReceived(job, job.lastRseq);
    scheduler.clientEnded(job, jobSink);
    await settle();
    expect(scheduler.jobById(job.id)).toBeUndefined();
    const detail = api.job(job.id)!;
    expect(detail).toMatchObject({ state: 'completed', tasksFailed: 1, failuresByKind: { timeout: 1 } });
    expect(detail.recentFailures[0]!.message.length).toBeLessThanOrEqual(501);
  });

  it('after a restart, shows a job that had ended with its failed count but no breakdown nor end time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-dash-'));
    try {
      const path = join(dir, 'drover.sqlite');
      const first = new Scheduler({ logger: silent, store: CoordinatorStore.open({ path }) });
      scheduler = first;
      const agentSink = new RecordingAgentSink();
      const session = first.addSession({ acksWithAssign: false, name: 'a', capacity: capacity(), version: '0', runningAttemptIds: [] }, agentSink);
      const job = first.openJob(opening(), new RecordingJobSink());
      first.addInputs(job, [{ seq: 0, payload: Buffer.from([1]), items: 1, firstIndex: 0 }]);
      first.endInput(job, 1);
      first.grantCredit(session, 1);
      await settle();
      first.handleResults(session, [failed(agentSink.assignments()[0]!.attemptId, 'error')]);
      await settle();
      // Completed, its result not yet confirmed by the client: held across the restart.
      expect(first.jobSummaries()[0]!.info.state).toBe('completed');
      first.shutdown();

      const second = new Scheduler({ logger: silent, store: CoordinatorStore.open({ path }) });
      scheduler = second;
      second.restore();
      const api = new DashboardApi({ agents: () => second.agentSummaries(), jobs: () => second.jobSummaries(), stats: () => second.stats() }, new ThroughputSampler(() => second.stats()));
      expect(api.job(job.id)).toMatchObject({ state: 'completed', tasksDone: 1, tasksFailed: 1, failuresByKind: {}, endedAtMs: null, recentFailures: [] });
      // The client comes back and reads its result: the job is forgotten but for its summary, still without an end time.
      const client = new RecordingJobSink();
      const held = second.attachJob(job.id, 0, client);
      if (held === undefined || held === 'ended') throw new Error(`job ${job.id} should be held after the restart`);
      await settle();
      second.resultsReceived(held, 1);
      second.clientEnded(held, client);
      await settle();
      expect(second.jobById(job.id)).toBeUndefined();
      expect(api.job(job.id)).toMatchObject({ state: 'completed', tasksFailed: 1, endedAtMs: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 404 for unknown jobs and API paths, 400 for a malformed id, and nothing outside /api/', () => {
    const { api } = setup();
    expect(api.handle('/api/jobs/j-nope')).toMatchObject({ status: 404 });
    expect(api.handle('/api/jobs/%E0%A4%A')).toMatchObject({ status: 400 });
    expect(api.handle('/api/nope')).toMatchObject({ status: 404 });
    expect(api.handle('/metrics')).toBeUndefined();
  });
});

describe('ThroughputSampler', () => {
  it('turns completions into per-second samples in a bounded ring, and an open job’s rate', async () => {
    const s = new Scheduler({ logger: silent });
    scheduler = s;
    let now = 0;
    const sampler = new ThroughputSampler(() => s.stats(), { now: () => now, seconds: 3, rateSeconds: 2 });
    const sink = new RecordingAgentSink();
    const session = s.addSession({ acksWithAssign: false, name: 'a', capacity: capacity({ slots: 64 }), version: '0', runningAttemptIds: [] }, sink);
    const job = s.openJob(opening(), new RecordingJobSink());
    s.addInputs(job, Array.from({ length: 20 }, (_, i) => ({ seq: i, payload: Buffer.from([i]), items: 1, firstIndex: i })));
    s.grantCredit(session, 20);
    await settle();
    const ids = sink.assignments().map((x) => x.attemptId);
    const finish = async (n: number) => {
      s.handleResults(session, ids.splice(0, n).map((id) => value(id)));
      await settle();
    };

    sampler.sample();
    expect(sampler.series().samples).toEqual([]);
    for (const n of [4, 2, 0, 6]) {
      await finish(n);
      now += 1000;
      sampler.sample();
    }
    // Four seconds sampled, three kept: the oldest (4 results) fell out of the ring.
    expect(sampler.series().samples).toEqual([[2000, 2], [3000, 0], [4000, 6]]);
    // Over the last two seconds: 6 results in 2 s.
    expect(sampler.jobRate(job.id)).toBe(3);
    expect(sampler.jobRate('j-unknown')).toBe(0);

    // A late timer is normalised to a per-second figure.
    await finish(4);
    now += 2000;
    sampler.sample();
    expect(sampler.series().samples.at(-1)).toEqual([6000, 2]);
  });
});

describe('DashboardAssets', () => {
  it('serves the page and its files by name only, and reports a missing directory instead of throwing', () => {
    const assets = new DashboardAssets();
    expect(assets.unavailable).toBeUndefined();
    expect(assets.get('/')?.contentType).toMatch(/^text\/html/);
    expect(assets.get('/dashboard/main.js')?.body.toString()).toContain('/api/cluster');
    for (const path of ['/dashboard/../HttpSide.ts', '/dashboard/%2e%2e/HttpSide.ts', '/dashboard/sub/x.js', '/main.js']) expect(assets.get(path)).toBeUndefined();
    const missing = new DashboardAssets(join(tmpdir(), 'drover-no-such-dashboard-dir'));
    expect(missing.unavailable).toMatch(/dashboard's files are missing/);
    expect(missing.get('/')).toBeUndefined();
  });
});

describe('HTTP side dashboard routes', () => {
  it('serves the page with a strict CSP, and asks authorize() for the API and /metrics only', async () => {
    const seen: string[] = [];
    coordinator = new Coordinator({
      listen: '127.0.0.1:0',
      httpListen: '127.0.0.1:0',
      logger: silent,
      httpAuthorize: (req) => {
        seen.push(req.url ?? '');
        return req.headers.authorization === 'Bearer admin-secret';
      },
    });
    await coordinator.start();
    const base = `http://${coordinator.httpAddress}`;

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('/dashboard/main.js');
    const script = await fetch(`${base}/dashboard/main.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${base}/dashboard/../HttpSide.ts`)).status).toBe(404);
    expect((await fetch(`${base}/dashboard/%2e%2e%2fHttpSide.ts`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(seen).toEqual([]);

    const denied = await fetch(`${base}/api/cluster`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const allowed = await fetch(`${base}/api/cluster`, { headers: { authorization: 'Bearer admin-secret' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('cache-control')).toBe('no-store');
    expect(((await allowed.json()) as ClusterView).totals.agents).toBe(0);
    expect(seen).toEqual(['/api/cluster', '/metrics', '/api/cluster']);
  });

  it('serves the same routes over https when given a certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-https-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const cert = readFileSync(join(dir, 'cert.pem'));
      const s = new Scheduler({ logger: silent });
      scheduler = s;
      const http = new HttpSide('127.0.0.1:0', {
        stats: () => s.stats(), agents: () => s.agentSummaries(), jobs: () => s.jobSummaries(), ready: () => true,
        metrics: new CoordinatorMetrics(),
      }, silent, { tls: { cert, key: readFileSync(join(dir, 'key.pem')) } });
      await http.start();
      try {
        const fetchTls = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
          get(`https://${http.address}${path}`, { ca: cert }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          }).on('error', reject);
        });
        expect((await fetchTls('/')).body).toContain('/dashboard/main.js');
        const cluster = await fetchTls('/api/cluster');
        expect(cluster.status).toBe(200);
        expect((JSON.parse(cluster.body) as ClusterView).totals.agents).toBe(0);
        await expect(fetch(`http://${http.address}/healthz`)).rejects.toThrow();
      } finally {
        await http.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
