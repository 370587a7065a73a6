import type { AgentsStream, ClientTls, Logger } from '../protocol/index.ts';

/** Options of {@link Agent}. */
export interface AgentOptions {
  /** Coordinator address, `host:port`. */
  coordinator: string;
  /** Worker processes, i.e. task slots; default one per whole usable core (cgroup-aware), at least 1. */
  processes?: number;
  /** Agent name shown in results and listings; default `${os.hostname()}-${process.pid}`. */
  name?: string;
  /** Labels tasks can require (`requires.labels`). */
  labels?: Record<string, string>;
  /** Custom resources tasks can require (`requires.resources`). */
  resources?: Record<string, number>;
  /**
   * Blob cache directory (task bundles, and files tasks fetch with `context.fetchBlob`); default
   * `drover-cache-<uid>` under `os.tmpdir()`. Must be owned by this user and closed to others.
   */
  cacheDir?: string;
  /**
   * Where tasks' scratch directories (`context.scratchDir()`) are made, one per attempt, removed when
   * the attempt ends; default `drover-work-<uid>` under `os.tmpdir()`. Must be owned by this user and
   * closed to others.
   */
  workDir?: string;
  /**
   * Tasks queued here beyond the free slots, so workers never wait for a round trip. Default: one per
   * slot, growing (up to 128 per slot) while tasks are tiny, to keep ~20 ms of work queued per worker.
   * Set it to fix the number.
   */
  prefetch?: number;
  /**
   * Opens the `Agents.Connect` stream some other way than gRPC to `coordinator` — for an agent running
   * in the coordinator's own process: `() => coordinator.openAgentStream(principal)`. Blob calls still
   * go to `coordinator` over gRPC with `token`. Default: gRPC.
   */
  connectStream?: () => AgentsStream;
  /** Agent token, sent as `authorization: Bearer <token>` on every call; default none. */
  token?: string;
  /**
   * TLS to the coordinator: `true` (system roots) or a custom CA, plus the client certificate a
   * coordinator with `--tls-client-ca` requires from agents; default plaintext.
   */
  tls?: true | ClientTls;
  /** Node flags for the worker processes, e.g. `['--max-old-space-size=2048']`; default none. */
  workerExecArgv?: string[];
  /**
   * How much lower than the agent's own the worker processes' scheduling priority is: their niceness is
   * the agent's plus this (capped at 19; the commands tasks start inherit it). Default 5: when tasks
   * keep every core busy, the agent's event loop (assignments, results, heartbeats) and a coordinator
   * on the same machine still run as soon as they need to, instead of waiting behind the workers that
   * their own messages just woke (issue 5: no-op tasks through `drover local` ~6 % faster). Tasks lose
   * nothing to each other. 0 runs them at the agent's priority.
   */
  workerNice?: number;
  /** Replace a worker process after it ran this many tasks (between tasks, never during one); default unlimited. */
  maxTasksPerWorker?: number;
  /**
   * Replace a worker process whose resident set size passed this many MiB at the end of a task (it
   * starts nothing more; default unlimited). Bounds slow leaks in task code or the libraries it loads.
   */
  maxWorkerRssMb?: number;
  /**
   * Results are kept until the coordinator acknowledges them. While the kept payload passes this many
   * bytes the agent grants no new credit (default 256 MiB).
   */
  maxUnackedResultBytes?: number;
  /**
   * How long `stop({ drain: true })`, once the running tasks ended, waits for the coordinator to
   * acknowledge their results (reconnecting if need be) before it stops anyway; default 10 000 ms.
   */
  drainAckTimeoutMs?: number;
  /** How long `start()` keeps trying to register before it rejects; default 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * Run worker processes (and so tasks and the commands they start) as this unprivileged user; the
   * agent itself must run as root. Task scratch directories are owned by it; the blob cache and work
   * directory are opened to `gid` for traversal only. Default: workers run as the agent's user.
   */
  uid?: number;
  /** Group of the worker processes when `uid` is set; default the same number as `uid`. Give the workers a group of their own. */
  gid?: number;
  /** Default `createLogger({ name: 'agent' })`. */
  logger?: Logger;
  /** `host:port` for the agent's HTTP side (`/healthz`, `/readyz`, `/metrics`); none by default. Port 0 picks a free port (see `Agent.httpAddress`). */
  httpListen?: string;
}
