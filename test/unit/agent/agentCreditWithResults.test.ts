import { afterEach, describe, expect, it } from 'vitest';
import { encodeValue } from '../../../src/protocol/index.ts';
import { AgentRig } from './AgentRig.ts';

describe('Agent credit inside results', () => {
  const rig = new AgentRig();
  afterEach(() => rig.stop());

  /** Runs `count` tasks one after another (each assigned once the previous result is in); returns the session. */
  const runSequentially = async (creditWithResults: boolean, count: number) => {
    const { c, digest } = await rig.start({ prefetch: 0 }, (fake) => (fake.creditWithResults = creditWithResults));
    const s = c.last;
    await c.until(() => c.credit(s) === 1);
    for (let i = 0; i < count; i++) {
      c.send(s, {
        $case: 'assign',
        value: { acceptedAttemptIds: [], tasks: [{ attemptId: `t${i}`, jobId: 'j', seq: i, attempt: 1, function: { bundleDigest: digest, exportName: 'square' }, payload: Buffer.from(encodeValue([[i]])), items: 1, timeoutMs: 0, slots: 1, firstIndex: i, resultWaitMs: 0 }] },
      });
      await c.until(() => c.results(s).has(`t${i}`) && c.credit(s) === i + 2);
    }
    return { c, s };
  };

  it('grants the credit a result frees inside that results message when the coordinator takes it there', async () => {
    const { c, s } = await runSequentially(true, 20);
    // Only the credit of the registration came on its own; every later grant rode with a result.
    expect(c.of(s, 'credit').map((m) => m.tasks)).toEqual([1]);
    expect(c.of(s, 'results').reduce((n, b) => n + b.credit, 0)).toBe(20);
  });

  it('sends credit in messages of its own to a coordinator that does not say it takes it with results', async () => {
    const { c, s } = await runSequentially(false, 20);
    expect(c.of(s, 'results').every((b) => b.credit === 0)).toBe(true);
    expect(c.of(s, 'credit').reduce((n, m) => n + m.tasks, 0)).toBe(21);
  });
});
