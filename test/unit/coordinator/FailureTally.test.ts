import { describe, expect, it } from 'vitest';
import { FailureTally } from '../../../src/coordinator/FailureTally.ts';
import type { pb } from '../../../src/protocol/index.ts';

function failure(fields: Partial<pb.TaskFailure>): pb.TaskFailure {
  return { kind: 'error', name: 'Error', message: 'boom', stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '', retryable: false, code: '', ...fields };
}

describe('FailureTally', () => {
  it('counts failures by kind and keeps the last 20, newest first, with their place in the input', () => {
    const tally = new FailureTally();
    for (let seq = 0; seq < 25; seq++) tally.add(failure({ kind: seq % 5 === 0 ? 'timeout' : '', itemOffset: 1 }), { seq, firstIndex: seq * 10, attempt: 2, agent: 'a1' }, 1000 + seq);
    expect(tally.byKind()).toEqual({ timeout: 5, unknown: 20 });
    const recent = tally.recent();
    expect(recent.map((f) => f.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 24 - i));
    expect(recent[0]).toMatchObject({ seq: 24, index: 241, kind: 'unknown', attempt: 2, agent: 'a1', atMs: 1024 });
  });

  it('keeps a bounded amount of every text a task chooses (name, message, code), however large the failure', () => {
    // A task's code picks its error's name and code as freely as its message; a result may be megabytes.
    const huge = 'x'.repeat(1024 * 1024);
    const tally = new FailureTally();
    for (let seq = 0; seq < FailureTally.RECENT; seq++) {
      tally.add(failure({ kind: huge, name: huge, message: huge, code: huge, signal: huge }), { seq, firstIndex: seq, attempt: 1, agent: 'a1' });
    }
    const kept = JSON.stringify({ recent: tally.recent(), byKind: tally.byKind() }).length;
    expect(kept).toBeLessThan(FailureTally.RECENT * 6 * (FailureTally.MESSAGE_CHARS + 200));
    const [last] = tally.recent();
    for (const text of [last.kind, last.name, last.message, last.code, last.signal]) expect(text).toBe(`${'x'.repeat(FailureTally.MESSAGE_CHARS)}…`);
  });
});
