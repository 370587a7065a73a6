// P4's no-framework reference: the ranges split ahead of time over N bare Node processes (range i to
// process i mod N), no dispatch, nothing sent but the range indices and the counts. What is left between
// its efficiency and 100 % is the machine (two busy cores, not one) and the fixed split (it cannot balance
// uneven ranges or a core the host slows down, which one-at-a-time dispatch does). Driven from the bench
// process, so that its runs interleave with drover's against the same serial runs (bench/interleavedPrimes.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./bareProcessChild.ts', import.meta.url));

/** `processes` bare Node processes, each given its share of the `parts` ranges below `limit` per run. */
export class BareProcesses {
  readonly #children: ChildProcess[];
  readonly #shares: number[][];
  readonly #exits: Promise<never>[];

  constructor(processes: number, limit: number, parts: number) {
    this.#children = Array.from({ length: processes }, () => fork(CHILD, [String(limit), String(parts)]));
    this.#shares = this.#children.map((_, j) => Array.from({ length: parts }, (_, i) => i).filter((i) => i % processes === j));
    // A child that dies answers nothing: the run fails rather than waits for ever.
    this.#exits = this.#children.map((child) =>
      once(child, 'exit').then(([code, signal]): never => {
        throw new Error(`a bare process exited (${signal ?? code}) before answering`);
      }),
    );
    for (const exit of this.#exits) exit.catch(() => {});
  }

  /** One parallel run over all the ranges: the primes counted. */
  async run(): Promise<number> {
    const counts = await Promise.all(
      this.#children.map(async (child, j) => {
        const answer = once(child, 'message');
        child.send(this.#shares[j]!);
        return (await Promise.race([answer, this.#exits[j]!]))[0] as number;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Asks every child to exit and waits until they have. */
  async close(): Promise<void> {
    await Promise.all(
      this.#children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.send('exit');
        await exited;
      }),
    );
  }
}
