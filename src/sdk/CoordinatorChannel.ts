import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, ConnectionError, createChannelCredentials, encodeMessage, pb, type ClientTls } from '../protocol/index.ts';

/** What a job stream writes: a request, or one already encoded (input batches kept for replay). */
export type JobRunRequest = pb.JobRequest | Uint8Array;

/** Options for {@link CoordinatorChannel}. */
export interface CoordinatorChannelOptions {
  address: string;
  token?: string;
  /** TLS: `true` (system roots) or a custom CA / client certificate; default plaintext. */
  tls?: true | ClientTls;
  /** How long a job whose stream broke keeps trying to re-attach; default 60 s. */
  reconnectTimeoutMs?: number;
}

/**
 * The SDK's one connection to a coordinator: the typed gRPC clients over a single HTTP/2 channel,
 * with the client token attached to every call.
 */
export class CoordinatorChannel {
  readonly address: string;
  readonly reconnectTimeoutMs: number;
  readonly jobs: pb.JobsClient;
  readonly blobs: pb.BlobsClient;
  readonly admin: pb.AdminClient;
  /**
   * The largest task payload the coordinator accepts, as its last `opened` said (0 until one has):
   * job streams refuse a larger task themselves, so that only the call that made it fails.
   */
  maxTaskBytes = 0;

  constructor(options: CoordinatorChannelOptions) {
    this.address = options.address;
    this.reconnectTimeoutMs = options.reconnectTimeoutMs ?? 60_000;
    const credentials = createChannelCredentials(options.tls);
    const channelOptions = clientChannelOptions(options.token, options.tls);
    this.jobs = new pb.JobsClient(options.address, credentials, channelOptions);
    const shared = { ...channelOptions, channelOverride: this.jobs.getChannel() };
    this.blobs = new pb.BlobsClient(options.address, credentials, shared);
    this.admin = new pb.AdminClient(options.address, credentials, shared);
  }

  /**
   * Open a `Jobs.Run` stream on the shared channel. Unlike `jobs.run()` it also takes requests
   * already encoded, and writes them without a copy.
   */
  runJob(): grpc.ClientDuplexStream<JobRunRequest, pb.JobResponse> {
    return this.jobs.makeBidiStreamRequest<JobRunRequest, pb.JobResponse>(
      pb.JobsService.run.path,
      serializeJobRunRequest,
      pb.JobsService.run.responseDeserialize,
    );
  }

  /** Resolve once the coordinator answers, or fail with a {@link ConnectionError} that says what to check. */
  async ready(timeoutMs = 10_000): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.jobs.waitForReady(Date.now() + timeoutMs, (err) => {
        if (!err) return resolve();
        reject(
          new ConnectionError(
            `could not reach a drover coordinator at ${this.address} within ${timeoutMs} ms: ` +
              'is `drover coordinator` (or `drover local`) running there, and is DROVER_ADDRESS right?',
            { cause: err },
          ),
        );
      });
    });
  }

  /** The cluster's current shape (agents, slots, queue). */
  stats(): Promise<pb.StatsResponse> {
    return new Promise((resolve, reject) => {
      this.admin.stats({}, (err, res) => (err ? reject(toConnectionError(this.address, err)) : resolve(res)));
    });
  }

  close(): void {
    this.jobs.close();
  }
}

/** Turn a gRPC failure into a typed error that names the coordinator. */
export function toConnectionError(address: string, err: grpc.ServiceError): ConnectionError {
  return new ConnectionError(`coordinator ${address}: ${err.details || err.message} (gRPC ${grpc.status[err.code]})`, {
    cause: err,
  });
}

function serializeJobRunRequest(request: JobRunRequest): Buffer {
  if (!(request instanceof Uint8Array)) return encodeMessage(pb.JobRequest, request);
  return Buffer.from(request.buffer, request.byteOffset, request.byteLength);
}
