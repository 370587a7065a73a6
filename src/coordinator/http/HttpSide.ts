import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Logger, pb } from '../../protocol/index.ts';

/** What the HTTP side reads; the scheduler's `stats()` at scrape time. */
export interface HttpSideSource {
  stats(): pb.StatsResponse;
  /** Serving and not shutting down. */
  ready(): boolean;
}

/**
 * The coordinator's HTTP side port: `/healthz` (the process answers), `/readyz` (it serves gRPC and is
 * not shutting down; Kubernetes takes it out of the Service otherwise) and `/metrics` (Prometheus text:
 * agents, slots, queue depth — what an autoscaler such as KEDA scales agents on — plus process metrics).
 * Figures are read from the scheduler when scraped, so nothing is counted on the hot path.
 */
export class HttpSide {
  readonly #server: Server;
  readonly #listen: string;
  readonly #log: Logger;
  #address: string | undefined;

  /** With `tls`, serves https with the coordinator's certificate. */
  constructor(listen: string, source: HttpSideSource, log: Logger, tls?: { cert: string | Uint8Array; key: string | Uint8Array }) {
    this.#listen = listen;
    this.#log = log;
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const gauge = (name: string, help: string, read: (s: pb.StatsResponse) => number) =>
      new Gauge({ name, help, registers: [registry], collect() { this.set(read(source.stats())); } });
    gauge('drover_agents', 'Agent sessions connected.', (s) => s.agents);
    gauge('drover_slots', 'Worker slots offered by connected agents.', (s) => s.slots);
    gauge('drover_tasks_queued', 'Tasks waiting for an agent (scale agents on this).', (s) => s.tasksQueued);
    gauge('drover_tasks_running', 'Tasks assigned to agents and not finished.', (s) => s.tasksRunning);
    gauge('drover_jobs_open', 'Jobs not finished.', (s) => s.jobsOpen);
    let lastCompleted = 0;
    new Counter({
      name: 'drover_tasks_completed_total',
      help: 'Tasks with a final result (success or failure) since the coordinator started.',
      registers: [registry],
      collect() {
        const now = source.stats().tasksCompleted;
        if (now > lastCompleted) this.inc(now - lastCompleted);
        lastCompleted = now;
      },
    });
    const handle: RequestListener = (req, res) => {
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
    };
    this.#server = tls === undefined ? createServer(handle) : createHttpsServer({ cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) }, handle);
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
