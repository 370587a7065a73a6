import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildOnRampScenario,
  isRetryableSumoFailure,
  parseStatistics,
  pickFreePort,
  startSumoWithTraci,
  SumoCrashError,
  SumoScenarioError,
  TraciConnectionError,
  type OnRampScenario,
  type SumoWithTraci,
} from '../../../src/sumo/index.ts';
import { sumoMissing } from './sumoMissing.ts';

async function runToEnd(sumo: SumoWithTraci): Promise<number> {
  let steps = 0;
  for (;;) {
    const [, expected] = await Promise.all([sumo.client.simulationStep(), sumo.client.simulation.getMinExpectedVehicles()]);
    steps++;
    if (expected === 0) return steps;
  }
}

describe.skipIf(sumoMissing)('startSumoWithTraci', () => {
  let dir = '';
  let scenario: OnRampScenario;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-start-sumo-'));
    scenario = await buildOnRampScenario({ dir, mainlineFlow: 3000, rampFlow: 900, end: 200, profile: [{ until: 1, factor: 1 }] });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('starts two instances at once on distinct ports, each driving its own run', async () => {
    const start = (name: string): Promise<SumoWithTraci> =>
      startSumoWithTraci({ args: ['-c', scenario.cfg, '--seed', '5', '--statistic-output', `${name}.xml`], cwd: dir });
    const [a, b] = await Promise.all([start('a'), start('b')]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.process.pid).not.toBe(b.process.pid);
      const [stepsA, stepsB] = await Promise.all([runToEnd(a), runToEnd(b)]);
      expect(stepsA).toBe(stepsB);
      await Promise.all([a.finish(), b.finish()]);
    } finally {
      await Promise.all([a[Symbol.asyncDispose](), b[Symbol.asyncDispose]()]);
    }
    // Same seed, same statistics, though driven by two clients at once.
    const [statsA, statsB] = await Promise.all(['a', 'b'].map(async (n) => parseStatistics(await readFile(join(dir, `${n}.xml`), 'utf8'))));
    expect(statsA.vehicleTripStatistics).toEqual(statsB.vehicleTripStatistics);
    expect(statsA.vehicles.inserted).toBeGreaterThan(100);
  });

  describe('when the picked port is taken before SUMO binds it', () => {
    let squatter: Server;
    let squattedPort = 0;
    const held: Socket[] = [];

    beforeAll(async () => {
      // Accepts connections and never answers: the worst case, a client talking to the wrong process.
      squatter = createServer((socket) => void held.push(socket));
      await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
      squattedPort = (squatter.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    });

    it('retries with a new port', async () => {
      const offered: number[] = [];
      const ports = [squattedPort];
      const sumo = await startSumoWithTraci({
        args: ['-c', scenario.cfg, '--seed', '1'],
        cwd: dir,
        pickPort: async () => {
          const port = ports.shift() ?? (await pickFreePort());
          offered.push(port);
          return port;
        },
      });
      try {
        expect(sumo.attempts).toBe(2);
        expect(offered[0]).toBe(squattedPort);
        expect(sumo.port).toBe(offered[1]);
        expect((await sumo.client.getVersion()).apiVersion).toBeGreaterThanOrEqual(20);
        await sumo.finish();
      } finally {
        await sumo[Symbol.asyncDispose]();
      }
    });

    it('with a fixed port, reports the race as a retryable TraciConnectionError', async () => {
      const error = await startSumoWithTraci({ args: ['-c', scenario.cfg], cwd: dir, port: squattedPort }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TraciConnectionError);
      expect((error as TraciConnectionError).message).toMatch(/could not listen on its TraCI port.*Address already in use/);
      expect(isRetryableSumoFailure(error)).toBe(true);
    });
  });

  it('reports a scenario SUMO refuses as a non-retryable SumoScenarioError, without retrying', async () => {
    const broken = join(dir, 'broken.sumocfg');
    await writeFile(broken, '<configuration><input><net-file value="missing.net.xml"/></input></configuration>');
    let picks = 0;
    const error = await startSumoWithTraci({ args: ['-c', broken], cwd: dir, pickPort: () => (picks++, pickFreePort()) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SumoScenarioError);
    expect(error).toMatchObject({ code: 'DROVER_SUMO_SCENARIO', retryable: false, exitCode: 1 });
    expect((error as Error).message).toMatch(/missing\.net\.xml.*not accessible/);
    expect(picks).toBe(1);
    expect(isRetryableSumoFailure(error)).toBe(false);
  });

  it('reports SUMO dying mid-run as a retryable SumoCrashError from the waiting call', async () => {
    const sumo = await startSumoWithTraci({ args: ['-c', scenario.cfg, '--seed', '1'], cwd: dir });
    try {
      await sumo.client.simulationStep(20);
      sumo.process.kill('SIGSEGV');
      const error = await (async () => {
        for (;;) await sumo.client.simulationStep();
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SumoCrashError);
      expect(error).toMatchObject({ code: 'DROVER_SUMO_CRASH', retryable: true, signal: 'SIGSEGV' });
      expect((error as Error).cause).toBeInstanceOf(TraciConnectionError);
      // Calls made after the loss get the same explanation.
      await expect(sumo.client.simulation.getTime()).rejects.toThrow(SumoCrashError);
    } finally {
      await sumo[Symbol.asyncDispose]();
    }
  });

  it('stops SUMO when the caller aborts', async () => {
    const controller = new AbortController();
    const sumo = await startSumoWithTraci({ args: ['-c', scenario.cfg], cwd: dir, signal: controller.signal });
    controller.abort(new Error('cancelled by the job'));
    const exit = await sumo.process.exited;
    expect(exit.signal ?? exit.code).toBeTruthy();
    await sumo[Symbol.asyncDispose]();
  });
});
