import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableError } from '../../../src/task/index.ts';
import { ServicesHarness } from './servicesHarness.ts';

describe('RetryableError', () => {
  it('is an Error with retryable = true, code DROVER_RETRYABLE and its cause', () => {
    const cause = new Error('port race');
    const e = new RetryableError('flaky', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('RetryableError');
    expect(e.message).toBe('flaky');
    expect(e.retryable).toBe(true);
    expect(e.code).toBe('DROVER_RETRYABLE');
    expect(e.cause).toBe(cause);
    expect(new RetryableError('x', { code: 'MY_CODE' }).code).toBe('MY_CODE');
  });
});

describe('retryable failures and error codes reach the coordinator', () => {
  let h: ServicesHarness;
  beforeAll(async () => {
    h = await ServicesHarness.start();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('a plain Error is not retryable and has no code', async () => {
    const f = await h.failure('throwPlain', []);
    expect(f).toMatchObject({ kind: 'error', name: 'Error', message: 'plain', retryable: false, code: '' });
  });

  it('a RetryableError is retryable, with its code', async () => {
    const f = await h.failure('throwRetryable', []);
    expect(f).toMatchObject({ kind: 'error', name: 'RetryableError', message: 'flaky', retryable: true, code: 'DROVER_RETRYABLE' });
  });

  it('an error whose cause is retryable is retryable, with the code found along the chain', async () => {
    const f = await h.failure('throwCaused', []);
    expect(f).toMatchObject({ kind: 'error', message: 'wrapped', retryable: true, code: 'DROVER_SUMO_CRASH' });
  });

  it('retryable: false on the error itself wins over a retryable cause', async () => {
    const f = await h.failure('throwVetoed', []);
    expect(f).toMatchObject({ kind: 'error', message: 'bad scenario', retryable: false });
  });

  it('any string code is carried, e.g. a Node system error code', async () => {
    const f = await h.failure('throwCoded', []);
    expect(f).toMatchObject({ kind: 'error', message: 'no such file', retryable: false, code: 'ENOENT' });
  });

  it('a crash is neither retryable nor coded by the task (the coordinator retries it by kind)', async () => {
    const f = await h.failure('scratch', ['', 'exit']);
    expect(f).toMatchObject({ kind: 'crashed', retryable: false, code: '' });
  });
});
