// One workload's section of docs/benchmarks.md.
export interface Table {
  id: string;
  title: string;
  /** What was measured and how, including any scaling down. */
  note: string;
  header: string[];
  rows: string[][];
}
