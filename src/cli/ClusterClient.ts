import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, createChannelCredentials, pb } from '../protocol/index.ts';
import { CliError } from './CliError.ts';
import type { ConnectionSettings } from './ConnectionSettings.ts';
import { ExitCode } from './ExitCode.ts';

/** Coordinator assumed by admin commands when neither `--coordinator` nor `DROVER_ADDRESS` is set. */
const DEFAULT_ADDRESS = '127.0.0.1:7070';

/**
 * The admin commands' view of a running coordinator: unary `Admin` and `Jobs` calls over one
 * channel, each with a deadline, failing with a {@link CliError} whose exit code says what went
 * wrong (unreachable 3, refused credentials 4, unknown job 5).
 */
export class ClusterClient {
  /** The `host:port` called. */
  readonly address: string;
  readonly #admin: pb.AdminClient;
  readonly #jobs: pb.JobsClient;
  readonly #timeoutMs: number;

  constructor(settings: ConnectionSettings, timeoutMs = 10_000) {
    this.address = settings.address ?? DEFAULT_ADDRESS;
    this.#timeoutMs = timeoutMs;
    const credentials = createChannelCredentials(settings.tls);
    const options = clientChannelOptions(settings.token);
    this.#admin = new pb.AdminClient(this.address, credentials, options);
    this.#jobs = new pb.JobsClient(this.address, credentials, { ...options, channelOverride: this.#admin.getChannel() });
  }

  /** `Admin.ListAgents`. */
  listAgents(): Promise<pb.AgentInfo[]> {
    return this.#call<pb.ListAgentsRequest, pb.ListAgentsResponse>((r, m, o, cb) => this.#admin.listAgents(r, m, o, cb), {}).then((r) => r.agents);
  }

  /** `Admin.Stats`. */
  stats(): Promise<pb.StatsResponse> {
    return this.#call<pb.StatsRequest, pb.StatsResponse>((r, m, o, cb) => this.#admin.stats(r, m, o, cb), {});
  }

  /** `Admin.ListJobs`: every job, optionally only those in `state`. */
  listJobs(state = ''): Promise<pb.JobInfo[]> {
    return this.#call<pb.AdminListJobsRequest, pb.AdminListJobsResponse>((r, m, o, cb) => this.#admin.listJobs(r, m, o, cb), { state }).then((r) => r.jobs);
  }

  /** `Jobs.Get`; an unknown id fails with exit code 5. */
  getJob(jobId: string): Promise<pb.JobInfo> {
    return this.#call<pb.GetJobRequest, pb.JobInfo>((r, m, o, cb) => this.#jobs.get(r, m, o, cb), { jobId });
  }

  /** `Jobs.Cancel`: true when this call cancelled it, false when it had already ended. */
  cancelJob(jobId: string): Promise<boolean> {
    return this.#call<pb.CancelJobRequest, pb.CancelJobResponse>((r, m, o, cb) => this.#jobs.cancel(r, m, o, cb), { jobId }).then((r) => r.cancelled);
  }

  close(): void {
    this.#admin.close();
    this.#jobs.close();
  }

  #call<Req, Res>(
    method: (request: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: (error: grpc.ServiceError | null, response: Res) => void) => unknown,
    request: Req,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      method(request, new grpc.Metadata(), { deadline: Date.now() + this.#timeoutMs }, (error, response) => {
        if (error) reject(this.#toCliError(error));
        else resolve(response);
      });
    });
  }

  #toCliError(error: grpc.ServiceError): CliError {
    switch (error.code) {
      case grpc.status.UNAVAILABLE:
      case grpc.status.DEADLINE_EXCEEDED:
        return new CliError(
          'DROVER_CONNECTION',
          `could not reach a drover coordinator at ${this.address} (${error.details || grpc.status[error.code]}): is it running, ` +
            'and are --coordinator / DROVER_ADDRESS and the TLS flags right?',
          ExitCode.unreachable,
          { cause: error },
        );
      case grpc.status.UNAUTHENTICATED:
      case grpc.status.PERMISSION_DENIED:
        return new CliError(
          'DROVER_UNAUTHORIZED',
          `the coordinator at ${this.address} refused the request: ${error.details}. Pass a valid token with --token-file, ` +
            'DROVER_TOKEN_FILE or DROVER_TOKEN (admin commands need an admin token).',
          ExitCode.unauthorized,
          { cause: error },
        );
      case grpc.status.NOT_FOUND:
        return new CliError('DROVER_NOT_FOUND', `${error.details}: list jobs with \`drover jobs ls\``, ExitCode.notFound, { cause: error });
      default:
        return new CliError('DROVER_REMOTE', `the coordinator at ${this.address} answered ${grpc.status[error.code]}: ${error.details}`, ExitCode.failed, { cause: error });
    }
  }
}
