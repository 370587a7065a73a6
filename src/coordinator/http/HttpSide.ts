import { createServer, type Server } from 'node:http';
import type { Logger, pb } from '../../protocol/index.ts';
import type { CoordinatorMetrics } from './CoordinatorMetrics.ts';

/** What the HTTP side reads; the scheduler's `stats()` at scrape time. */
export interface HttpSideSource {
  stats(): pb.StatsResponse;
  /** Serving and not shutting down. */
  ready(): boolean;
  /** What `/metrics` exposes (see CoordinatorMetrics). */
  metrics: CoordinatorMetrics;
}

/**
 * The coordinator's HTTP side port: `/healthz` (the process answers), `/readyz` (it serves gRPC and is
 * not shutting down; Kubernetes takes it out of the Service otherwise) and `/metrics` (Prometheus text:
 * see CoordinatorMetrics for what it holds — queue depth, what an autoscaler such as KEDA scales agents on,
 * among them).
 */
export class HttpSide {
  readonly #server: Server;
  readonly #listen: string;
  readonly #log: Logger;
  #address: string | undefined;

  constructor(listen: string, source: HttpSideSource, log: Logger) {
    this.#listen = listen;
    this.#log = log;
    const registry = source.metrics.registry;
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const ready = source.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
      } else if (path === '/metrics') {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (err: unknown) => {
            this.#log.warn({ err }, 'metrics collection failed');
            res.writeHead(500).end();
          },
        );
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /readyz or /metrics\n');
      }
    });
  }

  /** `host:port` bound (port resolved when 0 was asked for). */
  get address(): string | undefined {
    return this.#address;
  }

  async start(): Promise<void> {
    const colon = this.#listen.lastIndexOf(':');
    const host = this.#listen.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(this.#listen.slice(colon + 1));
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const bound = this.#server.address();
    this.#address = typeof bound === 'object' && bound ? `${this.#listen.slice(0, colon)}:${bound.port}` : this.#listen;
    this.#log.info({ http: this.#address }, 'HTTP side listening (/healthz, /readyz, /metrics)');
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
