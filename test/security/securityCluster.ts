import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'vitest';
import { clientChannelOptions, createChannelCredentials, pb, sha256Hex, type ClientTls } from '../../src/protocol/index.ts';
import { FakeJob, unary, waitFor } from '../unit/coordinator/fakes.ts';

/** Raw gRPC clients of one coordinator, all sending one token (or none), over one channel. */
export class RawClients {
  readonly jobs: pb.JobsClient;
  readonly agents: pb.AgentsClient;
  readonly blobs: pb.BlobsClient;
  readonly admin: pb.AdminClient;

  constructor(address: string, token?: string, tls?: true | ClientTls, metadata?: Record<string, string>) {
    const credentials = createChannelCredentials(tls);
    const options = clientChannelOptions(token, tls);
    if (metadata) {
      // A raw header instead of the bearer token (malformed credentials).
      options.interceptors = [
        (opts, next) =>
          new grpc.InterceptingCall(next(opts), {
            start(md, listener, nextStart) {
              for (const [k, v] of Object.entries(metadata)) md.set(k, v);
              nextStart(md, listener);
            },
          }),
      ];
    }
    this.jobs = new pb.JobsClient(address, credentials, options);
    const shared = { ...options, channelOverride: this.jobs.getChannel() };
    this.agents = new pb.AgentsClient(address, credentials, shared);
    this.blobs = new pb.BlobsClient(address, credentials, shared);
    this.admin = new pb.AdminClient(address, credentials, shared);
  }

  list(): Promise<pb.ListJobsResponse> {
    return unary(this.jobs.list.bind(this.jobs), {});
  }

  get(jobId: string): Promise<pb.JobInfo> {
    return unary(this.jobs.get.bind(this.jobs), { jobId });
  }

  cancel(jobId: string): Promise<pb.CancelJobResponse> {
    return unary(this.jobs.cancel.bind(this.jobs), { jobId });
  }

  has(digests: string[]): Promise<pb.HasBlobsResponse> {
    return unary(this.blobs.has.bind(this.blobs), { digests, jobId: '', sessionId: '' });
  }

  listAgents(): Promise<pb.ListAgentsResponse> {
    return unary(this.admin.listAgents.bind(this.admin), {});
  }

  stats(): Promise<pb.StatsResponse> {
    return unary(this.admin.stats.bind(this.admin), {});
  }

  /** Uploads `data` in one chunk; resolves with the response. */
  put(data: Buffer, digest = sha256Hex(data)): Promise<pb.PutBlobResponse> {
    return new Promise((resolve, reject) => {
      const call = this.blobs.put((error, response) => (error ? reject(error) : resolve(response!)));
      call.write({ digest, size: data.length, data, jobId: '', sessionId: '' });
      call.end();
    });
  }

  /** Downloads a blob whole. */
  getBlob(digest: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const call = this.blobs.get({ digest, jobId: '', sessionId: '' });
      call.on('data', (chunk: pb.BlobChunk) => chunks.push(Buffer.from(chunk.data)));
      call.on('error', reject);
      call.on('end', () => resolve(Buffer.concat(chunks)));
    });
  }

  /** Opens an Agents.Connect stream, registers, and resolves with how it ended or with `registered`. */
  connectAgent(name: string): Promise<{ registered: true } | { code: grpc.status; details: string }> {
    return new Promise((resolve) => {
      const call = this.agents.connect();
      call.on('data', (message: pb.CoordinatorMessage) => {
        if (message.msg?.$case === 'registered') {
          resolve({ registered: true });
          call.end();
        }
      });
      call.on('error', (error: grpc.ServiceError) => resolve({ code: error.code, details: error.details }));
      call.write({
        msg: {
          $case: 'register',
          value: {
            name,
            version: 'test',
            runningAttemptIds: [],
            acksWithAssign: false,
            capacity: { cpus: 1, memoryMb: 64, slots: 1, sumoVersion: '', sumoHome: '', labels: {}, resources: {}, hostname: 'h', platform: 'linux', nodeVersion: 'v24', sumoTools: false, sumoTraci: false, sumoLibsumo: false },
          },
        },
      });
    });
  }

  /** Opens a job stream and resolves with the status it ended with (for calls that are refused). */
  runRefused(): Promise<{ code: grpc.status; details: string }> {
    return new Promise((resolve) => {
      const job = new FakeJob(this.jobs);
      job.call.on('status', (status) => resolve({ code: status.code, details: status.details }));
      job.open({ function: FN });
    });
  }

  close(): void {
    this.jobs.close();
  }
}

/** The gRPC status a promise rejects with. */
export async function statusOf(promise: Promise<unknown>): Promise<{ code: grpc.status; details: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error('the call succeeded but was expected to fail');
}

/** A stand-in task bundle: each client principal uploads it before opening jobs that name it. */
export const BUNDLE = Buffer.from('export function echo(x) { return x; }');
/** `OpenJob.function` naming {@link BUNDLE}. */
export const FN: pb.FunctionRef = { bundleDigest: sha256Hex(BUNDLE), exportName: 'echo' };

/** A fresh 64-hex-character token. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * A legitimate client still gets service: a job of `n` tasks opened with `client` completes
 * through the echo agent with every result, each its own payload.
 */
export async function expectServed(client: RawClients, n = 5): Promise<string> {
  const job = new FakeJob(client.jobs);
  job.open({ name: 'legit', function: FN });
  const jobId = await job.jobId();
  job.send(0, n);
  job.end(n);
  expect(await job.ended()).toEqual({ state: 'completed', message: '' });
  const results = job.results().sort((a, b) => a.seq - b.seq);
  expect(results.map((r) => [r.seq, Buffer.from((r.outcome as { value: Uint8Array }).value).toString()])).toEqual(
    Array.from({ length: n }, (_, i) => [i, `task-${i}`]),
  );
  await waitFor(() => job.status, 'job status');
  expect(job.status?.code).toBe(grpc.status.OK);
  return jobId;
}
