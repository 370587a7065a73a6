import type { pb } from '../protocol/index.ts';
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
      stats: (_call, callback) => callback(null, this.scheduler.stats()),
      listJobs: (call, callback) => {
        const state = call.request.state;
        const jobs = this.scheduler.listJobs();
        callback(null, { jobs: state === '' ? jobs : jobs.filter((job) => job.state === state) });
      },
    };
  }
}
