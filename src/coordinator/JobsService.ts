import * as grpc from '@grpc/grpc-js';
import type { Logger, pb } from '../protocol/index.ts';
import type { JobSink, JobState } from './JobState.ts';
import type { Scheduler } from './Scheduler.ts';
import { statusError } from './statusError.ts';
import { SumoVersionRange } from './SumoVersionRange.ts';

const digestPattern = /^[0-9a-f]{64}$/;
/** Client-chosen ids: 1 to 128 URL-safe characters (base64url ids included). */
const jobIdPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
const MAX_NAME_LENGTH = 1024;
const MAX_EXPORT_NAME_LENGTH = 512;
const MAX_RETRIES = 1000;

/**
 * `drover.v1.Jobs`: one `Run` stream per job (open → inputs → input end, with results, progress
 * and the job's end streamed back), plus `Cancel`, `Get` and `List`. Validation of what clients
 * send lives here; the scheduling itself is the {@link Scheduler}'s.
 */
export class JobsService {
  private readonly scheduler: Scheduler;
  private readonly log: Logger;

  constructor(scheduler: Scheduler, logger: Logger) {
    this.scheduler = scheduler;
    this.log = logger;
  }

  /** The handlers to pass to `server.addService(pb.JobsService, ...)`. */
  handlers(): pb.JobsServer {
    return {
      run: (call) => this.run(call),
      cancel: (call, callback) => {
        const job = this.scheduler.openJobById(call.request.jobId);
        if (job) {
          callback(null, { cancelled: this.scheduler.cancelJob(job, 'cancelled by Jobs.Cancel') });
        } else if (this.scheduler.hasJob(call.request.jobId)) {
          callback(null, { cancelled: false });
        } else {
          callback(statusError(grpc.status.NOT_FOUND, `no job with id ${JSON.stringify(call.request.jobId)}`));
        }
      },
      get: (call, callback) => {
        const info = this.scheduler.jobInfo(call.request.jobId);
        if (info) callback(null, info);
        else callback(statusError(grpc.status.NOT_FOUND, `no job with id ${JSON.stringify(call.request.jobId)}`));
      },
      list: (_call, callback) => {
        callback(null, { jobs: this.scheduler.listJobs() });
      },
    };
  }

  private run(call: grpc.ServerDuplexStream<pb.JobRequest, pb.JobResponse>): void {
    let job: JobState | undefined;
    let closed = false;
    const sink: JobSink = {
      send: (message) => {
        if (!closed) call.write(message);
      },
      close: () => {
        if (closed) return;
        closed = true;
        call.end();
      },
      abort: (message) => fail(grpc.status.UNAVAILABLE, message),
    };
    /** Ends the stream with an error status and cancels the job (its own stream is gone). */
    const fail = (code: grpc.status, message: string): void => {
      const wasOpen = !closed;
      // Closed first, so that the cancellation writes nothing on a stream that ends with an error.
      closed = true;
      if (job) this.scheduler.cancelJob(job, message);
      if (wasOpen) call.emit('error', statusError(code, message));
    };

    call.on('data', (request: pb.JobRequest) => {
      // Whatever follows the end of our side (a failure, a cancellation) is moot.
      if (closed) return;
      try {
        const msg = request.msg;
        if (job === undefined) {
          if (this.scheduler.isShutDown) {
            fail(grpc.status.UNAVAILABLE, 'the coordinator is shutting down');
            return;
          }
          if (msg?.$case !== 'open') {
            fail(grpc.status.INVALID_ARGUMENT, `the first message of a Jobs.Run stream must be "open", got ${JSON.stringify(msg?.$case ?? 'an empty message')}`);
            return;
          }
          const problem = this.checkOpen(msg.value);
          if (problem) {
            fail(problem.code, problem.message);
            return;
          }
          const open = msg.value;
          job = this.scheduler.openJob(
            {
              id: open.jobId,
              name: open.name,
              function: open.function!,
              requires: open.requires,
              timeoutMs: open.timeoutMs,
              retries: open.retries,
              retryOnError: open.retryOnError,
            },
            sink,
          );
          return;
        }
        if (job.state !== 'open') return;
        switch (msg?.$case) {
          case 'inputs': {
            if (job.inputEnded) {
              fail(grpc.status.INVALID_ARGUMENT, `job ${job.id}: inputs after InputEnd`);
              return;
            }
            const tasks = msg.value.tasks;
            for (let i = 0; i < tasks.length; i++) {
              const expected = job.tasksSubmitted + i;
              if (tasks[i].seq !== expected) {
                fail(grpc.status.INVALID_ARGUMENT, `job ${job.id}: task seq ${tasks[i].seq} out of order, expected ${expected} (tasks are numbered 0, 1, 2, ... in the order they are sent)`);
                return;
              }
            }
            this.scheduler.addInputs(job, tasks);
            return;
          }
          case 'inputEnd': {
            const total = msg.value.totalTasks;
            if (job.inputEnded) {
              fail(grpc.status.INVALID_ARGUMENT, `job ${job.id}: InputEnd sent twice`);
            } else if (total !== job.tasksSubmitted) {
              fail(grpc.status.INVALID_ARGUMENT, `job ${job.id}: InputEnd says ${total} tasks but ${job.tasksSubmitted} were sent`);
            } else {
              this.scheduler.endInput(job, total);
            }
            return;
          }
          case 'open':
            fail(grpc.status.INVALID_ARGUMENT, `job ${job.id}: "open" sent twice on one stream`);
            return;
          default:
            fail(grpc.status.INVALID_ARGUMENT, `job ${job.id}: empty JobRequest`);
        }
      } catch (error) {
        this.log.error({ err: error, jobId: job?.id }, 'Jobs.Run message failed');
        fail(grpc.status.INTERNAL, `the coordinator failed to handle a message: ${(error as Error).message}`);
      }
    });

    // The client half-closed: fine after InputEnd (results keep flowing); before it, the job
    // can never complete, so the client has given it up.
    call.on('end', () => {
      if (job === undefined) fail(grpc.status.INVALID_ARGUMENT, 'the Jobs.Run stream ended before "open"');
      else if (!job.inputEnded) this.scheduler.cancelJob(job, 'the client closed its stream before InputEnd');
    });
    call.on('cancelled', () => {
      closed = true;
      if (job) this.scheduler.cancelJob(job, 'the client cancelled the job stream');
    });
    call.on('error', (error) => {
      // Our own `fail` emits 'error' too; the job is cancelled by then and this is a no-op.
      closed = true;
      if (job) this.scheduler.cancelJob(job, `the job stream failed: ${error.message}`);
    });
  }

  private checkOpen(open: pb.OpenJob): { code: grpc.status; message: string } | undefined {
    const invalid = (message: string) => ({ code: grpc.status.INVALID_ARGUMENT, message: `OpenJob: ${message}` });
    const fn = open.function;
    if (!fn) return invalid('function is required');
    if (!digestPattern.test(fn.bundleDigest)) return invalid(`function.bundle_digest must be a lowercase hex sha256 (64 characters), got ${JSON.stringify(fn.bundleDigest.slice(0, 80))}`);
    if (!fn.exportName || fn.exportName.length > MAX_EXPORT_NAME_LENGTH) return invalid(`function.export_name must be 1 to ${MAX_EXPORT_NAME_LENGTH} characters`);
    if (open.name.length > MAX_NAME_LENGTH) return invalid(`name is longer than ${MAX_NAME_LENGTH} characters`);
    if (open.retries > MAX_RETRIES) return invalid(`retries must be at most ${MAX_RETRIES}, got ${open.retries}`);
    if (open.requires?.sumo) {
      try {
        SumoVersionRange.parse(open.requires.sumo);
      } catch (error) {
        return invalid(`requires.sumo: ${(error as Error).message}`);
      }
    }
    if (open.jobId) {
      if (!jobIdPattern.test(open.jobId)) {
        return invalid(`job_id must be 1 to 128 characters of letters, digits and _.:- not starting with . : or -, got ${JSON.stringify(open.jobId.slice(0, 140))}`);
      }
      if (this.scheduler.hasJob(open.jobId)) {
        return { code: grpc.status.ALREADY_EXISTS, message: `OpenJob: a job with id ${JSON.stringify(open.jobId)} already exists` };
      }
    }
    return undefined;
  }
}
