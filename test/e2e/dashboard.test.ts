// The dashboard end to end: a coordinator with its HTTP side, a real agent process, a job where some
// items fail, and the page in headless Chromium showing the agent, the job's progress and failures,
// and the throughput chart. Keeps a screenshot in test-artifacts/.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../src/coordinator/index.ts';
import { createLogger } from '../../src/protocol/logging/index.ts';
import { connect, type Pool } from '../../src/sdk/index.ts';
import { startDrover, stopProcess } from '../integration/ProcessCluster.ts';
import { runJobOverGrpc } from './runJobOverGrpc.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const chromiumPresent = existsSync(CHROMIUM);
if (!chromiumPresent) console.warn(`dashboard e2e skipped: ${CHROMIUM} is absent (apt-get install chromium)`);

type FixtureTasks = typeof import('../fixtures/tasks.ts');
const TASK_REF = Symbol.for('drover.taskRef');
function functionRef(fn: unknown): { bundleDigest: string; exportName: string } {
  const ref = (fn as Record<symbol, { bundleDigest: string; exportName: string }>)[TASK_REF]!;
  return { bundleDigest: ref.bundleDigest, exportName: ref.exportName };
}

describe.skipIf(!chromiumPresent)('dashboard in headless Chromium', () => {
  let coordinator: Coordinator;
  let agent: ChildProcess | undefined;
  let pool: Pool | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let failingJobId = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    coordinator = new Coordinator({ listen: '127.0.0.1:0', httpListen: '127.0.0.1:0', logger: createLogger({ name: 'e2e', level: 'warn' }) });
    await coordinator.start();
    ({ child: agent } = await startDrover(
      ['agent', '--coordinator', coordinator.address, '--processes', '2', '--name', 'e2e-agent', '--label', 'zone=e2e'],
      /connected/,
    ));
    pool = await connect({ address: coordinator.address });
    const tasks = await pool.load<FixtureTasks>(new URL('../fixtures/tasks.ts', import.meta.url));
    // A job that takes a few seconds, so the chart has a shape, then one where every fifth item throws.
    await pool.map(tasks.sleep, Array.from({ length: 24 }, () => 150), { chunksize: 1 });
    const items = Array.from({ length: 30 }, (_, i) => [i, i % 5 === 0 ? i : -1]);
    const outcome = await runJobOverGrpc(coordinator.address, functionRef(tasks.failOn), 'map failOn', items);
    expect(outcome).toMatchObject({ succeeded: 24, failed: 6 });
    failingJobId = outcome.jobId;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    await page.goto(`http://${coordinator.httpAddress}/`);
    await page.locator('[data-testid="connection"].ok').waitFor({ timeout: 15_000 }).catch(async (err: unknown) => {
      const status = await page.locator('[data-testid="connection"]').innerText().catch(() => '(none)');
      throw new Error(`the dashboard did not come live (status: ${status}; page errors: ${pageErrors.join(' | ') || 'none'})`, { cause: err });
    });
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await pool?.close();
    if (agent) await stopProcess(agent);
    await coordinator?.stop();
  });

  it('lists the agent with its slots, SUMO availability and labels', async () => {
    const row = page.locator('[data-testid="agent-row"][data-agent="e2e-agent"]');
    await expect.poll(() => row.locator('[data-testid="agent-slots"]').innerText(), { timeout: 15_000 }).toBe('0 busy · 2 free of 2');
    expect(await row.innerText()).toContain('zone=e2e');
    expect(await page.locator('[data-testid="total-agents"]').innerText()).toBe('1');
    expect(await page.locator('[data-testid="total-slots"]').innerText()).toBe('0 / 2');
    // No authorize hook: no token asked for.
    expect(await page.locator('#auth-banner').isVisible()).toBe(false);
  });

  it('shows the job with its progress at done/total and its failures counted by kind', async () => {
    const row = page.locator(`[data-testid="job-row"][data-job="${failingJobId}"]`);
    await expect.poll(() => row.locator('[data-testid="job-progress"]').innerText(), { timeout: 15_000 }).toBe('30 / 30');
    expect(await row.locator('[data-testid="job-state"]').innerText()).toBe('completed');
    expect(await row.locator('[data-testid="job-failures"]').innerText()).toBe('error 6');
    expect(await row.innerText()).toContain('failOn');
    expect(await page.locator('[data-testid="job-row"]').count()).toBe(2);
  });

  it('draws the throughput chart from the sampled completions', async () => {
    const chart = page.locator('[data-testid="throughput-chart"]');
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(1);
    // 54 results went through: some second saw a non-zero rate, and the line has that many vertices.
    expect(Number(await chart.getAttribute('data-max'))).toBeGreaterThan(0);
    const vertices = await chart.locator('polyline.line').getAttribute('points');
    expect(vertices!.trim().split(/\s+/).length).toBe(Number(await chart.getAttribute('data-points')));
    // Pointing at the chart reads out the nearest sample.
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    expect(await chart.locator('.hover-label').textContent()).toMatch(/^\d\d:\d\d:\d\d · [\d.]+\/s$/);
    await page.mouse.move(0, 0);
  });

  it('opens a job on click with its recent failures and their messages', async () => {
    await page.locator(`[data-testid="job-row"][data-job="${failingJobId}"]`).click();
    const detail = page.locator('[data-testid="job-detail"]');
    await detail.locator('[data-testid="failure-row"]').first().waitFor();
    expect(await detail.locator('[data-testid="failure-row"]').count()).toBe(6);
    const text = await detail.innerText();
    expect(text).toContain('ParseFailure');
    expect(text).toContain('cannot handle 25');
    expect(text).toContain(failingJobId);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
    await page.setViewportSize({ width: 420, height: 900 });
    await page.screenshot({ path: `${ARTIFACTS}dashboard-narrow.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('asks for a token when authorize() refuses, and takes one from the address fragment', async () => {
    const guarded = new Coordinator({
      listen: '127.0.0.1:0',
      httpListen: '127.0.0.1:0',
      logger: createLogger({ name: 'e2e', level: 'warn' }),
      httpAuthorize: (req) => req.headers.authorization === 'Bearer e2e-admin-token',
    });
    await guarded.start();
    const tab = await browser!.newPage();
    try {
      await tab.goto(`http://${guarded.httpAddress}/`);
      await tab.locator('#auth-banner').waitFor({ state: 'visible' });
      expect(await tab.locator('[data-testid="connection"]').innerText()).toBe('token required');
      // A wrong token from the form is refused; the right one in the fragment is used and then hidden.
      await tab.locator('#auth-token').fill('wrong');
      await tab.locator('#auth-form button').click();
      await tab.goto(`http://${guarded.httpAddress}/#token=e2e-admin-token`);
      await tab.locator('[data-testid="connection"].ok').waitFor({ timeout: 15_000 });
      expect(await tab.locator('#auth-banner').isVisible()).toBe(false);
      expect(await tab.locator('[data-testid="total-agents"]').innerText()).toBe('0');
      expect(new URL(tab.url()).hash).toBe('');
    } finally {
      await tab.close();
      await guarded.stop();
    }
  });
});
