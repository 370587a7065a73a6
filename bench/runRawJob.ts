// A client job over the raw Jobs protocol (no SDK, no bundle): N one-item tasks in batches, with a
// window of unacknowledged tasks, acknowledging results as they come. Used by P7 so that the SDK's
// own cost does not blur what the coordinator does with many agents.
import * as grpc from '@grpc/grpc-js';
import { encode } from 'cbor-x';
import { pb } from '../src/protocol/index.ts';

const PAYLOAD = Buffer.from(encode([[1]])); // one chunk holding one item's argument list

/** Seconds from open to end. The fake agents never load the function, so any digest does. */
export async function runRawJob(address: string, tasks: number, window = 20_000, batch = 1000): Promise<number> {
  const jobs = new pb.JobsClient(address, grpc.credentials.createInsecure());
  const call = jobs.run();
  let sent = 0;
  let received = 0;
  const pump = (): void => {
    while (sent < tasks && sent - received < window) {
      const n = Math.min(batch, tasks - sent);
      const inputs = Array.from({ length: n }, (_, i) => ({ seq: sent + i, payload: PAYLOAD, items: 1, firstIndex: sent + i }));
      call.write({ msg: { $case: 'inputs', value: { tasks: inputs } } });
      sent += n;
      if (sent === tasks) call.write({ msg: { $case: 'inputEnd', value: { totalTasks: tasks } } });
    }
  };
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    call.on('data', (m: pb.JobResponse) => {
      if (m.msg?.$case === 'results') {
        received += m.msg.value.results.length;
        call.write({ msg: { $case: 'resultsReceived', value: { throughRseq: m.msg.value.results.at(-1)!.rseq } } });
        pump();
      } else if (m.msg?.$case === 'end') {
        call.end();
        resolve();
      }
    });
    call.on('error', reject);
    call.write({
      msg: { $case: 'open', value: { function: { bundleDigest: 'f'.repeat(64), exportName: 'noop' }, name: 'bench-p7', requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: '', unschedulableWaitMs: 0, resultsBatchMax: 0 } },
    });
    pump();
  });
  const seconds = (performance.now() - t0) / 1000;
  jobs.close();
  if (received !== tasks) throw new Error(`received ${received} results for ${tasks} tasks`);
  return seconds;
}
