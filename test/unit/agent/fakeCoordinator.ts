import * as grpc from '@grpc/grpc-js';
import { pb, sha256Hex } from '../../../src/protocol/index.ts';

/** One `Agents.Connect` stream as the fake coordinator saw it. */
export interface FakeSession {
  call: grpc.ServerDuplexStream<pb.AgentMessage, pb.CoordinatorMessage>;
  register: pb.Register | undefined;
  received: pb.AgentMessage[];
  /** Tasks the test assigned on this session. */
  assigned: number;
  ended: boolean;
}

/**
 * Just enough of a coordinator to drive an agent from a test: it answers `register`, records every
 * message per session, serves blobs, and lets the test send assignments, cancels and drains.
 */
export class FakeCoordinator {
  readonly server = new grpc.Server();
  readonly sessions: FakeSession[] = [];
  readonly blobs = new Map<string, Buffer>();
  address = '';
  #listeners: (() => void)[] = [];

  static async start(): Promise<FakeCoordinator> {
    const f = new FakeCoordinator();
    f.server.addService(pb.AgentsService, { connect: (call) => f.#connect(call) } satisfies pb.AgentsServer);
    f.server.addService(pb.BlobsService, {
      has: (call, cb) => cb(null, { present: call.request.digests.map((d) => f.blobs.has(d)) }),
      put: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
      get: (call) => {
        const data = f.blobs.get(call.request.digest);
        if (!data) {
          call.emit('error', { code: grpc.status.NOT_FOUND, details: 'no such blob' });
          return;
        }
        call.write({ data, size: data.length });
        call.end();
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

  /** Total credit a session was granted. */
  credit(session: FakeSession): number {
    return this.of(session, 'credit').reduce((n, c) => n + c.tasks, 0);
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
    const session: FakeSession = { call, register: undefined, received: [], assigned: 0, ended: false };
    this.sessions.push(session);
    call.on('data', (m: pb.AgentMessage) => {
      session.received.push(m);
      if (m.msg?.$case === 'register') {
        session.register = m.msg.value;
        call.write({ msg: { $case: 'registered', value: { sessionId: `s${this.sessions.length}` } } });
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
