import { pino } from 'pino';
import { EncodedResultBatch, pb } from '../../../src/protocol/index.ts';
import type { AgentSink } from '../../../src/coordinator/AgentSession.ts';
import type { JobSink } from '../../../src/coordinator/JobState.ts';
import type { JobOpening } from '../../../src/coordinator/Scheduler.ts';

/** Test doubles and builders for the scheduler's unit tests (no sockets). */

export const silent = pino({ level: 'silent' });
export const DIGEST = 'a'.repeat(64);

/** Lets every pending setImmediate turn (dispatch, commit, delivery) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits `ms`, then settles. */
export async function after(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await settle();
}

export class RecordingJobSink implements JobSink {
  messages: pb.JobResponse[] = [];
  closed = false;
  aborted = '';
  /** Records results as the client would decode them (the wire form of an {@link EncodedResultBatch}). */
  send(message: pb.JobResponse | EncodedResultBatch): void {
    if (this.closed) throw new Error('send after close');
    if (message instanceof EncodedResultBatch) {
      this.messages.push({ msg: { $case: 'results', value: { results: message.results.map((r) => pb.TaskResult.decode(r)) } } });
    } else {
      this.messages.push(message);
    }
  }
  close(): void {
    this.closed = true;
  }
  abort(message: string, code: 'unavailable' | 'aborted' = 'unavailable'): void {
    this.aborted = `${code}: ${message}`;
    this.closed = true;
  }
  results(): pb.TaskResult[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'results' ? m.msg.value.results : []));
  }
  resultMessages(): number {
    return this.messages.filter((m) => m.msg?.$case === 'results').length;
  }
  end(): pb.JobEnd | undefined {
    const last = this.messages.at(-1);
    return last?.msg?.$case === 'end' ? last.msg.value : undefined;
  }
}

export class RecordingAgentSink implements AgentSink {
  messages: pb.CoordinatorMessage[] = [];
  closed = false;
  aborted = '';
  send(message: pb.CoordinatorMessage): void {
    this.messages.push(message);
  }
  close(): void {
    this.closed = true;
  }
  abort(message: string): void {
    this.aborted = message;
    this.closed = true;
  }
  /** Attempt ids acknowledged, in `ResultsAccepted` messages or inside assignments. */
  accepted(): string[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'resultsAccepted' ? m.msg.value.attemptIds : m.msg?.$case === 'assign' ? m.msg.value.acceptedAttemptIds : []));
  }
  assignMessages(): pb.AssignBatch[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'assign' ? [m.msg.value] : []));
  }
  assignments(): pb.Assignment[] {
    return this.assignMessages().flatMap((batch) => batch.tasks);
  }
  cancelled(): string[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'cancel' ? m.msg.value.attemptIds : []));
  }
}

export function capacity(overrides: Partial<pb.Capacity> = {}): pb.Capacity {
  return {
    cpus: 4,
    memoryMb: 8192,
    slots: 4,
    sumoVersion: '',
    sumoHome: '',
    labels: {},
    resources: {},
    hostname: 'h',
    platform: 'linux',
    nodeVersion: 'v24',
    sumoTools: false,
    sumoTraci: false,
    sumoLibsumo: false,
    ...overrides,
  };
}

export function opening(overrides: Partial<JobOpening> = {}): JobOpening {
  return {
    name: 'test',
    owner: '',
    function: { bundleDigest: DIGEST, exportName: 'f' },
    requires: undefined,
    timeoutMs: 0,
    retries: 0,
    retryOnError: false,
    unschedulableWaitMs: 0,
    resultsBatchMax: 0,
    ...overrides,
  };
}

export function inputs(from: number, count: number, payloadBytes = 4): pb.TaskInput[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    payload: Buffer.alloc(payloadBytes, from + i),
    items: 1,
    firstIndex: from + i,
  }));
}

export function value(attemptId: string, worker = 'w1'): pb.AttemptResult {
  return { attemptId, outcome: { $case: 'value', value: Buffer.from([0x80]) }, worker, durationMs: 1 };
}

export function failed(attemptId: string, kind: string, extra: Partial<pb.TaskFailure> = {}): pb.AttemptResult {
  return {
    attemptId,
    outcome: { $case: 'failure', value: { kind, name: 'E', message: kind, stack: '', itemOffset: 0, exitCode: 0, signal: '', stderrTail: '', retryable: false, code: '', ...extra } },
    worker: 'w1',
    durationMs: 1,
  };
}
