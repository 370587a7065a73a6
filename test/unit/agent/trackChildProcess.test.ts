import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, isDead, ServicesHarness } from './servicesHarness.ts';

describe('context.trackChildProcess', () => {
  let h: ServicesHarness;
  const pids: number[] = [];
  beforeAll(async () => {
    h = await ServicesHarness.start();
  });
  afterEach(() => {
    // Whatever a failing test left behind.
    for (const pid of pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });
  afterAll(async () => {
    await h?.stop();
  });

  /** Start `spawnGroup(note, then)`; wait until it noted its sh and sleep pids. */
  const start = async (then: string, extra = {}) => {
    const name = `group-${then}`;
    const id = h.assign('spawnGroup', [h.note(name), then], extra);
    await eventually(() => h.read(name).includes(' '), 'the task spawned its process group');
    const [sh, sleep] = h.read(name).split(' ').map(Number);
    pids.push(sh, sleep);
    // (A task that ends right away may already have had its group killed.)
    if (then === 'hang' || then === 'untrack') {
      expect(isDead(sh)).toBe(false);
      expect(isDead(sleep)).toBe(false);
    }
    return { id, sh, sleep };
  };

  it('kills the whole tracked process group when its task times out', async () => {
    const { id, sh, sleep } = await start('hang', { timeoutMs: 600 });
    const r = await h.result(id);
    expect(r.outcome).toMatchObject({ $case: 'failure', value: { kind: 'timeout' } });
    await eventually(() => isDead(sh) && isDead(sleep), 'the sh and its sleep killed', 3000);
  });

  it('kills it when the worker crashes', async () => {
    const { id, sh, sleep } = await start('exit');
    expect((await h.result(id)).outcome).toMatchObject({ $case: 'failure', value: { kind: 'crashed' } });
    await eventually(() => isDead(sh) && isDead(sleep), 'the sh and its sleep killed', 3000);
  });

  it('kills it when the task returns with the group still tracked', async () => {
    const { id, sh, sleep } = await start('return');
    expect((await h.result(id)).outcome?.$case).toBe('value');
    await eventually(() => isDead(sh) && isDead(sleep), 'the sh and its sleep killed', 3000);
  });

  it('leaves an untracked group alone', async () => {
    const { id, sh, sleep } = await start('untrack');
    expect((await h.result(id)).outcome?.$case).toBe('value');
    await new Promise((r) => setTimeout(r, 300));
    expect(isDead(sh)).toBe(false);
    expect(isDead(sleep)).toBe(false);
    process.kill(-sh, 'SIGKILL');
  });

  it('refuses pids that are not detached children of the worker', async () => {
    for (const pid of [1, -1, 0, 1.5, process.pid]) {
      const e = await h.value<{ name: string; message: string } | null>('trackBad', [pid]);
      expect(e?.name, `pid ${pid}`).toBe('TypeError');
    }
    const attached = await h.value<{ name: string; message: string }>('trackBad', ['attached']);
    expect(attached.message).toContain('spawn it with { detached: true }');
  });
});
