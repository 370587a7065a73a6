// node bench/coordinatorThroughput.ts — tasks/s through the coordinator alone: a coordinator
// process (in memory, or on a data dir with synchronous NORMAL or FULL) between a fake client and
// a fake agent that answers at once, all over real gRPC on loopback. It measures what the
// coordinator's scheduling, group commit and batching sustain, without worker processes.
// Env: TASKS (default 200000), WINDOW (20000), BATCH (tasks per input message, 1000),
// CREDIT (agent credit, 4000), MODES (comma list of memory,normal,full).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Coordinator } from '../src/coordinator/index.ts';
import { pb } from '../src/protocol/index.ts';

if (process.argv[2] === '--serve') {
  const dataDir = process.env.DATA_DIR || undefined;
  const coordinator = new Coordinator({
    listen: '127.0.0.1:0',
    logger: pino({ level: 'warn' }),
    ...(dataDir ? { dataDir } : {}),
    synchronous: process.env.SYNC === 'full' ? 'full' : 'normal',
  });
  await coordinator.start();
  process.send!({ address: coordinator.address });
  process.on('message', () => void coordinator.stop().then(() => process.exit(0)));
} else {
  const tasks = Number(process.env.TASKS ?? 200_000);
  const window = Number(process.env.WINDOW ?? 20_000);
  const batch = Number(process.env.BATCH ?? 1000);
  const credit = Number(process.env.CREDIT ?? 4000);
  const modes = (process.env.MODES ?? 'memory,normal,full').split(',');
  console.log(`coordinator throughput: ${tasks.toLocaleString('en')} tasks, window ${window}, ${batch} tasks per input message, agent credit ${credit}`);
  for (const mode of modes) {
    const dir = mode === 'memory' ? '' : mkdtempSync(join(tmpdir(), 'drover-bench-'));
    const child = fork(new URL(import.meta.url).pathname, ['--serve'], { env: { ...process.env, DATA_DIR: dir, SYNC: mode } });
    const { address } = await new Promise<{ address: string }>((resolve) => child.once('message', (m) => resolve(m as { address: string })));
    const seconds = await run(address, tasks, window, batch, credit);
    const latency = await roundTrips(address, Number(process.env.ROUND_TRIPS ?? 300));
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(
      `${mode.padEnd(8)} ${Math.round(tasks / seconds).toLocaleString('en').padStart(10)} tasks/s  (${seconds.toFixed(2)} s);` +
        `  one-task job round trip p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`,
    );
  }
}

/** Sequential one-task jobs (open, input, end → result, end): the latency the commits add. */
async function roundTrips(address: string, count: number): Promise<{ p50: number; p99: number }> {
  const credentials = grpc.credentials.createInsecure();
  const agents = new pb.AgentsClient(address, credentials);
  const jobs = new pb.JobsClient(address, credentials);
  const agent = agents.connect();
  agent.on('error', () => {});
  agent.on('data', (m: pb.CoordinatorMessage) => {
    if (m.msg?.$case !== 'assign') return;
    const results = m.msg.value.tasks.map((t): pb.AttemptResult => ({ attemptId: t.attemptId, outcome: { $case: 'value', value: t.payload }, worker: 'w', durationMs: 0 }));
    agent.write({ msg: { $case: 'results', value: { results, credit: results.length } } });
  });
  const capacity: pb.Capacity = { cpus: 1, memoryMb: 1024, slots: 1, sumoVersion: '', sumoHome: '', labels: {}, resources: {}, hostname: 'bench', platform: 'linux', nodeVersion: process.version, sumoTools: false, sumoTraci: false, sumoLibsumo: false };
  agent.write({ msg: { $case: 'register', value: { name: 'latency-agent', capacity, version: 'bench', runningAttemptIds: [], acksWithAssign: false } } });
  agent.write({ msg: { $case: 'credit', value: { tasks: 4 } } });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const call = jobs.run();
      call.on('data', (m: pb.JobResponse) => {
        if (m.msg?.$case === 'end') {
          call.end();
          resolve();
        }
      });
      call.on('error', reject);
      call.write({ msg: { $case: 'open', value: { function: { bundleDigest: 'a'.repeat(64), exportName: 'noop' }, name: 'rt', requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: '', unschedulableWaitMs: 0, resultsBatchMax: 0 } } });
      call.write({ msg: { $case: 'inputs', value: { tasks: [{ seq: 0, payload: Buffer.from([0x81, 0x81, 0x01]), items: 1, firstIndex: 0 }] } } });
      call.write({ msg: { $case: 'inputEnd', value: { totalTasks: 1 } } });
    });
    if (i >= 20) times.push(performance.now() - t0);
  }
  agent.end();
  agents.close();
  jobs.close();
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

async function run(address: string, tasks: number, window: number, batch: number, credit: number): Promise<number> {
  const credentials = grpc.credentials.createInsecure();
  const agents = new pb.AgentsClient(address, credentials);
  const jobs = new pb.JobsClient(address, credentials);
  const agent = agents.connect();
  agent.on('error', () => {});
  agent.on('data', (m: pb.CoordinatorMessage) => {
    if (m.msg?.$case !== 'assign') return;
    const results = m.msg.value.tasks.map((t): pb.AttemptResult => ({ attemptId: t.attemptId, outcome: { $case: 'value', value: t.payload }, worker: 'w', durationMs: 0 }));
    agent.write({ msg: { $case: 'results', value: { results, credit: results.length } } });
  });
  const capacity: pb.Capacity = { cpus: 64, memoryMb: 65536, slots: 64, sumoVersion: '', sumoHome: '', labels: {}, resources: {}, hostname: 'bench', platform: 'linux', nodeVersion: process.version, sumoTools: false, sumoTraci: false, sumoLibsumo: false };
  agent.write({ msg: { $case: 'register', value: { name: 'bench-agent', capacity, version: 'bench', runningAttemptIds: [], acksWithAssign: false } } });
  agent.write({ msg: { $case: 'credit', value: { tasks: credit } } });

  const started = performance.now();
  const call = jobs.run();
  let sent = 0;
  let received = 0;
  let lastRseq = 0;
  const payload = Buffer.from([0x81, 0x81, 0x01]); // [[1]]
  const pump = (): void => {
    while (sent < tasks && sent - received < window) {
      const n = Math.min(batch, tasks - sent);
      const inputs = Array.from({ length: n }, (_, i) => ({ seq: sent + i, payload, items: 1, firstIndex: sent + i }));
      call.write({ msg: { $case: 'inputs', value: { tasks: inputs } } });
      sent += n;
      if (sent === tasks) call.write({ msg: { $case: 'inputEnd', value: { totalTasks: tasks } } });
    }
  };
  await new Promise<void>((resolve, reject) => {
    call.on('data', (m: pb.JobResponse) => {
      if (m.msg?.$case === 'results') {
        received += m.msg.value.results.length;
        lastRseq = m.msg.value.results.at(-1)!.rseq;
        call.write({ msg: { $case: 'resultsReceived', value: { throughRseq: lastRseq } } });
        pump();
      } else if (m.msg?.$case === 'end') {
        call.end();
        resolve();
      }
    });
    call.on('error', reject);
    call.write({
      msg: { $case: 'open', value: { function: { bundleDigest: 'a'.repeat(64), exportName: 'noop' }, name: 'bench', requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: '', unschedulableWaitMs: 0, resultsBatchMax: 0 } },
    });
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  if (received !== tasks) throw new Error(`received ${received} results for ${tasks} tasks`);
  agent.end();
  agents.close();
  jobs.close();
  return seconds;
}
