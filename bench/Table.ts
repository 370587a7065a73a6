// One workload's section of docs/benchmarks.md.
export interface Table {
  id: string;
  title: string;
  /** What was measured and how, including any scaling down. */
  note: string;
  header: string[];
  rows: string[][];
  /** drover's figures against issue 5's targets, for the report's summary. */
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}
