import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { deserializeJobRequest, pb, serializeCoordinatorMessage, serializeJobResponse, UsageError, type AgentsStream, type Logger } from '../protocol/index.ts';
import { createLogger } from '../protocol/logging/index.ts';
import { AdminService } from './AdminService.ts';
import { AgentsService } from './AgentsService.ts';
import { Authenticator } from './auth/Authenticator.ts';
import { BlobAccess } from './auth/BlobAccess.ts';
import { checkTokenSpec } from './auth/checkTokenSpec.ts';
import { createServerCredentials } from './auth/createServerCredentials.ts';
import type { ServerTls } from './auth/ServerTls.ts';
import { TokensFile } from './auth/TokensFile.ts';
import { TokenTable } from './auth/TokenTable.ts';
import type { TokenSpec } from './auth/TokenSpec.ts';
import { BlobsService } from './BlobsService.ts';
import { BlobStore } from './BlobStore.ts';
import { createReflectionService } from './createReflectionService.ts';
import { JobsService } from './JobsService.ts';
import { widenReceiveWindows } from './widenReceiveWindows.ts';
import { CoordinatorMetrics } from './http/CoordinatorMetrics.ts';
import { HttpSide, type HttpSideOptions } from './http/HttpSide.ts';
import { malformedRequestInterceptor, resolveLimits, withTolerantDeserializers, type Limits, type PrincipalOf } from './limits/index.ts';
import { Scheduler } from './Scheduler.ts';
import { CoordinatorStore } from './store/CoordinatorStore.ts';

/** HTTP/2 receive window per stream and per connection (see widenReceiveWindows): at 64 KiB, streaming clients held their inputs in memory for a round trip each. */
const RECEIVE_WINDOW_BYTES = 1024 * 1024;

/** Options for {@link Coordinator}. */
export interface CoordinatorOptions {
  /** `host:port` to listen on; default `127.0.0.1:7070`. Port 0 picks a free port (see `address`). */
  listen?: string;
  /** `host:port` of the HTTP side port (`/healthz`, `/readyz`, `/metrics`); none by default. */
  httpListen?: string;
  /**
   * Decides who may read `/metrics` and the dashboard's `/api/` on the HTTP side. Default: with
   * tokens, `/api/` needs an admin token (`Authorization: Bearer`) and `/metrics` (aggregate counts,
   * scraped by Prometheus) stays open; without tokens, everyone.
   */
  httpAuthorize?: HttpSideOptions['authorize'];
  /** pino logger; default `createLogger({ name: 'coordinator' })`. */
  logger?: Logger;
  /**
   * Directory for the durable state (`drover.sqlite`, `blobs/`), created 0700. A coordinator
   * restarted on the same directory resumes every job. Without it the state is in memory and dies
   * with the process.
   */
  dataDir?: string;
  /** An agent session that sends nothing (heartbeat, credit, results) for this long is dead; default 15 000 ms. Agents heartbeat every third of it. */
  leaseMs?: number;
  /** How long the attempts of a gone agent session wait for the agent to reconnect before they are re-queued; default 5000 ms. Also applies to the attempts that were running when the coordinator restarted. */
  agentGraceMs?: number;
  /** A job with no client stream attached for this long is cancelled (a completed one forgotten); default 10 min. */
  detachedJobTtlMs?: number;
  /** `'full'` syncs the database at every commit (survives power loss, slower); default `'normal'` (survives the process being killed). */
  synchronous?: 'normal' | 'full';
  /**
   * Bounds on what clients and agents send (sizes, counts, names, ranges, per-principal quotas);
   * unset ones keep their default (see `DEFAULT_LIMITS` and docs/security.md, "Limits").
   */
  limits?: Partial<Limits>;
  /** Who a call is counted against for per-principal quotas; default: the principal its token names (`'open'` without tokens). */
  principalOf?: PrincipalOf;
  /**
   * Tokens file (`ROLE PRINCIPAL TOKEN [expires=ISO-8601]` per line), re-read when it changes. With
   * it or `tokens`, every call must carry a valid token; with neither the coordinator is open to
   * anyone who can reach it (keep it on loopback). See docs/security.md.
   */
  tokensFile?: string;
  /** Tokens given in code, in force alongside those of `tokensFile`. */
  tokens?: readonly TokenSpec[];
  /** TLS for every listener (gRPC and the HTTP side); with `clientCa`, agents must present a certificate it signed. */
  tls?: ServerTls;
}

/** Names reported by `grpc.health.v1` ('' is the server as a whole). */
const SERVICE_NAMES = ['', 'drover.v1.Jobs', 'drover.v1.Agents', 'drover.v1.Blobs', 'drover.v1.Admin'];

/** How long `stop()` lets calls finish before cutting them. */
const SHUTDOWN_GRACE_MS = 1000;

/**
 * A drover coordinator: the gRPC server that takes jobs from clients (`Jobs`), hands their tasks to
 * agents (`Agents`), stores task bundles and files (`Blobs`) and reports on the cluster (`Admin`).
 * Jobs, tasks, attempts and results are committed to an embedded SQLite database before anything
 * is acknowledged, so a coordinator restarted on the same `dataDir` loses nothing.
 */
export class Coordinator {
  private readonly listen: string;
  private readonly log: Logger;
  private readonly options: CoordinatorOptions;
  private readonly limits: Limits;
  private http: HttpSide | undefined;
  private tokensFile: TokensFile | undefined;
  private revalidation: NodeJS.Timeout | undefined;
  /** `grpc.health.v1`: SERVING for '' and every drover service while up, NOT_SERVING once stopping. */
  private readonly health = new HealthImplementation();
  /** Prometheus metrics; the scheduler reports final results to it. */
  readonly metrics = new CoordinatorMetrics();
  private scheduler: Scheduler | undefined;
  private agents: AgentsService | undefined;
  private server: grpc.Server | undefined;
  private boundAddress: string | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  /** The running (or finished) start(): a stop() during it waits for it to fail and clean up. */
  private starting: Promise<void> | undefined;

  constructor(options: CoordinatorOptions = {}) {
    this.listen = options.listen ?? '127.0.0.1:7070';
    if (!/:\d+$/.test(this.listen)) throw new UsageError(`Coordinator: listen must be "host:port", got ${JSON.stringify(this.listen)}`);
    for (const key of ['leaseMs', 'agentGraceMs', 'detachedJobTtlMs'] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new UsageError(`Coordinator: ${key} must be a positive number of milliseconds, got ${value}`);
      }
    }
    this.limits = resolveLimits(options.limits);
    this.options = options;
    this.log = options.logger ?? createLogger({ name: 'coordinator' });
  }

  /**
   * Reads the tokens, opens the store (resuming what it holds), binds the listen address (with TLS
   * when configured) and starts serving.
   */
  start(): Promise<void> {
    if (this.started) return Promise.reject(new UsageError('Coordinator.start() was already called'));
    this.started = true;
    this.starting = this.startServing();
    return this.starting;
  }

  private async startServing(): Promise<void> {
    const { dataDir } = this.options;
    const tables: Array<() => TokenTable> = [];
    if (this.options.tokens !== undefined) {
      this.options.tokens.forEach((spec, i) => checkTokenSpec(spec, `Coordinator: tokens[${i}]`));
      const table = new TokenTable(this.options.tokens);
      tables.push(() => table);
    }
    if (this.options.tokensFile !== undefined) {
      const file = new TokensFile(this.options.tokensFile, { logger: this.log });
      this.tokensFile = file;
      tables.push(() => file.table);
    }
    const auth = new Authenticator({ tables, agentCertificate: this.options.tls?.clientCa !== undefined });
    if (!auth.isOpen) {
      // Revoked and expired tokens also end the streams they opened (agent sessions, job streams).
      this.revalidation = setInterval(() => {
        const ended = auth.revalidate();
        if (ended > 0) this.log.warn({ streams: ended }, 'ended streams whose token was revoked or expired');
      }, 1000);
      this.revalidation.unref();
    }
    let store: CoordinatorStore;
    try {
      if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      store = CoordinatorStore.open({
        path: dataDir === undefined ? ':memory:' : join(dataDir, 'drover.sqlite'),
        synchronous: this.options.synchronous ?? 'normal',
      });
    } catch (error) {
      this.tokensFile?.close();
      clearInterval(this.revalidation);
      throw error;
    }
    let scheduler: Scheduler | undefined;
    try {
      const blobs = dataDir === undefined ? new BlobStore() : await BlobStore.open(join(dataDir, 'blobs'));
      scheduler = new Scheduler({
        logger: this.log,
        store,
        leaseMs: this.options.leaseMs,
        agentGraceMs: this.options.agentGraceMs,
        detachedJobTtlMs: this.options.detachedJobTtlMs,
        metrics: this.metrics,
        maxUnreadResults: this.limits.maxUnreadResults,
        maxTaskBytes: this.limits.maxTaskBytes,
        // Batches stay well below the message limit (1 MiB unless the limit is smaller).
        maxBatchBytes: Math.min(1024 * 1024, Math.floor(this.limits.maxMessageBytes / 4)),
      });
      this.metrics.readFrom(scheduler);
      const restored = scheduler.restore();
      if (dataDir !== undefined) this.log.info({ dataDir, ...restored, blobs: blobs.count }, 'state restored');
      const server = new grpc.Server({
        'grpc.max_receive_message_length': this.limits.maxMessageBytes,
        'grpc.max_send_message_length': this.limits.maxMessageBytes,
        // Pings detect clients that vanished without closing their connection (agents also have
        // their lease), so their streams end and their jobs are detached.
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        // Unparseable requests end with INVALID_ARGUMENT (not grpc-js's INTERNAL); see withTolerantDeserializers.
        interceptors: [malformedRequestInterceptor],
      });
      const limits = this.limits;
      const blobAccess = new BlobAccess(dataDir === undefined ? undefined : join(dataDir, 'blob-readers.log'), { isAdmin: (name) => auth.isAdmin(name) });
      // Who may call what (docs/security.md): the SDK reads Admin.Stats (slots) to size chunks.
      const jobs = new JobsService(scheduler, this.log, { limits, blobAccess, ...(this.options.principalOf ? { principalOf: this.options.principalOf } : {}) });
      // Task inputs are read, and results written as the bytes stored for them, by code for their one shape.
      const jobsService: typeof pb.JobsService = { ...pb.JobsService, run: { ...pb.JobsService.run, requestDeserialize: deserializeJobRequest, responseSerialize: serializeJobResponse } };
      server.addService(withTolerantDeserializers(jobsService), auth.guard(pb.JobsService, jobs.handlers(), { default: ['client', 'admin'] }));
      const agents = new AgentsService(scheduler, this.log, limits);
      this.agents = agents;
      // Assignments (every task to every agent) take a hand-written encoder; the bytes are the same.
      const agentsService: typeof pb.AgentsService = { ...pb.AgentsService, connect: { ...pb.AgentsService.connect, responseSerialize: serializeCoordinatorMessage } };
      server.addService(withTolerantDeserializers(agentsService), auth.guard(pb.AgentsService, agents.handlers(), { default: ['agent'] }));
      server.addService(withTolerantDeserializers(pb.BlobsService), auth.guard(pb.BlobsService, new BlobsService(blobs, this.log, limits, blobAccess, agents).handlers(), { default: ['client', 'admin', 'agent'] }));
      server.addService(withTolerantDeserializers(pb.AdminService), auth.guard(pb.AdminService, new AdminService(scheduler).handlers(), { default: ['admin'], methods: { stats: ['client', 'admin'] } }));
      // Health and reflection stay open (probes and grpcurl carry no token); they reveal no data.
      this.health.addToServer(server);
      try {
        createReflectionService().addToServer(server);
      } catch (err) {
        // A bundled build without proto/ next to it still serves; only grpcurl's discovery is lost.
        this.log.warn({ err }, 'server reflection disabled: the .proto files could not be loaded');
      }
      this.scheduler = scheduler;
      this.server = server;
      widenReceiveWindows(server, RECEIVE_WINDOW_BYTES, 'before-bind');
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(this.listen, createServerCredentials(this.options.tls), (error, boundPort) => {
          if (error) return reject(error);
          widenReceiveWindows(server, RECEIVE_WINDOW_BYTES, 'bound');
          resolve(boundPort);
        });
      });
      this.boundAddress = this.listen.replace(/:\d+$/, `:${port}`);
      if (this.options.httpListen !== undefined) {
        const http = new HttpSide(this.options.httpListen, {
          stats: () => scheduler!.stats(),
          agents: () => scheduler!.agentSummaries(),
          jobs: () => scheduler!.jobSummaries(),
          ready: () => this.stopping === undefined && this.server !== undefined,
          metrics: this.metrics,
        }, this.log, { authorize: this.options.httpAuthorize ?? (auth.isOpen ? undefined : auth.httpAuthorizer()), tls: this.options.tls });
        await http.start();
        this.http = http;
      }
      if (this.stopping !== undefined) throw new UsageError('Coordinator.stop() was called while start() ran');
      for (const service of SERVICE_NAMES) this.health.setStatus(service, 'SERVING');
    } catch (error) {
      await this.http?.stop();
      this.http = undefined;
      this.tokensFile?.close();
      this.tokensFile = undefined;
      clearInterval(this.revalidation);
      this.scheduler = undefined;
      this.server?.forceShutdown();
      this.server = undefined;
      if (scheduler) scheduler.shutdown();
      else store.close();
      throw error;
    }
    this.log.info(
      { address: this.boundAddress, dataDir: dataDir ?? null, tls: this.options.tls !== undefined, mtlsAgents: this.options.tls?.clientCa !== undefined, auth: auth.isOpen ? 'open' : 'tokens' },
      'coordinator listening',
    );
  }

  /** The `host:port` actually bound (the port resolved when 0 was asked for); known once `start()` resolved. */
  /**
   * Opens an `Agents.Connect` stream inside this process, for an agent running beside the coordinator
   * (`drover local`, the SDK's embedded cluster): pass it as the agent's `connectStream`. The session
   * belongs to the agent principal `principal` — the one of the token the agent uses for its blob
   * calls, which the coordinator checks against the session. Nothing outside this process can open one.
   *
   * @example
   * const agent = new Agent({ coordinator: coordinator.address, token: agentToken, connectStream: () => coordinator.openAgentStream('local-agent') });
   */
  openAgentStream(principal: string): AgentsStream {
    // After stop() the service refuses the registration (UNAVAILABLE), as a stopped server would.
    if (this.agents === undefined) throw new UsageError('Coordinator.openAgentStream(): the coordinator has not started (await start() first)');
    return this.agents.openInProcess({ name: principal, role: 'agent' });
  }

  get address(): string {
    if (this.boundAddress === undefined) throw new UsageError('Coordinator.address is known once start() has resolved');
    return this.boundAddress;
  }

  /**
   * Stops taking jobs and sessions, commits what was handled, ends every job stream (clients see
   * UNAVAILABLE and re-attach to the next coordinator) and agent stream, closes the store, then
   * shuts the server down, cutting calls still open after a short grace. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** The HTTP side's `host:port`, when `httpListen` was given and `start()` resolved. */
  get httpAddress(): string | undefined {
    return this.http?.address;
  }

  private async shutdown(): Promise<void> {
    // A start() still running sees `stopping` when it is done binding and gives everything back
    // itself; until then there is nothing here to stop, and stop() must not resolve before it has.
    await this.starting?.catch(() => {});
    this.tokensFile?.close();
    clearInterval(this.revalidation);
    // Health checkers (grpcurl, Kubernetes gRPC probes) see the coordinator going before it goes.
    for (const service of SERVICE_NAMES) this.health.setStatus(service, 'NOT_SERVING');
    this.scheduler?.shutdown();
    await this.http?.stop();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.boundAddress !== undefined) this.log.info({ address: this.boundAddress }, 'coordinator stopped');
  }
}
