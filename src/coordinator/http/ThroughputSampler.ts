import type { pb } from '../../protocol/index.ts';

/** Options for {@link ThroughputSampler}. */
export interface ThroughputSamplerOptions {
  /** Seconds of history kept for the chart; default 300. */
  seconds?: number;
  /** Seconds over which a job's rate is averaged; default 10. */
  rateSeconds?: number;
  /** Clock, for tests; default `Date.now`. */
  now?: () => number;
}

/** Completions per second over the last minutes, oldest first, as `/api/throughput` returns them. */
export interface ThroughputSeries {
  /** Seconds between samples (1). */
  periodSeconds: number;
  /** `[atMs, results]`: final results (successes and failures) in the second ending at `atMs`. */
  samples: [number, number][];
}

/**
 * Samples the scheduler's counters once a second (a timer, nothing on the task path) into a ring
 * buffer of per-second completions, and keeps each open job's recent counts for its rate.
 */
export class ThroughputSampler {
  readonly #read: () => pb.StatsResponse;
  readonly #now: () => number;
  readonly #rateSeconds: number;
  readonly #times: Float64Array;
  readonly #counts: Float64Array;
  /** Next slot to write; `#filled` slots hold samples. */
  #head = 0;
  #filled = 0;
  #lastTotal: number | undefined;
  #lastAtMs = 0;
  /** Per held job: `[atMs, tasksCompleted]` of the last `rateSeconds + 1` samples. */
  #jobs = new Map<string, [number, number][]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(read: () => pb.StatsResponse, options: ThroughputSamplerOptions = {}) {
    this.#read = read;
    this.#now = options.now ?? Date.now;
    this.#rateSeconds = options.rateSeconds ?? 10;
    const seconds = options.seconds ?? 300;
    this.#times = new Float64Array(seconds);
    this.#counts = new Float64Array(seconds);
  }

  /** Samples now and then every second until {@link stop}; the timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample (the timer calls it; tests call it with a fake clock). */
  sample(): void {
    const stats = this.#read();
    const atMs = this.#now();
    const total = Number(stats.tasksCompleted);
    if (this.#lastTotal !== undefined) {
      // Normalised to one second so a late timer does not draw a spike.
      const seconds = Math.max(0.001, (atMs - this.#lastAtMs) / 1000);
      this.#times[this.#head] = atMs;
      this.#counts[this.#head] = Math.max(0, total - this.#lastTotal) / seconds;
      this.#head = (this.#head + 1) % this.#times.length;
      this.#filled = Math.min(this.#filled + 1, this.#times.length);
    }
    this.#lastTotal = total;
    this.#lastAtMs = atMs;
    const jobs = new Map<string, [number, number][]>();
    for (const info of stats.jobs) {
      if (info.state !== 'open') continue;
      const history = this.#jobs.get(info.jobId) ?? [];
      history.push([atMs, Number(info.tasksCompleted)]);
      if (history.length > this.#rateSeconds + 1) history.shift();
      jobs.set(info.jobId, history);
    }
    this.#jobs = jobs;
  }

  /** The chart's series: per-second completions, oldest first. */
  series(): ThroughputSeries {
    const samples: [number, number][] = [];
    const size = this.#times.length;
    for (let i = 0; i < this.#filled; i++) {
      const slot = (this.#head - this.#filled + i + size) % size;
      samples.push([this.#times[slot]!, Math.round(this.#counts[slot]! * 100) / 100]);
    }
    return { periodSeconds: 1, samples };
  }

  /** An open job's results per second over the last `rateSeconds`; 0 when not open or not sampled twice. */
  jobRate(jobId: string): number {
    const history = this.#jobs.get(jobId);
    if (history === undefined || history.length < 2) return 0;
    const [firstAt, firstCount] = history[0]!;
    const [lastAt, lastCount] = history.at(-1)!;
    if (lastAt <= firstAt) return 0;
    return Math.round(((lastCount - firstCount) / ((lastAt - firstAt) / 1000)) * 100) / 100;
  }
}
