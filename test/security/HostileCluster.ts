import type { ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Coordinator, type Limits } from '../../src/coordinator/index.ts';
import { encodeValue, pb, sha256Hex } from '../../src/protocol/index.ts';
import { connect, type Pool } from '../../src/sdk/index.ts';
import { startDrover, stopProcess } from '../integration/ProcessCluster.ts';
import { unary } from '../unit/coordinator/fakes.ts';

export type FixtureTasks = typeof import('../fixtures/tasks.ts');

/** Metadata header the test coordinator reads the caller's principal from (a stand-in for tokens). */
const PRINCIPAL_HEADER = 'x-test-principal';

/** A task module shipped as raw bytes (not through the SDK), so raw clients can name its exports. */
const RAW_BUNDLE = Buffer.from(`
export function echo(x) { return x; }
export function big(n) { return 'x'.repeat(n); }
export function slow(ms) { return new Promise((resolve) => setTimeout(() => resolve(ms), ms)); }
`);

/**
 * For the hostile-input suite: a coordinator (in this process, on a real loopback socket, with the
 * limits under test and principals taken from a test header), one real agent process, an honest
 * SDK client (principal `anonymous`) with the fixture tasks loaded, and raw gRPC clients for any
 * principal. `servesHonestClient()` proves the coordinator still works for someone else.
 */
export class HostileCluster {
  readonly coordinator: Coordinator;
  readonly agent: ChildProcess;
  readonly pool: Pool;
  readonly tasks: FixtureTasks;
  /** Digest of {@link RAW_BUNDLE} (exports `echo`, `big`, `slow`), already uploaded. */
  readonly rawBundle: string;
  readonly #clients: grpc.Client[] = [];

  private constructor(coordinator: Coordinator, agent: ChildProcess, pool: Pool, tasks: FixtureTasks, rawBundle: string) {
    this.coordinator = coordinator;
    this.agent = agent;
    this.pool = pool;
    this.tasks = tasks;
    this.rawBundle = rawBundle;
  }

  static async start(options: { limits?: Partial<Limits>; agentArgs?: string[] } = {}): Promise<HostileCluster> {
    const coordinator = new Coordinator({
      listen: '127.0.0.1:0',
      logger: pino({ level: process.env.DROVER_TEST_VERBOSE ? 'debug' : 'silent' }),
      limits: options.limits,
      principalOf: (call) => String(call.metadata.get(PRINCIPAL_HEADER)[0] ?? 'anonymous'),
    });
    await coordinator.start();
    let agent: ChildProcess | undefined;
    try {
      ({ child: agent } = await startDrover(['agent', '--coordinator', coordinator.address, '--processes', '2', '--name', 'honest-agent', ...(options.agentArgs ?? [])], /connected/));
      const pool = await connect({ address: coordinator.address });
      const tasks = await pool.load<FixtureTasks>(new URL('../fixtures/tasks.ts', import.meta.url));
      const cluster = new HostileCluster(coordinator, agent, pool, tasks, sha256Hex(RAW_BUNDLE));
      await cluster.putBlob(RAW_BUNDLE);
      return cluster;
    } catch (error) {
      if (agent) await stopProcess(agent);
      await coordinator.stop();
      throw error;
    }
  }

  get address(): string {
    return this.coordinator.address;
  }

  /** A raw `Jobs` client whose calls count against `principal`. */
  jobs(principal = 'mallory', options: grpc.ClientOptions = {}): pb.JobsClient {
    return this.#track(new pb.JobsClient(this.address, grpc.credentials.createInsecure(), { ...options, interceptors: [withPrincipal(principal)] }));
  }

  agents(): pb.AgentsClient {
    return this.#track(new pb.AgentsClient(this.address, grpc.credentials.createInsecure()));
  }

  blobs(options: grpc.ClientOptions = {}): pb.BlobsClient {
    return this.#track(new pb.BlobsClient(this.address, grpc.credentials.createInsecure(), options));
  }

  /** A client for any method with raw bytes in and out (no protobuf on our side). */
  raw(): grpc.Client {
    return this.#track(new grpc.Client(this.address, grpc.credentials.createInsecure()));
  }

  /** Uploads `data` (one chunk) and resolves with its digest. */
  async putBlob(data: Buffer): Promise<string> {
    const digest = sha256Hex(data);
    await new Promise<void>((resolve, reject) => {
      const call = this.blobs().put((error) => (error ? reject(error) : resolve()));
      call.write({ digest, size: data.length, data, jobId: '', sessionId: '' });
      call.end();
    });
    return digest;
  }

  /** The honest client maps a small job to completion: the coordinator and agent still serve others. */
  async servesHonestClient(): Promise<number[]> {
    return this.pool.map(this.tasks.square, [1, 2, 3, 4], { chunksize: 1 });
  }

  /** `Jobs.Get` as `principal`. */
  jobInfo(jobId: string, principal = 'mallory'): Promise<pb.JobInfo> {
    const client = this.jobs(principal);
    return unary<pb.GetJobRequest, pb.JobInfo>(client.get.bind(client), { jobId });
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.close();
    await this.pool?.close();
    await stopProcess(this.agent);
    await this.coordinator.stop();
  }

  #track<C extends grpc.Client>(client: C): C {
    this.#clients.push(client);
    return client;
  }
}

function withPrincipal(principal: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(PRINCIPAL_HEADER, principal);
        next(metadata, listener);
      },
    });
}

/** A task payload: the CBOR array of argument arrays of a chunk. */
export function payloadOf(...items: unknown[][]): Buffer {
  return Buffer.from(encodeValue(items));
}
