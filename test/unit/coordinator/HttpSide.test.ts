// The HTTP side port: health, readiness and Prometheus metrics read from the live scheduler.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { pb } from '../../../src/protocol/index.ts';
import { createLogger } from '../../../src/protocol/logging/index.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
let coordinator: Coordinator | undefined;
afterEach(async () => {
  await coordinator?.stop();
  coordinator = undefined;
});

describe('HTTP side', () => {
  it('answers /healthz and /readyz, and /metrics counts a connected agent and its slots', async () => {
    coordinator = new Coordinator({ listen: '127.0.0.1:0', httpListen: '127.0.0.1:0', logger });
    await coordinator.start();
    const base = `http://${coordinator.httpAddress}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^drover_agents 0$/m);
    expect((await fetch(`${base}/nope`)).status).toBe(404);

    const client = new pb.AgentsClient(coordinator.address, grpc.credentials.createInsecure());
    const call = client.connect();
    const registered = new Promise((resolve) => call.on('data', resolve));
    call.on('error', () => {});
    call.write({
      msg: {
        $case: 'register',
        value: {
          name: 'a1', version: 'test', runningAttemptIds: [], acksWithAssign: false,
          capacity: { cpus: 3, memoryMb: 1024, slots: 3, sumoVersion: '', sumoHome: '', labels: {}, resources: {}, hostname: 'h', platform: 'linux', nodeVersion: 'v24', sumoTools: false, sumoTraci: false, sumoLibsumo: false },
        },
      },
    });
    await registered;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^drover_agents 1$/m);
    expect(metrics).toMatch(/^drover_slots 3$/m);
    expect(metrics).toMatch(/^drover_tasks_queued 0$/m);
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
    call.cancel();
    client.close();
  });

  it('stops serving when the coordinator stops', async () => {
    coordinator = new Coordinator({ listen: '127.0.0.1:0', httpListen: '127.0.0.1:0', logger });
    await coordinator.start();
    const base = `http://${coordinator.httpAddress}`;
    await coordinator.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
