// Per-principal quotas hold across a coordinator restart: the open jobs a restarted coordinator
// resumes from its data directory count against their owners as they did before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { Coordinator, type CoordinatorOptions } from '../../src/coordinator/index.ts';
import { FakeJob, waitFor } from '../unit/coordinator/fakes.ts';
import { BUNDLE, FN, newToken, RawClients } from './securityCluster.ts';

const tokens = { alice: newToken(), bob: newToken(), root: newToken() };
const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function startCoordinator(dataDir: string): Promise<Coordinator> {
  const options: CoordinatorOptions = {
    listen: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    dataDir,
    tokens: [
      { role: 'client', principal: 'alice', token: tokens.alice },
      { role: 'client', principal: 'bob', token: tokens.bob },
      { role: 'admin', principal: 'root', token: tokens.root },
    ],
    limits: { maxOpenJobsPerPrincipal: 2, maxQueuedTasksPerPrincipal: 5 },
  };
  const coordinator = new Coordinator(options);
  await coordinator.start();
  return coordinator;
}

function clients(coordinator: Coordinator, token: string): RawClients {
  const c = new RawClients(coordinator.address, token);
  cleanup.push(() => c.close());
  return c;
}

/** Opens a job with `tasks` tasks queued (no agent runs them) and leaves it open. */
async function openJob(c: RawClients, tasks = 0): Promise<FakeJob> {
  const job = new FakeJob(c.jobs);
  job.open({ function: FN });
  await job.jobId();
  if (tasks > 0) job.send(0, tasks);
  return job;
}

it('counts the open jobs (and their queued tasks) a restarted coordinator resumed against their owner', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-quota-restart-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startCoordinator(dir);
  const alice = clients(first, tokens.alice);
  await alice.put(BUNDLE);
  const jobs = [await openJob(alice, 3), await openJob(alice, 2)];
  await waitFor(() => jobs.every((job) => job.inputsAccepted().length > 0), 'inputs accepted');
  for (const job of jobs) job.call.cancel();
  await first.stop();

  const second = await startCoordinator(dir);
  cleanup.push(() => second.stop());
  const alice2 = clients(second, tokens.alice);
  expect((await alice2.list()).jobs.filter((j) => j.state === 'open')).toHaveLength(2);
  // A third job is one over alice's quota, as it was before the restart.
  const third = new FakeJob(alice2.jobs);
  third.open({ function: FN });
  await waitFor(() => third.status ?? third.responses[0], 'the third job opened or refused');
  expect(third.status).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringContaining('has 2 open jobs') });
  expect(third.responses).toEqual([]);
  // Her resumed jobs' queued tasks count too: one more task is over the 5 she may queue.
  const resumed = new FakeJob(alice2.jobs);
  resumed.call.write({ msg: { $case: 'attach', value: { jobId: await jobs[1].jobId(), afterRseq: 0 } } });
  resumed.send(2, 1);
  await waitFor(() => resumed.status !== undefined, 'the over-quota batch refused');
  expect(resumed.status).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringContaining('tasks queued or running (5) plus this batch (1)') });
  // Another principal is not affected.
  const bob = clients(second, tokens.bob);
  await bob.put(BUNDLE);
  await openJob(bob);
});

it('counts a job against its owner, not against an admin who attaches to it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-quota-attach-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const coordinator = await startCoordinator(dir);
  cleanup.push(() => coordinator.stop());
  const alice = clients(coordinator, tokens.alice);
  await alice.put(BUNDLE);
  const aliceJobs = [await openJob(alice), await openJob(alice)];
  const root = clients(coordinator, tokens.root);
  for (const job of aliceJobs) {
    const watching = new FakeJob(root.jobs);
    watching.attach(await job.jobId(), 0);
    await watching.opened();
  }
  // root attached to two jobs (its own quota is 2 open jobs) and may still open two of its own.
  await root.put(BUNDLE);
  const own = [await openJob(root), await openJob(root)];
  expect(await Promise.all(own.map((job) => job.jobId()))).toHaveLength(2);
});
