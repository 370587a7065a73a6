import type { pb } from '../protocol/index.ts';
import { CallPrincipal } from './auth/CallPrincipal.ts';
import { mayAccess } from './auth/mayAccess.ts';
import type { Scheduler } from './Scheduler.ts';

/** `drover.v1.Admin`: what the cluster looks like right now (agents with their load, queue depth, every job). */
export class AdminService {
  private readonly scheduler: Scheduler;

  constructor(scheduler: Scheduler) {
    this.scheduler = scheduler;
  }

  /** The handlers to pass to `server.addService(pb.AdminService, ...)`. */
  handlers(): pb.AdminServer {
    return {
      listAgents: (_call, callback) => callback(null, { agents: this.scheduler.listAgents() }),
      stats: (call, callback) => {
        // Clients may read Stats (the SDK sizes chunks by the slots): counts are cluster-wide, jobs their own.
        const stats = this.scheduler.stats();
        const principal = CallPrincipal.of(call);
        callback(null, principal.role === 'admin' ? stats : { ...stats, jobs: stats.jobs.filter((job) => mayAccess(principal, job.owner)) });
      },
      listJobs: (call, callback) => {
        const state = call.request.state;
        const jobs = this.scheduler.listJobs();
        callback(null, { jobs: state === '' ? jobs : jobs.filter((job) => job.state === state) });
      },
    };
  }
}
