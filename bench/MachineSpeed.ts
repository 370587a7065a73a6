// How steady the machine was during a run: the same fixed single-thread JS loop, timed before every
// workload and at the end. On a shared host its time moves by a third or more within minutes, and
// rows of a table that were timed minutes apart (a peer's after drover's) move with it; the report
// prints the spread so that a reader can tell a steady run from a noisy one.
import { countPrimes } from './tasks.ts';

/** The loop: ~50 ms on the 2-core EPYC VM this was written on. */
const PROBE_RANGE: [number, number] = [0, 600_000];

export class MachineSpeed {
  readonly #samplesMs: number[] = [];

  /** Times the loop `times` times (after one untimed run, so that it is compiled). */
  sample(times = 3): void {
    countPrimes(PROBE_RANGE);
    for (let i = 0; i < times; i++) {
      const t0 = performance.now();
      countPrimes(PROBE_RANGE);
      this.#samplesMs.push(performance.now() - t0);
    }
  }

  /** "fastest–slowest ms (median m ms over n samples), spread s %", or '' with no samples. */
  describe(): string {
    const s = [...this.#samplesMs].sort((a, b) => a - b);
    if (s.length === 0) return '';
    const median = s[s.length >> 1]!;
    const spread = (100 * (s.at(-1)! - s[0]!)) / s[0]!;
    return `${s[0]!.toFixed(0)}–${s.at(-1)!.toFixed(0)} ms (median ${median.toFixed(0)} ms over ${s.length} samples; the slowest ${spread.toFixed(0)} % over the fastest)`;
  }
}
