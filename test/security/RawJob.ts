import type * as grpc from '@grpc/grpc-js';
import { decodeValue, pb } from '../../src/protocol/index.ts';
import { waitFor } from '../unit/coordinator/fakes.ts';

/**
 * A `Jobs.Run` stream driven by hand: whatever a hostile (or merely careless) client could send.
 * It records every response and the final status; `read: false` pauses it so nothing is read.
 */
export class RawJob {
  readonly call: grpc.ClientDuplexStream<pb.JobRequest, pb.JobResponse>;
  readonly responses: pb.JobResponse[] = [];
  status: grpc.StatusObject | undefined;

  constructor(client: pb.JobsClient, options: { read?: boolean } = {}) {
    this.call = client.run();
    this.call.on('status', (status) => (this.status = status));
    this.call.on('error', () => {});
    if (options.read === false) {
      this.call.pause();
    } else {
      this.call.on('data', (response: pb.JobResponse) => {
        this.responses.push(response);
        if (response.msg?.$case === 'end') this.call.end();
      });
    }
  }

  /** Resumes reading a stream created with `read: false`; with `confirm`, confirms results as they arrive (as the SDK does). */
  startReading(options: { confirm?: boolean } = {}): void {
    this.call.on('data', (response: pb.JobResponse) => {
      this.responses.push(response);
      if (options.confirm && response.msg?.$case === 'results') this.received(response.msg.value.results.at(-1)!.rseq);
      if (response.msg?.$case === 'end') this.call.end();
    });
    this.call.resume();
  }

  open(bundleDigest: string, overrides: Partial<pb.OpenJob> = {}): this {
    this.call.write({
      msg: {
        $case: 'open',
        value: { function: { bundleDigest, exportName: 'echo' }, name: 'hostile', requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: '', unschedulableWaitMs: 0, resultsBatchMax: 0, ...overrides },
      },
    });
    return this;
  }

  /** Sends one task per payload, numbered from `fromSeq`, one item each unless `items` says otherwise. */
  inputs(fromSeq: number, payloads: Buffer[], items = 1): this {
    const tasks = payloads.map((payload, i) => ({ seq: fromSeq + i, payload, items, firstIndex: (fromSeq + i) * items }));
    this.call.write({ msg: { $case: 'inputs', value: { tasks } } });
    return this;
  }

  end(total: number): this {
    this.call.write({ msg: { $case: 'inputEnd', value: { totalTasks: total } } });
    return this;
  }

  received(throughRseq: number): this {
    this.call.write({ msg: { $case: 'resultsReceived', value: { throughRseq } } });
    return this;
  }

  async jobId(): Promise<string> {
    return waitFor(() => {
      const first = this.responses[0]?.msg;
      return first?.$case === 'opened' ? first.value.jobId : undefined;
    }, 'opened', 20_000);
  }

  /** Resolves with the call's final status. */
  finished(timeoutMs = 20_000): Promise<grpc.StatusObject> {
    return waitFor(() => this.status, 'the stream to end', timeoutMs);
  }

  results(): pb.TaskResult[] {
    return this.responses.flatMap((r) => (r.msg?.$case === 'results' ? r.msg.value.results : []));
  }

  /** Each task's decoded values (or its failure), by seq. */
  outcomes(): Map<number, unknown[] | pb.TaskFailure> {
    const out = new Map<number, unknown[] | pb.TaskFailure>();
    for (const r of this.results()) out.set(r.seq, r.outcome?.$case === 'value' ? decodeValue<unknown[]>(r.outcome.value) : r.outcome!.value);
    return out;
  }

  async ended(timeoutMs = 20_000): Promise<pb.JobEnd> {
    return waitFor(() => {
      const last = this.responses.at(-1)?.msg;
      return last?.$case === 'end' ? last.value : undefined;
    }, 'job end', timeoutMs);
  }
}
