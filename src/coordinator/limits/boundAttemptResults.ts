import type { pb } from '../../protocol/index.ts';
import type { Limits } from './Limits.ts';
import { limitFlag } from './limitFlag.ts';

/** Stable code of the failure that replaces a result over `maxResultBytes`. */
const RESULT_TOO_LARGE_CODE = 'DROVER_RESULT_TOO_LARGE';

/**
 * An agent's results with every one over `maxResultBytes` (its value, or its failure's texts)
 * replaced by a failure of kind `error`, code `DROVER_RESULT_TOO_LARGE`, that names the limit and
 * the flag: the task fails, its job and the agent go on. Returns `results` itself when nothing is
 * over (the common case allocates nothing).
 */
export function boundAttemptResults(results: pb.AttemptResult[], limits: Limits): pb.AttemptResult[] {
  let bounded: pb.AttemptResult[] | undefined;
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    const size = outcomeSize(result.outcome);
    if (size <= limits.maxResultBytes) continue;
    bounded ??= results.slice();
    bounded[i] = {
      ...result,
      outcome: {
        $case: 'failure',
        value: {
          kind: 'error',
          name: 'ResultTooLargeError',
          message: `the task's result is ${size} bytes, over the coordinator's limit of ${limits.maxResultBytes} bytes per result (set with drover coordinator ${limitFlag('maxResultBytes')}); return less, or store big outputs with context.storeFile and return their digest`,
          stack: '',
          itemOffset: 0,
          exitCode: 0,
          signal: '',
          stderrTail: '',
          retryable: false,
          code: RESULT_TOO_LARGE_CODE,
        },
      },
    };
  }
  return bounded ?? results;
}

function outcomeSize(outcome: pb.AttemptResult['outcome']): number {
  if (outcome === undefined) return 0;
  if (outcome.$case === 'value') return outcome.value.length;
  const f = outcome.value;
  return f.kind.length + f.name.length + f.message.length + f.stack.length + f.signal.length + f.stderrTail.length + f.code.length;
}
