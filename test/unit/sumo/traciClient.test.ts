import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildOnRampScenario,
  ON_RAMP,
  startSumoWithTraci,
  TraciClient,
  TraciConnectionError,
  TraciError,
  type OnRampScenario,
  type SumoWithTraci,
} from '../../../src/sumo/index.ts';
import { sumoMissing } from './sumoMissing.ts';

describe('TraciClient against a server that hangs up', () => {
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    // Answers the first request with 9 bytes of a 20-byte reply, then closes.
    server = createServer((socket) => {
      socket.once('data', () => {
        const partial = Buffer.alloc(9);
        partial.writeInt32BE(20, 0);
        socket.end(partial);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('rejects the waiting call with a clear connection error, and every later call too', async () => {
    const client = await TraciClient.connect({ port });
    const reply = client.getVersion();
    await expect(reply).rejects.toThrow(TraciConnectionError);
    await expect(reply).rejects.toThrow(/in the middle of its reply to getVersion \(9 of 20 bytes received\)/);
    expect(client.closed).toBe(true);
    await expect(client.simulationStep()).rejects.toThrow(TraciConnectionError);
    await client.close(); // closing a lost connection is not an error
  });

  it('gives up connecting after its timeout with a retryable error', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const error = await TraciClient.connect({ port: closed, timeoutMs: 200, retryDelayMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TraciConnectionError);
    expect((error as TraciConnectionError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/no TraCI server answered/);
  });
});

describe.skipIf(sumoMissing)('TraciClient driving SUMO', () => {
  let dir = '';
  let scenario: OnRampScenario;
  let sumo: SumoWithTraci;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-traci-'));
    scenario = await buildOnRampScenario({ dir, mainlineFlow: 3000, rampFlow: 900, end: 300, profile: [{ until: 1, factor: 1 }] });
    sumo = await startSumoWithTraci({ args: ['-c', scenario.cfg, '--seed', '3', '--no-warnings'], cwd: dir });
  });
  afterAll(async () => {
    await sumo?.[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports TraCI API 20 (SUMO 1.15) or later', async () => {
    const version = await sumo.client.getVersion();
    expect(version.identifier).toMatch(/^SUMO /);
    if (version.identifier.startsWith('SUMO 1.15')) expect(version.apiVersion).toBe(20);
    else expect(version.apiVersion).toBeGreaterThanOrEqual(20);
  });

  it('lists the scenario detectors and light', async () => {
    const { client } = sumo;
    expect((await client.inductionLoop.getIDList()).sort()).toEqual(
      [...ON_RAMP.loops.downstream, ...ON_RAMP.loops.upstream, ...ON_RAMP.loops.ramp].sort(),
    );
    expect(await client.trafficLight.getIDList()).toEqual([ON_RAMP.rampLight]);
  });

  it('sets a light state and reads it back', async () => {
    const { client } = sumo;
    expect(await client.trafficLight.getRedYellowGreenState(ON_RAMP.rampLight)).toBe('G');
    await client.trafficLight.setRedYellowGreenState(ON_RAMP.rampLight, 'r');
    await client.simulationStep();
    expect(await client.trafficLight.getRedYellowGreenState(ON_RAMP.rampLight)).toBe('r');
    await client.trafficLight.setRedYellowGreenState(ON_RAMP.rampLight, 'G');
    expect(await client.trafficLight.getRedYellowGreenState(ON_RAMP.rampLight)).toBe('G');
  });

  it('turns an error status into a TraciError with SUMO\'s message, and stays usable', async () => {
    const { client } = sumo;
    const unknown = await client.inductionLoop.getLastStepOccupancy('no_such_loop').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(TraciError);
    expect(unknown).toMatchObject({ code: 'DROVER_TRACI', command: 0xa0, status: 0xff, retryable: false });
    expect((unknown as TraciError).sumoMessage).toMatch(/no_such_loop.*not known/);
    // Not longer: SUMO 1.15 writes a status reply's length as one byte and dies
    // ("Storage::writeUnsignedByte(): Invalid value") when its error message passes 255 bytes.
    const longId = 'loop_'.repeat(40);
    await expect(client.inductionLoop.getLastStepVehicleNumber(longId)).rejects.toThrow(/not known/);
    await expect(client.trafficLight.setRedYellowGreenState('no_such_light', 'G')).rejects.toThrow(TraciError);
    expect(await client.simulation.getTime()).toBeGreaterThanOrEqual(0);
  });

  it('steps to the end, with induction loop readings that change over time', async () => {
    const { client } = sumo;
    const loop = ON_RAMP.loops.upstream[0];
    const start = await client.simulation.getTime();
    await client.simulationStep();
    expect(await client.simulation.getTime()).toBe(start + 1);
    await client.simulationStep(start + 30); // jump to a target time
    expect(await client.simulation.getTime()).toBe(start + 30);

    const counts: number[] = [];
    const occupancies: number[] = [];
    const speeds: number[] = [];
    let steps = 0;
    for (;;) {
      // Issued together, answered in order: one round trip per step.
      const [, expected, count, occupancy, speed] = await Promise.all([
        client.simulationStep(),
        client.simulation.getMinExpectedVehicles(),
        client.inductionLoop.getLastStepVehicleNumber(loop),
        client.inductionLoop.getLastStepOccupancy(loop),
        client.inductionLoop.getLastStepMeanSpeed(loop),
      ]);
      counts.push(count);
      occupancies.push(occupancy);
      speeds.push(speed);
      steps++;
      if (expected === 0) break;
      expect(steps).toBeLessThan(2000);
    }
    // Demand ends at 300 s; the last vehicles leave the 3.7 km road soon after.
    expect(await client.simulation.getTime()).toBeGreaterThan(300);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    expect(new Set(occupancies).size).toBeGreaterThan(5);
    expect(Math.max(...occupancies)).toBeLessThanOrEqual(100);
    expect(speeds).toContain(-1); // no vehicle on the loop that step
    expect(Math.max(...speeds)).toBeGreaterThan(10);
    expect(await client.simulation.getMinExpectedVehicles()).toBe(0);

    const exit = await sumo.finish();
    expect(exit.code).toBe(0);
    expect(sumo.client.closed).toBe(true);
  });
});
