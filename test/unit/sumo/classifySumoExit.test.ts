import { describe, expect, it } from 'vitest';
import {
  classifySumoExit,
  isRetryableSumoFailure,
  SumoCrashError,
  SumoError,
  SumoScenarioError,
  TraciConnectionError,
  type SumoExit,
} from '../../../src/sumo/index.ts';

const exit = (fields: Partial<SumoExit>): SumoExit => ({
  command: 'sumo -c s.sumocfg',
  code: 0,
  signal: null,
  stdoutTail: '',
  stderrTail: '',
  wallMs: 10,
  ...fields,
});

describe('classifySumoExit', () => {
  it('is undefined for a clean exit', () => {
    expect(classifySumoExit(exit({}))).toBeUndefined();
  });

  it('calls death by a signal a retryable crash', () => {
    const error = classifySumoExit(exit({ code: null, signal: 'SIGSEGV' }));
    expect(error).toBeInstanceOf(SumoCrashError);
    expect(error).toMatchObject({ code: 'DROVER_SUMO_CRASH', retryable: true, signal: 'SIGSEGV' });
  });

  it('calls bad_alloc (exit 1, as SUMO catches it) and wrapper codes above 128 crashes', () => {
    const badAlloc = classifySumoExit(exit({ code: 1, stderrTail: 'Error: std::bad_alloc\nQuitting (on error).\n' }));
    expect(badAlloc).toBeInstanceOf(SumoCrashError);
    expect(badAlloc?.message).toMatch(/crashed \(exit code 1\): std::bad_alloc/);
    expect(classifySumoExit(exit({ code: 134 }))).toBeInstanceOf(SumoCrashError);
  });

  it('calls a refused scenario a non-retryable scenario error, quoting SUMO', () => {
    const error = classifySumoExit(
      exit({
        code: 1,
        stderrTail: "Warning: x\nError: On processing option '--bogus':\n No option with the name 'bogus' exists.\nQuitting (on error).\n",
      }),
    );
    expect(error).toBeInstanceOf(SumoScenarioError);
    expect(error).toMatchObject({ retryable: false, exitCode: 1 });
    expect(error?.message).toBe("sumo -c s.sumocfg failed (exit code 1): On processing option '--bogus': No option with the name 'bogus' exists.");
  });

  it('calls a taken TraCI port or a lost client retryable connection trouble', () => {
    const race = classifySumoExit(
      exit({ code: 1, stderrTail: 'Error: tcpip::Socket::accept() Unable to create listening socket: Address already in use\n' }),
    );
    expect(race).toBeInstanceOf(TraciConnectionError);
    expect(race?.retryable).toBe(true);
    const lost = classifySumoExit(exit({ code: 1, stderrTail: 'Error: tcpip::Socket::recvAndCheck @ recv: Connection reset by peer\n' }));
    expect(lost).toBeInstanceOf(TraciConnectionError);
  });

  it('reports a binary that cannot start', () => {
    const missing = Object.assign(new Error('spawn sumo ENOENT'), { code: 'ENOENT' });
    const error = classifySumoExit(exit({ code: null, spawnError: missing }));
    expect(error).toBeInstanceOf(SumoError);
    expect(error).toMatchObject({ code: 'DROVER_SUMO', retryable: false });
  });
});

describe('isRetryableSumoFailure', () => {
  it('reads the flag on the error or along its causes, also on plain objects', () => {
    expect(isRetryableSumoFailure(new SumoCrashError('x'))).toBe(true);
    expect(isRetryableSumoFailure(new Error('wrapped', { cause: new TraciConnectionError('race') }))).toBe(true);
    expect(isRetryableSumoFailure(new SumoScenarioError('bad'))).toBe(false);
    expect(isRetryableSumoFailure({ name: 'SumoCrashError', retryable: true })).toBe(true);
    expect(isRetryableSumoFailure(new Error('other'))).toBe(false);
    expect(isRetryableSumoFailure(undefined)).toBe(false);
  });
});
