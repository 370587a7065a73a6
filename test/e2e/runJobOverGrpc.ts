// Runs one job straight over the Jobs.Run stream, so a job with failing items runs to completion
// (the SDK's map cancels the rest of a job at its first failure).
import * as grpc from '@grpc/grpc-js';
import { encodeValue, pb } from '../../src/protocol/index.ts';

/** What came back: final results by outcome. */
export interface RawJobOutcome {
  jobId: string;
  succeeded: number;
  failed: number;
}

/**
 * Opens a job on `function`, sends one task per argument array (chunksize 1), ends the input,
 * acknowledges results as they come and resolves when the coordinator ends the job.
 */
export function runJobOverGrpc(address: string, fn: pb.FunctionRef, name: string, argumentLists: unknown[][]): Promise<RawJobOutcome> {
  const client = new pb.JobsClient(address, grpc.credentials.createInsecure());
  const call = client.run();
  const outcome: RawJobOutcome = { jobId: '', succeeded: 0, failed: 0 };
  return new Promise<RawJobOutcome>((resolve, reject) => {
    call.on('data', (response: pb.JobResponse) => {
      const msg = response.msg;
      if (msg?.$case === 'opened') {
        outcome.jobId = msg.value.jobId;
      } else if (msg?.$case === 'results') {
        let through = 0;
        for (const result of msg.value.results) {
          if (result.outcome?.$case === 'failure') outcome.failed += 1;
          else outcome.succeeded += 1;
          through = Math.max(through, result.rseq);
        }
        call.write({ msg: { $case: 'resultsReceived', value: { throughRseq: through } } });
      } else if (msg?.$case === 'end') {
        call.end();
        if (msg.value.state === 'completed') resolve(outcome);
        else reject(new Error(`job ${outcome.jobId} ended ${msg.value.state}: ${msg.value.message}`));
      }
    });
    call.on('error', reject);
    call.on('close', () => client.close());
    call.write({ msg: { $case: 'open', value: { function: fn, name, requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: '', unschedulableWaitMs: 0, resultsBatchMax: 0 } } });
    const tasks = argumentLists.map((args, seq) => {
      const payload = encodeValue([args]);
      return { seq, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), items: 1, firstIndex: seq };
    });
    call.write({ msg: { $case: 'inputs', value: { tasks } } });
    call.write({ msg: { $case: 'inputEnd', value: { totalTasks: tasks.length } } });
  });
}
