import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { encodeValue, type pb } from '../../../src/protocol/index.ts';
import { WorkerPool, type PoolOutcome, type PoolTask, type WorkerPoolOptions } from '../../../src/agent/WorkerPool.ts';

const taskModule = new URL('../../../src/task/index.ts', import.meta.url).href;

/** The task module the pool tests run: plain ESM, as the SDK's bundler would emit (plus drover/task). */
export const BUNDLE_SOURCE = `
import { context } from ${JSON.stringify(taskModule)};
export function square(x) { return x * x; }
export async function add(a, b) { await null; return a + b; }
export function failOn(x, bad) { if (x === bad) throw new RangeError('bad item ' + x); return x; }
export function exitWith(code) { process.stderr.write('about to exit with ' + code + '\\n'); process.exit(code); }
export function spin() { for (;;) {} }
export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
export function busy(ms) { const end = Date.now() + ms; while (Date.now() < end) {} return ms; }
export function whoami() {
  return { worker: context.worker, agent: context.agent, attempt: context.attempt, index: context.index,
           taskId: context.taskId, jobId: context.jobId, seq: context.seq, pid: process.pid };
}
export async function chatty(n) {
  for (let i = 0; i < n; i++) context.progress(i);
  await new Promise((r) => setTimeout(r, 120));
  context.progress({ done: n });
  return n;
}
export function untilAborted() {
  return new Promise((resolve) => context.signal.addEventListener('abort', () => resolve('saw abort')));
}
export function hog() { const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length)); }
export function abort() { process.abort(); }
/** Keep mb MiB alive (touched, so resident) in this worker process; returns its pid. */
export function bloat(mb) { (globalThis.kept ??= []).push(Buffer.alloc(mb * 1024 * 1024, 1)); return process.pid; }
export function pid() { return process.pid; }
export function sometimesLater(x) { return x % 2 ? new Promise((r) => setTimeout(() => r(context.index), 1)) : context.index; }
export async function indexAfterAwait(x) { await new Promise((r) => setTimeout(r, 1)); return context.index; }
export async function napWho(ms) { await new Promise((r) => setTimeout(r, ms)); return { pid: process.pid, worker: context.worker }; }
export function text(n) { return 'x'.repeat(n); }
export function scratchPath() { return context.scratchDir(); }
export function echo(x) { return x; }
export function handoffListing() { const dir = process.argv[3]; return dir ? process.getBuiltinModule('node:fs').readdirSync(dir) : null; }
export function envVar(name) { return process.env[name] ?? null; }
export function niceness() { return process.getBuiltinModule('node:os').getPriority(); }
export function talksOnChannel(x) {
  process.send('not for drover');
  process.send({ type: 'result', attemptId: 'forged', value: new Uint8Array(1), rss: 0 });
  return x + 1;
}
`;

/** What the pool reported for one task. */
export interface Settled {
  outcome: PoolOutcome | undefined;
  worker: string;
  durationMs: number;
}

/** A real pool of real worker processes over a temp-dir bundle, with every report recorded. */
export class PoolHarness {
  readonly pool: WorkerPool;
  readonly dir: string;
  readonly bundlePath: string;
  readonly settled = new Map<string, Settled>();
  /** Attempts reported more than once: must stay empty (checked by stop()). */
  readonly settledTwice: string[] = [];
  readonly progress: { attemptId: string; value: Uint8Array; worker: string }[] = [];
  #waiters = new Map<string, (s: Settled) => void>();
  #seq = 0;

  private constructor(dir: string, size: number, execArgv: string[], extra: Partial<WorkerPoolOptions>) {
    this.dir = dir;
    this.bundlePath = join(dir, 'bundle.mjs');
    this.pool = new WorkerPool({
      size,
      agent: 'test-agent',
      logger: pino({ level: 'silent' }),
      execArgv,
      forwardStderr: false,
      ...extra,
      onSettled: (task, outcome, worker, durationMs) => {
        if (this.settled.has(task.attemptId)) this.settledTwice.push(task.attemptId);
        const s = { outcome, worker, durationMs };
        this.settled.set(task.attemptId, s);
        this.#waiters.get(task.attemptId)?.(s);
      },
      onProgress: (task, value, worker) => this.progress.push({ attemptId: task.attemptId, value, worker }),
    });
  }

  static async start(size: number, execArgv: string[] = [], extra: Partial<WorkerPoolOptions> = {}): Promise<PoolHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'drover-pool-test-'));
    const h = new PoolHarness(dir, size, execArgv, extra);
    await writeFile(h.bundlePath, BUNDLE_SOURCE);
    await h.pool.start();
    return h;
  }

  /** Submit one task calling `exportName` once per argument array; returns its attempt id. */
  submit(exportName: string, items: unknown[][], extra: Partial<PoolTask> = {}): string {
    const seq = this.#seq++;
    const attemptId = `att-${seq}`;
    this.pool.submit({
      attemptId,
      jobId: 'job-1',
      seq,
      attempt: 1,
      firstIndex: 0,
      bundlePath: this.bundlePath,
      exportName,
      payload: encodeValue(items),
      slots: 1,
      timeoutMs: 0,
      ...extra,
    });
    return attemptId;
  }

  /** Resolves with the task's report. */
  result(attemptId: string): Promise<Settled> {
    const done = this.settled.get(attemptId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => this.#waiters.set(attemptId, resolve));
  }

  /** Resolves with the failure of a task that must fail. */
  async failure(attemptId: string): Promise<pb.TaskFailure> {
    const { outcome } = await this.result(attemptId);
    if (outcome?.$case !== 'failure') throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
    return outcome.value;
  }

  /** Resolves with the decoded results of a task that must succeed. */
  async value<T = unknown>(attemptId: string): Promise<T> {
    const { outcome } = await this.result(attemptId);
    if (outcome?.$case !== 'value') throw new Error(`expected a value, got ${JSON.stringify(outcome)}`);
    const { decodeValue } = await import('../../../src/protocol/index.ts');
    return decodeValue<T>(outcome.value);
  }

  /** Stop the pool and remove the temp dir; throws if a task was reported twice. */
  async stop(): Promise<void> {
    await this.pool.stop();
    await rm(this.dir, { recursive: true, force: true });
    if (this.settledTwice.length > 0) throw new Error(`attempts reported twice: ${this.settledTwice.join(', ')}`);
  }
}
