import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Agent, type AgentOptions } from '../../../src/agent/index.ts';
import { decodeValue, type pb } from '../../../src/protocol/index.ts';
import { FakeCoordinator, oneTask, type FakeSession } from './fakeCoordinator.ts';

const taskModule = new URL('../../../src/task/index.ts', import.meta.url).href;

/** Task functions that use the task context's services (plain ESM, as the SDK's bundler would emit). */
export const SERVICES_BUNDLE = `
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, RetryableError } from ${JSON.stringify(taskModule)};

const described = (e) => ({ name: e.name, message: e.message, code: e.code ?? null });
const forever = () => new Promise(() => {});

export function throwPlain() { throw new Error('plain'); }
export function throwRetryable() { throw new RetryableError('flaky', { cause: new Error('port race') }); }
export function throwCaused() {
  throw new Error('wrapped', { cause: Object.assign(new Error('sumo crashed'), { retryable: true, code: 'DROVER_SUMO_CRASH' }) });
}
export function throwVetoed() { throw Object.assign(new Error('bad scenario'), { retryable: false, cause: new RetryableError('inner') }); }
export function throwCoded() { throw Object.assign(new Error('no such file'), { code: 'ENOENT' }); }

export async function fetch(digest) {
  const path = await context.fetchBlob(digest);
  return { path, text: readFileSync(path, 'utf8'), mode: statSync(path).mode & 0o777 };
}
export async function fetchError(digest) {
  try { await context.fetchBlob(digest); return null; } catch (e) { return { ...described(e), stack: e.stack }; }
}
export async function store(path) { return context.storeFile(path); }
export async function storeError(path) {
  try { await context.storeFile(path); return null; } catch (e) { return described(e); }
}
/** Write n bytes into the scratch dir and store the file twice. */
export async function storeTwice(n) {
  const path = join(await context.scratchDir(), 'out.bin');
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = (i * 31 + 7) & 255;
  writeFileSync(path, data);
  return { first: await context.storeFile(path), second: await context.storeFile(path) };
}

/** Make the scratch dir, use it, write its path to \`note\`, then end as told. */
export async function scratch(note, then) {
  const dir = await context.scratchDir();
  const again = await context.scratchDir();
  writeFileSync(join(dir, 'data.txt'), 'hello');
  if (note) writeFileSync(note, dir);
  const info = { dir, same: again === dir, mode: statSync(dir).mode & 0o777, text: readFileSync(join(dir, 'data.txt'), 'utf8') };
  if (then === 'throw') throw new Error('failed after using the scratch dir');
  if (then === 'exit') process.exit(3);
  if (then === 'hang') await forever();
  if (then === 'abortable') await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
  if (then === 'keep') context.keepScratch();
  return info;
}

/**
 * Spawn \`sh -c 'sleep 60 & ...; wait'\` as its own process group, track it, and write
 * "<sh pid> <sleep pid>" to \`note\`; then end as told with the group still running.
 */
export async function spawnGroup(note, then) {
  const child = spawn('sh', ['-c', 'sleep 60 & echo $! > "$0.inner"; wait', note], { detached: true, stdio: 'ignore' });
  const untrack = context.trackChildProcess(child.pid);
  child.unref();
  for (let i = 0; i < 200; i++) {
    try { const inner = readFileSync(note + '.inner', 'utf8').trim(); if (inner) { writeFileSync(note, child.pid + ' ' + inner); break; } } catch {}
    await new Promise((r) => setTimeout(r, 10));
  }
  if (then === 'hang') await forever();
  if (then === 'exit') process.exit(4);
  if (then === 'untrack') untrack();
  return child.pid;
}

export function trackBad(which) {
  let child;
  let pid = which;
  if (which === 'attached') { child = spawn('sleep', ['60'], { stdio: 'ignore' }); pid = child.pid; }
  try { context.trackChildProcess(pid); return null; }
  catch (e) { return described(e); }
  finally { child?.kill('SIGKILL'); }
}
`;

/** Whether a process is gone (or a zombie nobody reaped yet: dead all the same). */
export function isDead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Poll until `check` holds; throws after `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A real in-process agent (real workers) with a fake coordinator serving {@link SERVICES_BUNDLE}. */
export class ServicesHarness {
  readonly coord: FakeCoordinator;
  readonly agent: Agent;
  /** The test's temp dir: cache, work dir and notes go under it. */
  readonly tmp: string;
  readonly digest: string;
  #next = 0;

  private constructor(coord: FakeCoordinator, agent: Agent, tmp: string, digest: string) {
    this.coord = coord;
    this.agent = agent;
    this.tmp = tmp;
    this.digest = digest;
  }

  get cacheDir(): string {
    return join(this.tmp, 'cache');
  }

  get workDir(): string {
    return join(this.tmp, 'work');
  }

  get session(): FakeSession {
    return this.coord.last;
  }

  static async start(extra: Partial<AgentOptions> = {}): Promise<ServicesHarness> {
    const coord = await FakeCoordinator.start();
    const digest = coord.putBlob(SERVICES_BUNDLE);
    const tmp = await mkdtemp(join(os.tmpdir(), 'drover-services-test-'));
    const agent = new Agent({
      coordinator: coord.address,
      processes: 2,
      prefetch: 0,
      cacheDir: join(tmp, 'cache'),
      workDir: join(tmp, 'work'),
      logger: pino({ level: 'silent' }),
      ...extra,
    });
    await agent.start();
    return new ServicesHarness(coord, agent, tmp, digest);
  }

  /** Assign `exportName(...args)` as a one-item task; returns its attempt id. */
  assign(exportName: string, args: unknown[], extra: Partial<pb.Assignment> = {}): string {
    const id = `t${this.#next++}`;
    this.coord.send(this.session, { $case: 'assign', value: { acceptedAttemptIds: [], tasks: [oneTask(this.digest, id, exportName, args, extra)] } });
    return id;
  }

  /** Wait for the attempt's result. */
  async result(id: string, timeoutMs = 15_000): Promise<pb.AttemptResult> {
    await this.coord.until(() => this.coord.results(this.session).has(id), timeoutMs);
    return this.coord.results(this.session).get(id)!;
  }

  /** Run a task that must succeed; its return value. */
  async value<T = unknown>(exportName: string, args: unknown[], extra: Partial<pb.Assignment> = {}): Promise<T> {
    const r = await this.result(this.assign(exportName, args, extra));
    if (r.outcome?.$case !== 'value') throw new Error(`expected a value, got ${JSON.stringify(r.outcome?.value)}`);
    return (decodeValue(r.outcome.value) as T[])[0];
  }

  /** Run a task that must fail; its failure. */
  async failure(exportName: string, args: unknown[], extra: Partial<pb.Assignment> = {}): Promise<pb.TaskFailure> {
    const r = await this.result(this.assign(exportName, args, extra));
    if (r.outcome?.$case !== 'failure') throw new Error(`expected a failure, got a value`);
    return r.outcome.value;
  }

  /** A path for a note file in the test's temp dir. */
  note(name: string): string {
    return join(this.tmp, name);
  }

  /** Contents of a note file (the task wrote it). */
  read(name: string): string {
    const path = this.note(name);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  async stop(): Promise<void> {
    await this.agent.stop();
    await this.coord.stop();
    await rm(this.tmp, { recursive: true, force: true });
  }
}
