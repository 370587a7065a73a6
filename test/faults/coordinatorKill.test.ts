// kill -9 the coordinator three times mid-job and restart it on the same data dir: the job completes,
// the SDK re-attaches, every result arrives exactly once.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { multisetDiff, useFaultPool } from './FaultCluster.ts';

const env = useFaultPool({ leaseMs: 3000, agentGraceMs: 1000 }, 2);
const { cluster } = env;

it('survives three kill -9s of the coordinator mid-job: no result lost, none duplicated', async () => {
  const { pool, tasks } = env;
  const n = 3000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const got: number[] = [];
  let restarts = 0;
  // Kill when a third, half and two thirds of the results are in, so each crash hits a running job.
  const marks = [Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4)];
  let crash: Promise<void> = Promise.resolve();
  // A lazily generated input, so that input streaming is interrupted by the crashes too.
  function* inputs() {
    for (const x of xs) yield x;
  }
  for await (const v of pool.imapUnordered(tasks.slowDouble, inputs(), { chunksize: 1, window: 256 })) {
    got.push(v);
    if (marks.length > 0 && got.length >= marks[0]!) {
      marks.shift();
      crash = crash.then(async () => {
        await cluster.killCoordinator();
        await new Promise((r) => setTimeout(r, 200));
        await cluster.startCoordinator();
        restarts++;
      });
    }
  }
  await crash;
  expect(restarts).toBe(3);
  expect(got.length).toBe(n);
  expect(multisetDiff(got, xs.map((x) => 2 * x))).toEqual({ lost: [], duplicated: [] });
}, 180_000);

it('keeps map results in input order across a coordinator restart', async () => {
  const { pool, tasks } = env;
  const xs = Array.from({ length: 400 }, (_, i) => i);
  const result = pool.map(tasks.slowDouble, xs, { chunksize: 1 });
  await new Promise((r) => setTimeout(r, 300));
  await cluster.killCoordinator();
  await cluster.startCoordinator();
  expect(await result).toEqual(xs.map((x) => 2 * x));
}, 120_000);

it('restarts gracefully on SIGTERM: the coordinator exits 0, the job resumes and completes exactly', async () => {
  const { pool, tasks } = env;
  const xs = Array.from({ length: 800 }, (_, i) => i);
  const got: number[] = [];
  let restarted = false;
  for await (const v of pool.imapUnordered(tasks.slowDouble, xs, { chunksize: 1 })) {
    got.push(v);
    if (!restarted && got.length === 200) {
      restarted = true;
      const c = cluster.coordinator!;
      const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
      c.kill('SIGTERM');
      expect(await exited).toBe(0);
      await cluster.startCoordinator();
    }
  }
  expect(restarted).toBe(true);
  expect(multisetDiff(got, xs.map((x) => 2 * x))).toEqual({ lost: [], duplicated: [] });
}, 120_000);

it('replays large inputs (each a message of its own) not yet stored when the coordinator is killed', async () => {
  const { pool, tasks } = env;
  // Over 1 MiB each, so the SDK keeps every big one whole (ReplayBuffer.keep) between small ones in its ring.
  const inputs = Array.from({ length: 24 }, (_, i) =>
    i % 3 === 0 ? new Uint8Array(64).fill(i) : new Uint8Array(1_200_000 + i).map((_, j) => (i * 31 + j) % 256));
  const checksum = (data: Uint8Array) => {
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum = (sum + data[i]! * (i + 1)) % 1_000_000_007;
    return sum;
  };
  // Killed while the inputs are still streaming in: the window holds the SDK back after 4 tasks.
  const result = pool.map(tasks.checksum, inputs, { chunksize: 1, window: 4 });
  await new Promise((r) => setTimeout(r, 150));
  await cluster.killCoordinator();
  await new Promise((r) => setTimeout(r, 200));
  await cluster.startCoordinator();
  expect(await result).toEqual(inputs.map(checksum));
}, 120_000);

it('keeps large inputs and results in payload files across kill -9s, and removes every file once the job is done', async () => {
  const { pool, tasks } = env;
  const payloads = join(cluster.dataDir, 'drover.sqlite-payloads');
  // 600 KB each, over the store's 256 KiB: every input and result run of this job goes to a file.
  const inputs = Array.from({ length: 40 }, (_, i) => new Uint8Array(600_000).map((_, j) => (i * 7 + j * 13) % 256));
  const result = pool.map(tasks.slowReverse, inputs, { chunksize: 1 });
  const seen: number[] = [];
  for (let k = 0; k < 2; k++) {
    await new Promise((r) => setTimeout(r, 250));
    seen.push(readdirSync(payloads).length);
    await cluster.killCoordinator();
    await new Promise((r) => setTimeout(r, 200));
    await cluster.startCoordinator();
  }
  const out = await result;
  expect(Math.max(...seen)).toBeGreaterThan(0);
  expect(out.length).toBe(inputs.length);
  out.forEach((o, i) => expect(Buffer.from(o).equals(Buffer.from(inputs[i]!.slice().reverse()))).toBe(true));
  // The client has every result: the job's rows go, and their files with them.
  const deadline = Date.now() + 10_000;
  while (readdirSync(payloads).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(readdirSync(payloads)).toEqual([]);
}, 120_000);
