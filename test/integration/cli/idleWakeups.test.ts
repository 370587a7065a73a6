// An idle cluster should cost next to nothing: `drover local` with nothing to do wakes its main
// thread only for its own periodic work (heartbeats, lease checks, metric sampling), not 100 times a
// second. Counted by the kernel (/proc/<pid>/task/<pid>/schedstat: times the thread was scheduled),
// so the figure does not depend on how fast the machine is.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDrover, stopProcess } from '../ProcessCluster.ts';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => stopProcess(c)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Times the process's main thread has been scheduled onto a CPU so far. */
function mainThreadRuns(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[2]);
}

describe.skipIf(!existsSync('/proc/self/schedstat'))('an idle drover local', () => {
  it('wakes its main thread fewer than 50 times a second (prom-client alone used to make it 100)', async () => {
    const data = mkdtempSync(join(tmpdir(), 'drover-idle-'));
    dirs.push(data);
    const { child } = await startDrover(['local', '--listen', '127.0.0.1:0', '--processes', '1', '--data', data], /listening on/, { DROVER_LOG_LEVEL: 'warn' });
    children.push(child);
    // Start-up work (the worker's first message, the first heartbeat) is over by then.
    await new Promise((r) => setTimeout(r, 1000));
    const before = mainThreadRuns(child.pid!);
    const seconds = 3;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const perSecond = (mainThreadRuns(child.pid!) - before) / seconds;
    expect(perSecond).toBeLessThan(50);
  });
});
