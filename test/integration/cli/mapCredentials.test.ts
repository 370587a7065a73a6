// `drover map` against a coordinator that refuses its token exits 4 (docs/cli.md), saying why.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { createLogger } from '../../../src/protocol/logging/index.ts';

const droverBin = fileURLToPath(new URL('../../../bin/drover.js', import.meta.url));
const tasksModule = fileURLToPath(new URL('../../fixtures/tasks.ts', import.meta.url));

let coordinator: Coordinator;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-cli-credentials-'));
  coordinator = new Coordinator({
    listen: '127.0.0.1:0',
    logger: createLogger({ name: 'coordinator', level: 'silent' }),
    tokens: [{ role: 'client', principal: 'alice', token: 'a'.repeat(48) }],
  });
  await coordinator.start();
});
afterAll(async () => {
  await coordinator.stop();
  await rm(dir, { recursive: true, force: true });
});

function map(token: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [droverBin, 'map', `${tasksModule}#square`, '--input', join(dir, 'items.jsonl'), '--output', join(dir, 'out.jsonl'), '--coordinator', coordinator.address], {
      timeout: 60_000,
      env: { ...process.env, DROVER_LOG_LEVEL: 'warn', DROVER_TOKEN: token, DROVER_TOKEN_FILE: '' },
    }, (error, _stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr }));
  });
}

it('exits 4 with the coordinator’s reason for a wrong or a missing token', async () => {
  await writeFile(join(dir, 'items.jsonl'), '1\n2\n');
  const wrong = await map('b'.repeat(48));
  expect(wrong.code, wrong.stderr).toBe(4);
  expect(wrong.stderr).toMatch(/the token is not valid on this coordinator/);
  const missing = await map('');
  expect(missing.code, missing.stderr).toBe(4);
  expect(missing.stderr).toMatch(/this coordinator requires a token/);
});
