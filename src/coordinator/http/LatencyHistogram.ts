import { Histogram, type Registry } from 'prom-client';

/** The metric object prom-client's registry formats. */
interface LatencyHistogramExport {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: { metricName: string; labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number }[];
}

/** Options for {@link LatencyHistogram}. */
export interface LatencyHistogramOptions {
  name: string;
  help: string;
  /** Upper bounds in seconds, ascending. */
  buckets: readonly number[];
  registers: Registry[];
}

/**
 * A Prometheus histogram (seconds) whose `record()` costs a few array writes and no allocation, for
 * observations on the scheduler's hot path. prom-client's own `observe()` allocates a label object
 * and a closure per call; here the counts live in a `Float64Array` and are turned into the
 * exposition only when scraped.
 */
export class LatencyHistogram extends Histogram<string> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: Float64Array;
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(options: LatencyHistogramOptions) {
    super({ name: options.name, help: options.help, buckets: [...options.buckets], registers: options.registers });
    this.#name = options.name;
    this.#help = options.help;
    this.#bounds = Float64Array.from(options.buckets);
    this.#counts = new Float64Array(options.buckets.length);
  }

  /** Counts one observation of `seconds` (negative or non-finite values are ignored). */
  record(seconds: number): void {
    if (!(seconds >= 0) || seconds === Infinity) return;
    this.#sum += seconds;
    this.#count += 1;
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        this.#counts[i]! += 1;
        return;
      }
    }
  }

  /** Observations recorded so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * What prom-client's registry reads for the text exposition (it prefers this method over `get()`,
   * and the base `get()` builds its JSON from it too), built from the counts recorded here.
   */
  async getForPromString(): Promise<LatencyHistogramExport> {
    const name = this.#name;
    const values: LatencyHistogramExport['values'] = [];
    let cumulative = 0;
    for (let i = 0; i < this.#bounds.length; i++) {
      cumulative += this.#counts[i]!;
      values.push({ metricName: `${name}_bucket`, labels: { le: this.#bounds[i]! }, sharedLabels: {}, value: cumulative });
    }
    values.push(
      { metricName: `${name}_bucket`, labels: { le: '+Inf' }, sharedLabels: {}, value: this.#count },
      { metricName: `${name}_sum`, labels: {}, sharedLabels: {}, value: this.#sum },
      { metricName: `${name}_count`, labels: {}, sharedLabels: {}, value: this.#count },
    );
    return { name, help: this.#help, type: 'histogram', values, aggregator: 'sum' };
  }

  override reset(): void {
    super.reset();
    // The base constructor calls reset() before this class's fields exist.
    if (!(#counts in this)) return;
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }
}
