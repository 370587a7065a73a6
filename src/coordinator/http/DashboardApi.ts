import type { pb } from '../../protocol/index.ts';
import type { AgentSummary } from '../AgentSummary.ts';
import type { RecentFailure } from '../FailureTally.ts';
import type { JobSummary } from '../JobSummary.ts';
import type { ThroughputSampler, ThroughputSeries } from './ThroughputSampler.ts';

/** What the dashboard API reads, at request time: the scheduler's live state. */
export interface DashboardSource {
  /** Connected agent sessions. */
  agents(): AgentSummary[];
  /** Jobs held and remembered finished ones. */
  jobs(): JobSummary[];
  /** Cluster counters (`Admin.Stats`). */
  stats(): pb.StatsResponse;
}

/** An agent as `/api/cluster` lists it. */
export interface AgentView {
  name: string;
  hostname: string;
  platform: string;
  nodeVersion: string;
  cpus: number;
  memoryMb: number;
  slots: number;
  /** Slots taken by the tasks assigned to the agent (at most `slots`). */
  busy: number;
  free: number;
  /** Tasks assigned to the agent: running, or waiting in its local queue for a slot. */
  tasks: number;
  /** SUMO version, or null when the agent has no SUMO. */
  sumoVersion: string | null;
  sumoTools: boolean;
  sumoTraci: boolean;
  labels: Record<string, string>;
  resources: Record<string, number>;
  draining: boolean;
  connectedAtMs: number;
}

/** `/api/cluster`. */
export interface ClusterView {
  nowMs: number;
  agents: AgentView[];
  totals: {
    agents: number;
    cpus: number;
    memoryMb: number;
    slots: number;
    busy: number;
    free: number;
    /** Agents offering SUMO. */
    sumoAgents: number;
    tasksQueued: number;
    tasksRunning: number;
    tasksCompleted: number;
    jobsOpen: number;
  };
}

/** A job as `/api/jobs` lists it. Task counts: a task is one chunk of input items. */
export interface JobView {
  id: string;
  name: string;
  /** Exported task function name. */
  function: string;
  bundleDigest: string;
  state: string;
  tasksSubmitted: number;
  /** Total tasks once the client ended the input; null while it may still send more. */
  tasksTotal: number | null;
  tasksDone: number;
  tasksFailed: number;
  tasksRunning: number;
  tasksQueued: number;
  failuresByKind: Record<string, number>;
  /** Results per second over the last seconds (open jobs). */
  ratePerSecond: number;
  createdAtMs: number;
  /** Null while open, or when unknown (ended before a coordinator restart). */
  endedAtMs: number | null;
  endMessage: string;
}

/** `/api/jobs/:id`. */
export interface JobDetailView extends JobView {
  /** The latest final failures, newest first, with their messages. */
  recentFailures: RecentFailure[];
}

/** `/api/jobs`. */
export interface JobListView {
  nowMs: number;
  /** Newest first, at most {@link DashboardApi.MAX_JOBS}. */
  jobs: JobView[];
  /** Jobs known but left out of `jobs`. */
  omitted: number;
}

/** An answer of the API: an HTTP status and a JSON body. */
export interface DashboardApiResponse {
  status: number;
  body: unknown;
}

/**
 * The dashboard's JSON API: `/api/cluster`, `/api/jobs`, `/api/jobs/:id` and `/api/throughput`,
 * built from the scheduler's state when asked. It reports counts, names, states and failure
 * messages, never a task's input or result payloads.
 */
export class DashboardApi {
  /** Jobs `/api/jobs` returns at most (newest first). */
  static readonly MAX_JOBS = 500;

  readonly #source: DashboardSource;
  readonly #sampler: ThroughputSampler;
  readonly #now: () => number;

  constructor(source: DashboardSource, sampler: ThroughputSampler, now: () => number = Date.now) {
    this.#source = source;
    this.#sampler = sampler;
    this.#now = now;
  }

  /** Answers a GET of `path` (no query string); undefined when the path is not under `/api/`. */
  handle(path: string): DashboardApiResponse | undefined {
    if (path === '/api/cluster') return { status: 200, body: this.cluster() };
    if (path === '/api/jobs') return { status: 200, body: this.jobs() };
    if (path === '/api/throughput') return { status: 200, body: this.throughput() };
    const match = /^\/api\/jobs\/([^/]+)$/.exec(path);
    if (match !== null) {
      let id: string;
      try {
        id = decodeURIComponent(match[1]!);
      } catch {
        return { status: 400, body: { error: 'malformed job id in the path' } };
      }
      const job = this.job(id);
      return job === undefined ? { status: 404, body: { error: `no job ${id} is known (finished jobs are forgotten after a while)` } } : { status: 200, body: job };
    }
    if (path === '/api' || path.startsWith('/api/')) {
      return { status: 404, body: { error: 'unknown API path: try /api/cluster, /api/jobs, /api/jobs/ID or /api/throughput' } };
    }
    return undefined;
  }

  cluster(): ClusterView {
    const agents = this.#source.agents().map(agentView).sort((a, b) => a.name.localeCompare(b.name));
    const stats = this.#source.stats();
    const sum = (pick: (a: AgentView) => number) => agents.reduce((total, a) => total + pick(a), 0);
    return {
      nowMs: this.#now(),
      agents,
      totals: {
        agents: agents.length,
        cpus: Math.round(sum((a) => a.cpus) * 100) / 100,
        memoryMb: sum((a) => a.memoryMb),
        slots: sum((a) => a.slots),
        busy: sum((a) => a.busy),
        free: sum((a) => a.free),
        sumoAgents: agents.filter((a) => a.sumoVersion !== null).length,
        tasksQueued: Number(stats.tasksQueued),
        tasksRunning: Number(stats.tasksRunning),
        tasksCompleted: Number(stats.tasksCompleted),
        jobsOpen: stats.jobsOpen,
      },
    };
  }

  jobs(): JobListView {
    const all = this.#source.jobs();
    const newest = all.slice(-DashboardApi.MAX_JOBS).reverse();
    return { nowMs: this.#now(), jobs: newest.map((job) => this.jobView(job)), omitted: all.length - newest.length };
  }

  job(id: string): JobDetailView | undefined {
    const job = this.#source.jobs().find((j) => j.info.jobId === id);
    return job === undefined ? undefined : { ...this.jobView(job), recentFailures: job.failures.recent() };
  }

  throughput(): ThroughputSeries & { nowMs: number } {
    return { nowMs: this.#now(), ...this.#sampler.series() };
  }

  private jobView(job: JobSummary): JobView {
    const info = job.info;
    return {
      id: info.jobId,
      name: info.name,
      function: job.function?.exportName ?? '',
      bundleDigest: job.function?.bundleDigest ?? '',
      state: info.state,
      tasksSubmitted: Number(info.tasksSubmitted),
      tasksTotal: info.inputEnded ? Number(info.tasksSubmitted) : null,
      tasksDone: Number(info.tasksCompleted),
      tasksFailed: Number(info.tasksFailed),
      tasksRunning: Number(info.tasksRunning),
      tasksQueued: job.queued,
      failuresByKind: job.failures.byKind(),
      ratePerSecond: info.state === 'open' ? this.#sampler.jobRate(info.jobId) : 0,
      createdAtMs: Number(info.createdAtMs),
      endedAtMs: job.endedAtMs > 0 ? job.endedAtMs : null,
      endMessage: job.endMessage,
    };
  }
}

function agentView({ info: agent, slotsAssigned }: AgentSummary): AgentView {
  const c = agent.capacity;
  const slots = c?.slots ?? 0;
  const busy = Math.min(slots, slotsAssigned);
  return {
    name: agent.name,
    hostname: c?.hostname ?? '',
    platform: c?.platform ?? '',
    nodeVersion: c?.nodeVersion ?? '',
    cpus: c?.cpus ?? 0,
    memoryMb: Number(c?.memoryMb ?? 0),
    slots,
    busy,
    free: slots - busy,
    tasks: agent.running,
    sumoVersion: c?.sumoVersion ? c.sumoVersion : null,
    sumoTools: c?.sumoTools ?? false,
    sumoTraci: c?.sumoTraci ?? false,
    labels: { ...(c?.labels ?? {}) },
    resources: { ...(c?.resources ?? {}) },
    draining: agent.draining,
    connectedAtMs: Number(agent.connectedAtMs),
  };
}
