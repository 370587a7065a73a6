import * as grpc from '@grpc/grpc-js';
import type { EncodedResultBatch, Logger, pb } from '../protocol/index.ts';
import type { BlobAccess } from './auth/BlobAccess.ts';
import { CallPrincipal } from './auth/CallPrincipal.ts';
import { mayAccess } from './auth/mayAccess.ts';
import { jobSpecOf, type JobSink, type JobState } from './JobState.ts';
import { checkJobId, limitFlag, PrincipalQuotas, resolveLimits, validateOpenJob, validateTaskInputs, type Limits, type PrincipalOf, type Violation } from './limits/index.ts';
import type { Scheduler } from './Scheduler.ts';
import { statusError } from './statusError.ts';

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
  private readonly limits: Limits;
  private readonly principalOf: PrincipalOf;
  private readonly quotas: PrincipalQuotas;
  private readonly blobAccess: BlobAccess | undefined;
  /** Where each job's next chunk must start (`first_index`), known for jobs whose inputs came through here. */
  private readonly nextIndex = new WeakMap<JobState, number>();

  /**
   * `limits` bound what clients send; `principalOf` names who a call's quotas count against (default:
   * the authenticated principal; the open jobs the scheduler holds already count against their
   * owners); with `blobAccess`, a job may only name a bundle its client may read.
   */
  constructor(scheduler: Scheduler, logger: Logger, options: { limits?: Limits; principalOf?: PrincipalOf; blobAccess?: BlobAccess } = {}) {
    this.scheduler = scheduler;
    this.log = logger;
    this.limits = options.limits ?? resolveLimits();
    this.principalOf = options.principalOf ?? ((call) => CallPrincipal.of(call).name);
    this.quotas = new PrincipalQuotas(this.limits);
    this.blobAccess = options.blobAccess;
    // Jobs resumed from the store (a restart) count against their owners, as before the restart.
    for (const info of scheduler.listJobs()) {
      const job = info.state === 'open' ? scheduler.jobById(info.jobId) : undefined;
      if (job !== undefined) this.quotas.add(job.owner, job);
    }
  }

  /** The handlers to pass to `server.addService(pb.JobsService, ...)`. */
  handlers(): pb.JobsServer {
    return {
      run: (call) => this.run(call),
      cancel: (call, callback) => {
        const bad = checkJobId('CancelJobRequest.job_id', call.request.jobId);
        if (bad) return callback(statusError(bad.code, bad.message));
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
        const bad = checkJobId('GetJobRequest.job_id', call.request.jobId);
        if (bad) return callback(statusError(bad.code, bad.message));
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

  /** `call` writes results as {@link EncodedResultBatch}es too: the service's response serializer is `serializeJobResponse`. */
  private run(call: grpc.ServerDuplexStream<pb.JobRequest, pb.JobResponse | EncodedResultBatch>): void {
    const principal = this.principalOf(call);
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
      clearTimeout(openTimer);
      if (job && !(options.cancel && this.scheduler.cancelJob(job, message))) this.scheduler.detach(job, sink, message);
      if (wasOpen) call.emit('error', statusError(code, message));
    };
    const invalid = (message: string): void => fail(grpc.status.INVALID_ARGUMENT, message, { cancel: true });
    // A stream that never says which job it is for holds a call open for nothing: it is closed.
    const openTimer = setTimeout(() => {
      if (job === undefined && !closed && !closing) {
        fail(grpc.status.DEADLINE_EXCEEDED, `the Jobs.Run stream sent no "open" or "attach" within ${this.limits.streamOpenTimeoutMs} ms (set with drover coordinator ${limitFlag('streamOpenTimeoutMs')})`);
      }
    }, this.limits.streamOpenTimeoutMs);
    openTimer.unref();

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
            const bad = checkJobId('AttachJob.job_id', jobId);
            if (bad) {
              fail(bad.code, bad.message);
              return;
            }
            clearTimeout(openTimer);
            const attached = this.visibleJob(call, jobId) ? this.scheduler.attachJob(jobId, afterRseq, sink) : undefined;
            if (attached === undefined) {
              fail(grpc.status.NOT_FOUND, `AttachJob: no job with id ${JSON.stringify(jobId)} on this coordinator (never opened here, or ended and forgotten)`);
            } else if (attached !== 'ended') {
              job = attached;
              // Counted against its owner, not whoever attached (an admin watching others' jobs).
              this.quotas.add(job.owner || principal, job);
            }
            return;
          }
          if (msg?.$case !== 'open') {
            fail(grpc.status.INVALID_ARGUMENT, `the first message of a Jobs.Run stream must be "open" or "attach", got ${JSON.stringify(msg?.$case ?? 'an empty message')}`);
            return;
          }
          const problem = this.checkOpen(msg.value, principal);
          if (problem) {
            fail(problem.code, problem.message);
            return;
          }
          clearTimeout(openTimer);
          const open = msg.value;
          const caller = CallPrincipal.of(call);
          const bundle = open.function!.bundleDigest;
          // Running another principal's bundle could reveal what it holds (code, embedded data).
          if (this.blobAccess !== undefined && !this.blobAccess.mayRead(caller, bundle)) {
            fail(grpc.status.FAILED_PRECONDITION, `OpenJob: bundle ${bundle} is not among the blobs you uploaded; upload it (Blobs.Put) before opening a job that uses it`);
            return;
          }
          job = this.scheduler.openJob(jobSpecOf(open, open.jobId, caller.name), sink);
          this.quotas.add(principal, job);
          this.nextIndex.set(job, 0);
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
            const fresh = start === 0 ? tasks : tasks.slice(start);
            const bounds = validateTaskInputs(job.id, fresh, this.limits, this.nextIndex.get(job)) ?? this.quotas.checkInputs(job.owner || principal, fresh.length);
            if (bounds) {
              fail(bounds.code, bounds.message, { cancel: true });
              return;
            }
            const last = fresh[fresh.length - 1];
            this.nextIndex.set(job, last.firstIndex + last.items);
            this.scheduler.addInputs(job, fresh);
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
      clearTimeout(openTimer);
      if (closed) return;
      closed = true;
      if (closeTimer) clearTimeout(closeTimer);
      if (job) this.scheduler.detach(job, sink, 'the client cancelled its stream or lost its connection');
    });
    call.on('error', (error) => {
      clearTimeout(openTimer);
      // Our own `fail` emits 'error' too; the stream is closed by then and this is a no-op.
      if (closed) return;
      closed = true;
      if (closeTimer) clearTimeout(closeTimer);
      if (job) this.scheduler.detach(job, sink, `the job stream failed: ${error.message}`);
    });
  }

  private checkOpen(open: pb.OpenJob, principal: string): Violation | undefined {
    const problem = validateOpenJob(open, this.limits) ?? this.quotas.checkOpen(principal);
    if (problem) return problem;
    if (open.jobId && this.scheduler.hasJob(open.jobId)) {
      return { code: grpc.status.ALREADY_EXISTS, message: `OpenJob: a job with id ${JSON.stringify(open.jobId)} already exists` };
    }
    return undefined;
  }
}
