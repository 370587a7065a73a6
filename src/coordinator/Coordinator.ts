import * as grpc from '@grpc/grpc-js';
import { createLogger, MAX_MESSAGE_BYTES, pb, UsageError, type Logger } from '../protocol/index.ts';
import { AdminService } from './AdminService.ts';
import { AgentsService } from './AgentsService.ts';
import { BlobsService } from './BlobsService.ts';
import { BlobStore } from './BlobStore.ts';
import { JobsService } from './JobsService.ts';
import { Scheduler } from './Scheduler.ts';

/** Options for {@link Coordinator}. */
export interface CoordinatorOptions {
  /** `host:port` to listen on; default `127.0.0.1:7070`. Port 0 picks a free port (see `address`). */
  listen?: string;
  /** pino logger; default `createLogger({ name: 'coordinator' })`. */
  logger?: Logger;
}

/** How long `stop()` lets calls finish before cutting them. */
const SHUTDOWN_GRACE_MS = 1000;

/**
 * A drover coordinator: the gRPC server that takes jobs from clients (`Jobs`), hands their tasks to
 * agents (`Agents`), stores task bundles and files (`Blobs`) and reports on the cluster (`Admin`).
 * Everything is in memory for now.
 */
export class Coordinator {
  private readonly listen: string;
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly server: grpc.Server;
  private boundAddress: string | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(options: CoordinatorOptions = {}) {
    this.listen = options.listen ?? '127.0.0.1:7070';
    if (!/:\d+$/.test(this.listen)) throw new UsageError(`Coordinator: listen must be "host:port", got ${JSON.stringify(this.listen)}`);
    this.log = options.logger ?? createLogger({ name: 'coordinator' });
    this.scheduler = new Scheduler({ logger: this.log });
    const blobs = new BlobStore();
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // Pings detect agents and clients that vanished without closing their connection, so
      // their attempts are re-queued and their jobs cancelled instead of hanging.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    });
    this.server.addService(pb.JobsService, new JobsService(this.scheduler, this.log).handlers());
    this.server.addService(pb.AgentsService, new AgentsService(this.scheduler, this.log).handlers());
    this.server.addService(pb.BlobsService, new BlobsService(blobs, this.log).handlers());
    this.server.addService(pb.AdminService, new AdminService(this.scheduler).handlers());
  }

  /** Binds the listen address (insecure for now) and starts serving. */
  async start(): Promise<void> {
    if (this.started) throw new UsageError('Coordinator.start() was already called');
    this.started = true;
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.listen, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
        if (error) reject(error);
        else resolve(boundPort);
      });
    });
    this.boundAddress = this.listen.replace(/:\d+$/, `:${port}`);
    this.log.info({ address: this.boundAddress }, 'coordinator listening');
  }

  /** The `host:port` actually bound (the port resolved when 0 was asked for); known once `start()` resolved. */
  get address(): string {
    if (this.boundAddress === undefined) throw new UsageError('Coordinator.address is known once start() has resolved');
    return this.boundAddress;
  }

  /**
   * Ends every job stream (clients see UNAVAILABLE) and agent stream, then shuts the server down,
   * cutting calls still open after a short grace. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.scheduler.shutdown();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.boundAddress !== undefined) this.log.info({ address: this.boundAddress }, 'coordinator stopped');
  }
}
