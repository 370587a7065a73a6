import * as grpc from '@grpc/grpc-js';
import type { Logger, pb } from '../protocol/index.ts';
import type { BlobAccess } from './auth/BlobAccess.ts';
import { CallPrincipal } from './auth/CallPrincipal.ts';
import { mayAccess } from './auth/mayAccess.ts';
import { jobSpecOf, type JobSink, type JobState } from './JobState.ts';
import type { Scheduler } from './Scheduler.ts';
import { statusError } from './statusError.ts';
import { SumoVersionRange } from './SumoVersionRange.ts';

const digestPattern = /^[0-9a-f]{64}$/;
/** Client-chosen ids: 1 to 128 URL-safe characters (base64url ids included). */
const jobIdPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
const MAX_NAME_LENGTH = 1024;
const MAX_EXPORT_NAME_LENGTH = 512;
const MAX_RETRIES = 1000;
/** How long a finished stream waits for its client to half-close before ending anyway. */
const CLOSE_WAIT_MS = 10_000;

/**
 * `drover.v1.Jobs`: one `Run` stream per job (open or attach → inputs → input end, with results,
 * progress, input acknowledgements and the job's end streamed back), plus `Cancel`, `Get` and
 * `List`. A stream that goes away detaches from its job, which goes on; only `Cancel` (or a client
 * breaking the protocol) cancels. Validation of what clients send lives here; the scheduling
 * itself is the {@link Scheduler}'s.
 */
export class JobsService {
  private readonly scheduler: Scheduler;
  private readonly log: Logger;
  private readonly blobAccess: BlobAccess | undefined;

  /** With `blobAccess`, a job may only name a bundle its client may read (uploaded itself). */
  constructor(scheduler: Scheduler, logger: Logger, blobAccess?: BlobAccess) {
    this.scheduler = scheduler;
    this.log = logger;
    this.blobAccess = blobAccess;
  }

  /** The handlers to pass to `server.addService(pb.JobsService, ...)`. */
  handlers(): pb.JobsServer {
    return {
      run: (call) => this.run(call),
      cancel: (call, callback) => {
        const job = this.visibleJob(call, call.request.jobId) ? this.scheduler.jobById(call.request.jobId) : undefined;
        if (job) {
          callback(null, { cancelled: this.scheduler.cancelJob(job, 'cancelled by Jobs.Cancel') });
        } else if (this.scheduler.hasJob(call.request.jobId) && this.visibleJob(call, call.request.jobId)) {
          callback(null, { cancelled: false });
        } else {
          callback(statusError(grpc.status.NOT_FOUND, `no job with id ${JSON.stringify(call.request.jobId)}`));
        }
      },
      get: (call, callback) => {
        const info = this.scheduler.jobInfo(call.request.jobId);
        if (info && mayAccess(CallPrincipal.of(call), info.owner)) callback(null, info);
        else callback(statusError(grpc.status.NOT_FOUND, `no job with id ${JSON.stringify(call.request.jobId)}`));
      },
      list: (call, callback) => {
        const principal = CallPrincipal.of(call);
        callback(null, { jobs: this.scheduler.listJobs().filter((info) => mayAccess(principal, info.owner)) });
      },
    };
  }

  /**
   * Whether the caller may see the job: its own, or any for an admin. Someone else's job answers
   * exactly like a job that does not exist (NOT_FOUND), so ids do not leak.
   */
  private visibleJob(call: object, jobId: string): boolean {
    const info = this.scheduler.jobInfo(jobId);
    return info !== undefined && mayAccess(CallPrincipal.of(call), info.owner);
  }

  private run(call: grpc.ServerDuplexStream<pb.JobRequest, pb.JobResponse>): void {
    let job: JobState | undefined;
    /** Our side has ended (or is ending with an error status): nothing more is written or handled. */
    let closed = false;
    /** The client half-closed its side. */
    let clientEnded = false;
    /** `close()` was called: the stream ends with OK once the client half-closes (or after a wait). */
    let closing = false;
    let closeTimer: NodeJS.Timeout | undefined;
    const endNow = (): void => {
      if (closed) return;
      closed = true;
      if (closeTimer) clearTimeout(closeTimer);
      // A completed job whose client did not confirm it read everything stays attachable (TTL).
      if (job) this.scheduler.detach(job, sink, 'the stream ended after the job did');
      call.end();
    };
    const sink: JobSink = {
      send: (message) => {
        if (!closed) call.write(message);
      },
      close: () => {
        if (closed || closing) return;
        closing = true;
        if (clientEnded) {
          endNow();
        } else {
          closeTimer = setTimeout(endNow, CLOSE_WAIT_MS);
          closeTimer.unref();
        }
      },
      abort: (message, code = 'unavailable') => fail(code === 'aborted' ? grpc.status.ABORTED : grpc.status.UNAVAILABLE, message),
    };
    /**
     * Ends the stream with an error status. The job goes on without this stream (a client may
     * attach again), unless `cancel` says the job itself is broken (the client broke the protocol).
     */
    const fail = (code: grpc.status, message: string, options: { cancel?: boolean } = {}): void => {
      const wasOpen = !closed;
      // Closed first, so that a cancellation writes nothing on a stream that ends with an error.
      closed = true;
      if (closeTimer) clearTimeout(closeTimer);
      if (job && !(options.cancel && this.scheduler.cancelJob(job, message))) this.scheduler.detach(job, sink, message);
      if (wasOpen) call.emit('error', statusError(code, message));
    };
    const invalid = (message: string): void => fail(grpc.status.INVALID_ARGUMENT, message, { cancel: true });

    call.on('data', (request: pb.JobRequest) => {
      // Whatever follows the end of our side (a failure, a cancellation) is moot.
      if (closed) return;
      try {
        const msg = request.msg;
        if (job === undefined) {
          if (closing) return; // a stream that attached to an ended job: only its end is left
          if (this.scheduler.isShutDown) {
            fail(grpc.status.UNAVAILABLE, 'the coordinator is shutting down; the SDK re-attaches');
            return;
          }
          if (msg?.$case === 'attach') {
            const { jobId, afterRseq } = msg.value;
            if (!jobIdPattern.test(jobId)) {
              fail(grpc.status.INVALID_ARGUMENT, `AttachJob: job_id must be 1 to 128 characters of letters, digits and _.:-, got ${JSON.stringify(jobId.slice(0, 140))}`);
              return;
            }
            const attached = this.visibleJob(call, jobId) ? this.scheduler.attachJob(jobId, afterRseq, sink) : undefined;
            if (attached === undefined) {
              fail(grpc.status.NOT_FOUND, `AttachJob: no job with id ${JSON.stringify(jobId)} on this coordinator (never opened here, or ended and forgotten)`);
            } else if (attached !== 'ended') {
              job = attached;
            }
            return;
          }
          if (msg?.$case !== 'open') {
            fail(grpc.status.INVALID_ARGUMENT, `the first message of a Jobs.Run stream must be "open" or "attach", got ${JSON.stringify(msg?.$case ?? 'an empty message')}`);
            return;
          }
          const problem = this.checkOpen(msg.value);
          if (problem) {
            fail(problem.code, problem.message);
            return;
          }
          const open = msg.value;
          const principal = CallPrincipal.of(call);
          const bundle = open.function!.bundleDigest;
          // Running another principal's bundle could reveal what it holds (code, embedded data).
          if (this.blobAccess !== undefined && !this.blobAccess.mayRead(principal, bundle)) {
            fail(grpc.status.FAILED_PRECONDITION, `OpenJob: bundle ${bundle} is not among the blobs you uploaded; upload it (Blobs.Put) before opening a job that uses it`);
            return;
          }
          job = this.scheduler.openJob(jobSpecOf(open, open.jobId, principal.name), sink);
          return;
        }
        switch (msg?.$case) {
          case 'resultsReceived':
            this.scheduler.resultsReceived(job, msg.value.throughRseq);
            return;
          case 'inputs': {
            if (job.state !== 'open') return;
            // A client that re-attached re-sends what it had in flight: a leading run of seqs
            // already accepted is skipped; the rest must continue without a gap.
            const tasks = msg.value.tasks;
            let start = 0;
            while (start < tasks.length && tasks[start].seq < job.tasksSubmitted) start += 1;
            if (start === tasks.length) return;
            if (job.inputEnded) {
              invalid(`job ${job.id}: task seq ${tasks[start].seq} after InputEnd (${job.totalTasks} tasks)`);
              return;
            }
            for (let i = start; i < tasks.length; i++) {
              const expected = job.tasksSubmitted + i - start;
              if (tasks[i].seq !== expected) {
                invalid(`job ${job.id}: task seq ${tasks[i].seq} out of order, expected ${expected} (tasks are numbered 0, 1, 2, ... in the order they are sent)`);
                return;
              }
            }
            this.scheduler.addInputs(job, start === 0 ? tasks : tasks.slice(start));
            return;
          }
          case 'inputEnd': {
            if (job.state !== 'open') return;
            const total = msg.value.totalTasks;
            if (job.inputEnded) {
              // Re-sent after a re-attach: fine when it says the same.
              if (total !== job.totalTasks) invalid(`job ${job.id}: InputEnd says ${total} tasks but an earlier one said ${job.totalTasks}`);
            } else if (total !== job.tasksSubmitted) {
              invalid(`job ${job.id}: InputEnd says ${total} tasks but ${job.tasksSubmitted} were sent`);
            } else {
              this.scheduler.endInput(job, total);
            }
            return;
          }
          case 'open':
          case 'attach':
            invalid(`job ${job.id}: "${msg.$case}" sent on a stream that already has a job`);
            return;
          default:
            invalid(`job ${job.id}: empty JobRequest`);
        }
      } catch (error) {
        this.log.error({ err: error, jobId: job?.id }, 'Jobs.Run message failed');
        fail(grpc.status.INTERNAL, `the coordinator failed to handle a message: ${(error as Error).message}`);
      }
    });

    // The client half-closed. After `end` it has read everything: the stream ends with OK (and a
    // completed job's rows can go). Before InputEnd it cannot complete the job on this stream; the
    // job stays attachable. After InputEnd results keep flowing.
    call.on('end', () => {
      clientEnded = true;
      if (closed) return;
      if (closing) {
        if (job) this.scheduler.clientEnded(job, sink);
        endNow();
      } else if (job === undefined) {
        fail(grpc.status.INVALID_ARGUMENT, 'the Jobs.Run stream ended before "open" or "attach"');
      } else if (!job.inputEnded && job.state === 'open') {
        fail(grpc.status.INVALID_ARGUMENT, `job ${job.id}: the client closed its stream before InputEnd; the job stays open for a client to attach`);
      }
    });
    // The client went away: the job goes on, detached.
    call.on('cancelled', () => {
      if (closed) return;
      closed = true;
      if (closeTimer) clearTimeout(closeTimer);
      if (job) this.scheduler.detach(job, sink, 'the client cancelled its stream or lost its connection');
    });
    call.on('error', (error) => {
      // Our own `fail` emits 'error' too; the stream is closed by then and this is a no-op.
      if (closed) return;
      closed = true;
      if (closeTimer) clearTimeout(closeTimer);
      if (job) this.scheduler.detach(job, sink, `the job stream failed: ${error.message}`);
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
