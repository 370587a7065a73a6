import * as grpc from '@grpc/grpc-js';
import { encodeValue, pb, sha256Hex } from '../../../src/protocol/index.ts';

/** One `Agents.Connect` stream as the fake coordinator saw it. */
export interface FakeSession {
  call: grpc.ServerDuplexStream<pb.AgentMessage, pb.CoordinatorMessage>;
  register: pb.Register | undefined;
  received: pb.AgentMessage[];
  /** When each message in `received` arrived (performance.now()). */
  receivedAt: number[];
  /** Tasks the test assigned on this session. */
  assigned: number;
  ended: boolean;
}

/**
 * Just enough of a coordinator to drive an agent from a test: it answers `register`, records every
 * message per session, serves blobs, acknowledges results (unless told not to), and lets the test send
 * assignments, cancels, drains and acknowledgements, and break sessions.
 */
export class FakeCoordinator {
  readonly server = new grpc.Server();
  readonly sessions: FakeSession[] = [];
  readonly blobs = new Map<string, Buffer>();
  address = '';
  /** Sent in `registered` (0: the agent's default). */
  heartbeatMs = 0;
  /** Sent in `registered`: whether the agent may grant credit inside results messages (false: as coordinators before that field). */
  creditWithResults = true;
  /** Answer every results message with `results_accepted` for its attempts, as a coordinator does once they are durable. */
  autoAck = true;
  /** While set, every new stream is failed at once (UNAVAILABLE), as if the coordinator were down. */
  refuse = false;
  /** Digests asked of `Blobs.Get`, in order. */
  readonly gets: string[] = [];
  /** Delay before `Blobs.Get` answers (so concurrent fetches overlap). */
  getDelayMs = 0;
  /** Digests asked of `Blobs.Has`. */
  readonly hasAsked: string[] = [];
  /** Completed `Blobs.Put` uploads: digest, size and the data length of each message. */
  readonly puts: { digest: string; size: number; chunks: number[] }[] = [];
  #listeners: (() => void)[] = [];

  static async start(): Promise<FakeCoordinator> {
    const f = new FakeCoordinator();
    f.server.addService(pb.AgentsService, { connect: (call) => f.#connect(call) } satisfies pb.AgentsServer);
    f.server.addService(pb.BlobsService, {
      has: (call, cb) => {
        f.hasAsked.push(...call.request.digests);
        cb(null, { present: call.request.digests.map((d) => f.blobs.has(d)) });
      },
      // Verified like the real one: the first message names digest and size, the bytes must match both.
      put: (call, cb) => {
        let digest = '';
        let size = 0;
        const chunks: Buffer[] = [];
        call.on('data', (m: pb.PutBlobChunk) => {
          if (chunks.length === 0) ({ digest, size } = m);
          chunks.push(m.data);
        });
        call.on('end', () => {
          const data = Buffer.concat(chunks);
          if (data.length !== size || sha256Hex(data) !== digest) {
            cb({ code: grpc.status.INVALID_ARGUMENT, details: `Put: digest or size mismatch for ${digest}` });
            return;
          }
          f.blobs.set(digest, data);
          f.puts.push({ digest, size, chunks: chunks.map((c) => c.length) });
          cb(null, { digest, size });
        });
        call.on('error', () => {});
      },
      get: (call) => {
        f.gets.push(call.request.digest);
        const data = f.blobs.get(call.request.digest);
        if (!data) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: 'no such blob' });
          return;
        }
        setTimeout(() => {
          for (let off = 0; off < data.length || off === 0; off += 1024 * 1024) {
            call.write({ data: data.subarray(off, off + 1024 * 1024), size: off === 0 ? data.length : 0 });
            if (data.length === 0) break;
          }
          call.end();
        }, f.getDelayMs);
      },
    } satisfies pb.BlobsServer);
    const port = await new Promise<number>((resolve, reject) =>
      f.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    f.address = `127.0.0.1:${port}`;
    return f;
  }

  /** Store a blob; returns its digest. */
  putBlob(bytes: string | Buffer): string {
    const data = Buffer.from(bytes);
    const digest = sha256Hex(data);
    this.blobs.set(digest, data);
    return digest;
  }

  get last(): FakeSession {
    return this.sessions[this.sessions.length - 1];
  }

  send(session: FakeSession, msg: pb.CoordinatorMessage['msg']): void {
    if (msg?.$case === 'assign') session.assigned += msg.value.tasks.length;
    session.call.write({ msg });
  }

  /** Messages of one kind a session received, unwrapped. */
  of<K extends NonNullable<pb.AgentMessage['msg']>['$case']>(session: FakeSession, kind: K): Extract<NonNullable<pb.AgentMessage['msg']>, { $case: K }>['value'][] {
    return session.received.filter((m) => m.msg?.$case === kind).map((m) => m.msg!.value) as never;
  }

  /** Acknowledge results: the agent may forget them. */
  ack(session: FakeSession, attemptIds: string[]): void {
    this.send(session, { $case: 'resultsAccepted', value: { attemptIds } });
  }

  /** Break a session's stream from the coordinator's side, as a crash or a lost connection would. */
  drop(session: FakeSession): void {
    session.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'coordinator went away' });
    session.call.end();
  }

  /** Arrival times (performance.now()) of a session's messages of one kind. */
  timesOf(session: FakeSession, kind: NonNullable<pb.AgentMessage['msg']>['$case']): number[] {
    return session.receivedAt.filter((_, i) => session.received[i].msg?.$case === kind);
  }

  /** Attempt ids of every result a session received, in arrival order (repeats included). */
  resultIds(session: FakeSession): string[] {
    return this.of(session, 'results').flatMap((b) => b.results.map((r) => r.attemptId));
  }

  /** Total credit a session was granted (in `credit` messages and inside results). */
  credit(session: FakeSession): number {
    return this.of(session, 'credit').reduce((n, c) => n + c.tasks, 0) + this.of(session, 'results').reduce((n, b) => n + b.credit, 0);
  }

  /** All results a session received, by attempt id. */
  results(session: FakeSession): Map<string, pb.AttemptResult> {
    return new Map(this.of(session, 'results').flatMap((b) => b.results).map((r) => [r.attemptId, r]));
  }

  /** Wait until `check` holds (re-checked on every message received). */
  async until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.#listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.server.forceShutdown();
  }

  #connect(call: grpc.ServerDuplexStream<pb.AgentMessage, pb.CoordinatorMessage>): void {
    if (this.refuse) {
      call.on('error', () => {});
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'coordinator refusing' });
      call.end();
      return;
    }
    const session: FakeSession = { call, register: undefined, received: [], receivedAt: [], assigned: 0, ended: false };
    this.sessions.push(session);
    call.on('data', (m: pb.AgentMessage) => {
      session.received.push(m);
      session.receivedAt.push(performance.now());
      if (m.msg?.$case === 'register') {
        session.register = m.msg.value;
        call.write({ msg: { $case: 'registered', value: { sessionId: `s${this.sessions.length}`, heartbeatMs: this.heartbeatMs, creditWithResults: this.creditWithResults } } });
      } else if (m.msg?.$case === 'results' && this.autoAck && !session.ended) {
        call.write({ msg: { $case: 'resultsAccepted', value: { attemptIds: m.msg.value.results.map((r) => r.attemptId) } } });
      }
      for (const l of this.#listeners.splice(0)) l();
    });
    call.on('end', () => {
      session.ended = true;
      call.end();
      for (const l of this.#listeners.splice(0)) l();
    });
    call.on('error', () => {
      session.ended = true;
    });
  }
}

/** An assignment running `exportName(...args)` once (a one-item task). */
export function oneTask(digest: string, attemptId: string, exportName: string, args: unknown[], extra: Partial<pb.Assignment> = {}): pb.Assignment {
  return {
    attemptId,
    jobId: 'j',
    seq: 0,
    attempt: 1,
    function: { bundleDigest: digest, exportName },
    payload: Buffer.from(encodeValue([args])),
    items: 1,
    timeoutMs: 0,
    slots: 1,
    firstIndex: 0,
    resultWaitMs: 0,
    ...extra,
  };
}
