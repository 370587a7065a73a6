// A peer kept running between requests (`peers.py serve mp`): one timed run per request, so that
// drover's runs and the peer's can alternate (bench/pairedRates.ts) instead of being timed minutes apart.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import { PEERS, PYTHON } from './runPeer.ts';

export class PeerSession {
  readonly #child: ChildProcess;
  readonly #lines: Interface;
  readonly #waiting: { resolve(line: string): void; reject(error: Error): void }[] = [];
  #stderr = '';
  #exited: Error | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
    });
    this.#lines = createInterface({ input: child.stdout! });
    this.#lines.on('line', (line) => this.#waiting.shift()?.resolve(line));
    child.once('exit', (code, signal) => this.#fail(`exited (${signal ?? code}): ${this.#stderr.trim().split('\n').slice(-3).join(' | ')}`));
    // No interpreter (ENOENT) or a failed write: an 'error' and maybe no 'exit' at all.
    child.on('error', (error) => this.#fail(`failed: ${error.message}`));
    child.stdin!.on('error', () => {});
  }

  #fail(why: string): void {
    this.#exited ??= new Error(`peer session ${why}`);
    for (const w of this.#waiting.splice(0)) w.reject(this.#exited);
  }

  /** Starts `peers.py serve PEER` with `params` and waits until it says it is ready (its pool started). */
  static async start(peer: 'mp', params: object): Promise<PeerSession> {
    const session = new PeerSession(spawn(PYTHON, [PEERS, 'serve', peer, JSON.stringify(params)], { stdio: ['pipe', 'pipe', 'pipe'] }));
    try {
      await session.#nextLine();
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  /** One request, answered by one JSON line. */
  async request<T>(body: object): Promise<T> {
    const line = this.#nextLine();
    this.#child.stdin!.write(`${JSON.stringify(body)}\n`);
    return JSON.parse(await line) as T;
  }

  /** Ends the session (its stdin), and kills it if it has not exited a few seconds later. */
  async close(): Promise<void> {
    this.#lines.close();
    if (this.#child.exitCode !== null || this.#child.signalCode !== null || this.#child.pid === undefined) return;
    const exited = once(this.#child, 'exit');
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  #nextLine(): Promise<string> {
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }
}
