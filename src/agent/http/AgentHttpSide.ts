import { createServer, type Server } from 'node:http';
import { listenHttpServer, type Logger } from '../../protocol/index.ts';
import type { AgentMetrics } from './AgentMetrics.ts';

/**
 * The agent's HTTP port (`drover agent --http HOST:PORT`): `/healthz` (the process answers: a
 * liveness probe), `/readyz` (registered with the coordinator and not draining) and `/metrics`
 * (Prometheus, see AgentMetrics).
 */
export class AgentHttpSide {
  readonly #server: Server;
  readonly #listen: string;
  readonly #log: Logger;
  #address: string | undefined;

  constructor(listen: string, metrics: AgentMetrics, ready: () => boolean, log: Logger) {
    this.#listen = listen;
    this.#log = log;
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        const ok = ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
      } else if (path === '/metrics') {
        metrics.text().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
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

  /** `host:port` bound (port resolved when 0 was asked for), once started. */
  get address(): string | undefined {
    return this.#address;
  }

  async start(): Promise<void> {
    this.#address = await listenHttpServer(this.#server, this.#listen);
    this.#log.info({ http: this.#address }, 'agent HTTP side listening (/healthz, /readyz, /metrics)');
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
