// Large inputs and results between the pool and its workers go as files in each worker's handoff
// directory (WorkerHandoff), and nothing is left there; small ones and other users' workers keep the pipe.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { WorkerHandoff } from '../../../src/agent/WorkerHandoff.ts';
import { HANDOFF_BYTES } from '../../../src/agent/worker/HANDOFF_BYTES.ts';
import { PoolHarness } from './poolHarness.ts';

describe('worker handoff directories', () => {
  it('moves inputs and results over HANDOFF_BYTES as files, byte for byte, and leaves none behind', async () => {
    let h: PoolHarness | undefined;
    const work = join((await import('node:os')).tmpdir(), `drover-handoff-pool-${process.pid}`);
    const writes = vi.spyOn(WorkerHandoff.prototype, 'writeInput');
    const reads = vi.spyOn(WorkerHandoff.prototype, 'readResult');
    try {
      h = await PoolHarness.start(2, [], { handoffDir: work });
      const dirs = readdirSync(work).filter((n) => n.startsWith(`handoff-${process.pid}-`));
      expect(dirs).toHaveLength(2);
      const big = new Uint8Array(HANDOFF_BYTES + 1000).map((_, i) => (i * 31) & 255);
      const small = new Uint8Array(1000).fill(3);
      const results = await Promise.all([big, small, big].map((x) => h!.value<Uint8Array[]>(h!.submit('echo', [[x]]))));
      expect(results.map(([r]) => Buffer.from(r!).equals(Buffer.from(r!.length === big.length ? big : small)))).toEqual([true, true, true]);
      expect(results.map(([r]) => r!.length)).toEqual([big.length, small.length, big.length]);
      // A large result from a small input (a string over the limit).
      expect((await h.value<string[]>(h.submit('text', [[HANDOFF_BYTES * 2]])))[0]).toHaveLength(HANDOFF_BYTES * 2);
      // Only the large ones went as files, each way.
      expect(writes.mock.results.map((r) => r.value)).toEqual([expect.stringMatching(/^in\.att-0$/), expect.stringMatching(/^in\.att-2$/)]);
      expect(reads.mock.calls.map(([name]) => name).sort()).toEqual(['out.att-0', 'out.att-2', 'out.att-3']);
      // The worker sees its own directory, empty once its input was read.
      const [listing] = await h.value<string[][]>(h.submit('handoffListing', [[]]));
      expect(listing).toEqual([]);
      for (const d of dirs) expect(readdirSync(join(work, d))).toEqual([]);
      await h.stop();
      h = undefined;
      // Each directory went with its worker.
      expect(readdirSync(work).filter((n) => n.startsWith('handoff-'))).toEqual([]);
    } finally {
      writes.mockRestore();
      reads.mockRestore();
      await h?.stop();
      (await import('node:fs')).rmSync(work, { recursive: true, force: true });
    }
  });

  it('gives a worker no handoff directory without one configured: large values go through the pipe', async () => {
    const h = await PoolHarness.start(1);
    try {
      const big = new Uint8Array(HANDOFF_BYTES * 2).fill(9);
      const [r] = await h.value<Uint8Array[]>(h.submit('echo', [[big]]));
      expect(Buffer.from(r!).equals(Buffer.from(big))).toBe(true);
      expect(await h.value(h.submit('handoffListing', [[]]))).toEqual([null]);
    } finally {
      await h.stop();
    }
  });
});
