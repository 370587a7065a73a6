import * as grpc from '@grpc/grpc-js';
import { pb } from '../../../src/protocol/index.ts';

/** Test doubles for the coordinator's real-socket tests: an agent and a client job stream. */

export const DIGEST = 'b'.repeat(64);

export async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function capacity(): pb.Capacity {
  return { cpus: 2, memoryMb: 1024, slots: 2, sumoVersion: '', sumoHome: '', labels: {}, resources: {}, hostname: 'h', platform: 'linux', nodeVersion: 'v24', sumoTools: false, sumoTraci: false, sumoLibsumo: false };
}

export function unary<Req, Res>(fn: (request: Req, callback: (error: grpc.ServiceError | null, response?: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(request, (error, response) => (error ? reject(error) : resolve(response!)));
  });
}

/** An agent over a real socket; with `echo` it answers every assignment with its payload as the value. */
export class FakeAgent {
  readonly call: grpc.ClientDuplexStream<pb.AgentMessage, pb.CoordinatorMessage>;
  readonly messages: pb.CoordinatorMessage[] = [];
  status: grpc.StatusObject | undefined;

  constructor(client: pb.AgentsClient, name: string, options: { echo: boolean; runningAttemptIds?: string[]; capacity?: Partial<pb.Capacity> }) {
    this.call = client.connect();
    this.call.on('data', (message: pb.CoordinatorMessage) => {
      this.messages.push(message);
      if (options.echo && message.msg?.$case === 'assign') {
        this.answer(message.msg.value.tasks);
        this.send({ $case: 'credit', value: { tasks: message.msg.value.tasks.length } });
      }
    });
    this.call.on('status', (status) => (this.status = status));
    this.call.on('error', () => {});
    this.send({ $case: 'register', value: { acksWithAssign: false, name, capacity: { ...capacity(), ...options.capacity }, version: 'test', runningAttemptIds: options.runningAttemptIds ?? [] } });
  }

  send(msg: pb.AgentMessage['msg']): void {
    this.call.write({ msg });
  }

  /** Sends a value result (the payload echoed) for each assignment. */
  answer(tasks: readonly pb.Assignment[]): void {
    const results = tasks.map((t): pb.AttemptResult => ({ attemptId: t.attemptId, outcome: { $case: 'value', value: t.payload }, worker: 'w1', durationMs: 1 }));
    this.send({ $case: 'results', value: { results, credit: 0 } });
  }

  registered(): Promise<pb.Registered> {
    return waitFor(() => {
      const first = this.messages[0]?.msg;
      return first?.$case === 'registered' ? first.value : undefined;
    }, 'registered');
  }

  assignments(): pb.Assignment[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'assign' ? m.msg.value.tasks : []));
  }

  cancelled(): string[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'cancel' ? m.msg.value.attemptIds : []));
  }

  accepted(): string[] {
    return this.messages.flatMap((m) => (m.msg?.$case === 'resultsAccepted' ? m.msg.value.attemptIds : []));
  }
}

/** A client's `Jobs.Run` stream over a real socket. Like the SDK, it half-closes once it has read `end`. */
export class FakeJob {
  readonly call: grpc.ClientDuplexStream<pb.JobRequest, pb.JobResponse>;
  readonly responses: pb.JobResponse[] = [];
  status: grpc.StatusObject | undefined;

  constructor(client: pb.JobsClient, options: { halfCloseOnEnd?: boolean } = {}) {
    this.call = client.run();
    this.call.on('data', (response: pb.JobResponse) => {
      this.responses.push(response);
      if (response.msg?.$case === 'end' && options.halfCloseOnEnd !== false) this.call.end();
    });
    this.call.on('status', (status) => (this.status = status));
    this.call.on('error', () => {});
  }

  open(overrides: Partial<pb.OpenJob> = {}): void {
    this.call.write({
      msg: {
        $case: 'open',
        value: { function: { bundleDigest: DIGEST, exportName: 'echo' }, name: 'test', requires: undefined, timeoutMs: 0, retries: 0, retryOnError: false, jobId: '', unschedulableWaitMs: 0, resultsBatchMax: 0, ...overrides },
      },
    });
  }

  attach(jobId: string, afterRseq: number): void {
    this.call.write({ msg: { $case: 'attach', value: { jobId, afterRseq } } });
  }

  send(from: number, count: number): void {
    const tasks = Array.from({ length: count }, (_, i) => ({ seq: from + i, payload: Buffer.from(`task-${from + i}`), items: 1, firstIndex: from + i }));
    this.call.write({ msg: { $case: 'inputs', value: { tasks } } });
  }

  end(total: number): void {
    this.call.write({ msg: { $case: 'inputEnd', value: { totalTasks: total } } });
  }

  received(throughRseq: number): void {
    this.call.write({ msg: { $case: 'resultsReceived', value: { throughRseq } } });
  }

  async opened(): Promise<pb.JobOpened> {
    return waitFor(() => {
      const first = this.responses[0]?.msg;
      return first?.$case === 'opened' ? first.value : undefined;
    }, 'opened');
  }

  async jobId(): Promise<string> {
    return (await this.opened()).jobId;
  }

  results(): pb.TaskResult[] {
    return this.responses.flatMap((r) => (r.msg?.$case === 'results' ? r.msg.value.results : []));
  }

  inputsAccepted(): number[] {
    return this.responses.flatMap((r) => (r.msg?.$case === 'inputsAccepted' ? [r.msg.value.tasksAccepted] : []));
  }

  async ended(): Promise<pb.JobEnd> {
    return waitFor(() => {
      const last = this.responses.at(-1)?.msg;
      return last?.$case === 'end' ? last.value : undefined;
    }, 'job end');
  }
}
