// The agent's HTTP side (`drover agent --http`): health, readiness and Prometheus metrics counting
// what really ran in its worker processes.
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/index.ts';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { createLogger } from '../../../src/protocol/logging/index.ts';
import { connect, type Pool } from '../../../src/sdk/index.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
let coordinator: Coordinator | undefined;
let agent: Agent | undefined;
let pool: Pool | undefined;
afterEach(async () => {
  await pool?.close();
  await agent?.stop();
  await coordinator?.stop();
  pool = agent = coordinator = undefined;
});

function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('agent HTTP side', () => {
  it('serves /healthz, /readyz and /metrics with tasks completed, failures by kind and worker restarts', async () => {
    coordinator = new Coordinator({ listen: '127.0.0.1:0', logger });
    await coordinator.start();
    agent = new Agent({ coordinator: coordinator.address, processes: 2, name: 'metrics-agent', httpListen: '127.0.0.1:0', logger });
    await agent.start();
    const base = `http://${agent.httpAddress}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    let text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, 'drover_agent_slots')).toBe(2);
    expect(sample(text, 'drover_agent_connected')).toBe(1);
    expect(sample(text, 'drover_agent_tasks_completed_total')).toBe(0);
    expect(sample(text, 'drover_agent_worker_restarts')).toBe(0);

    pool = await connect({ address: coordinator.address });
    const tasks = await pool.load<typeof import('../../fixtures/tasks.ts')>(new URL('../../fixtures/tasks.ts', import.meta.url));
    expect(await pool.map(tasks.square, [1, 2, 3, 4, 5], { chunksize: 1 })).toEqual([1, 4, 9, 16, 25]);
    await expect(pool.map(tasks.failOn, [3], { chunksize: 1 })).rejects.toMatchObject({ kind: 'error' });
    // The worker exits mid-task: the task fails as crashed (no retry) and the worker is replaced.
    await expect(pool.map(tasks.exitMidTask, [1], { chunksize: 1, retries: 0 })).rejects.toMatchObject({ kind: 'crashed' });

    text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, 'drover_agent_tasks_completed_total')).toBe(7);
    expect(sample(text, 'drover_agent_tasks_failed_total{kind="error"}')).toBe(1);
    expect(sample(text, 'drover_agent_tasks_failed_total{kind="crashed"}')).toBe(1);
    expect(sample(text, 'drover_agent_worker_restarts')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'drover_agent_tasks_running')).toBe(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);

    const address = agent.httpAddress;
    await agent.stop();
    agent = undefined;
    await expect(fetch(`http://${address}/healthz`)).rejects.toThrow();
  });
});
