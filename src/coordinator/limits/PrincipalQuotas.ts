import * as grpc from '@grpc/grpc-js';
import type { JobState } from '../JobState.ts';
import type { Limits } from './Limits.ts';
import { overLimit } from './overLimit.ts';
import type { Violation } from './Violation.ts';

/**
 * Per-principal quotas: open jobs (`maxOpenJobsPerPrincipal`) and tasks submitted but not completed
 * across them (`maxQueuedTasksPerPrincipal`), both RESOURCE_EXHAUSTED. It holds each principal's
 * jobs and drops those no longer open when it counts, so the scheduler needs no hook; a count costs
 * at most one pass over the principal's open jobs (bounded by the quota).
 */
export class PrincipalQuotas {
  readonly #limits: Limits;
  readonly #jobs = new Map<string, Set<JobState>>();

  constructor(limits: Limits) {
    this.#limits = limits;
  }

  /** Whether `principal` may open one more job. */
  checkOpen(principal: string): Violation | undefined {
    const jobs = this.#jobs.get(principal);
    if (jobs === undefined || jobs.size < this.#limits.maxOpenJobsPerPrincipal) return undefined;
    this.#prune(principal, jobs);
    if (jobs.size < this.#limits.maxOpenJobsPerPrincipal) return undefined;
    return overLimit(`OpenJob: principal ${JSON.stringify(principal)} has ${jobs.size} open jobs; one more`, jobs.size + 1, 'maxOpenJobsPerPrincipal', this.#limits, ' open jobs', grpc.status.RESOURCE_EXHAUSTED);
  }

  /** Counts `job` (opened or attached) against `principal`. */
  add(principal: string, job: JobState): void {
    let jobs = this.#jobs.get(principal);
    if (jobs === undefined) this.#jobs.set(principal, (jobs = new Set()));
    jobs.add(job);
  }

  /** Whether `principal` may queue `adding` more tasks. */
  checkInputs(principal: string, adding: number): Violation | undefined {
    const jobs = this.#jobs.get(principal);
    let queued = 0;
    if (jobs !== undefined) {
      for (const job of jobs) {
        if (job.state === 'open') queued += job.tasksSubmitted - job.tasksCompleted;
        else jobs.delete(job);
      }
    }
    if (queued + adding <= this.#limits.maxQueuedTasksPerPrincipal) return undefined;
    return overLimit(`principal ${JSON.stringify(principal)}: tasks queued or running (${queued}) plus this batch (${adding})`, queued + adding, 'maxQueuedTasksPerPrincipal', this.#limits, ' tasks', grpc.status.RESOURCE_EXHAUSTED);
  }

  #prune(principal: string, jobs: Set<JobState>): void {
    for (const job of jobs) if (job.state !== 'open') jobs.delete(job);
    if (jobs.size === 0) this.#jobs.delete(principal);
  }
}
