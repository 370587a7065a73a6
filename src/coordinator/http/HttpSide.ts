import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Registry } from 'prom-client';
import { listenHttpServer, type Logger, type pb } from '../../protocol/index.ts';
import type { CoordinatorMetrics } from './CoordinatorMetrics.ts';
import { DashboardApi, type DashboardSource } from './DashboardApi.ts';
import { DashboardAssets } from './DashboardAssets.ts';
import { ThroughputSampler } from './ThroughputSampler.ts';

/** What the HTTP side reads: the scheduler's state at scrape or request time. */
export interface HttpSideSource extends DashboardSource {
  /** Serving and not shutting down. */
  ready(): boolean;
  /** What `/metrics` exposes (see CoordinatorMetrics). */
  metrics: CoordinatorMetrics;
}

/** Options for {@link HttpSide}. */
export interface HttpSideOptions {
  /**
   * Decides whether a request may read cluster data: called for `/metrics` and every `/api/` path
   * (not for `/healthz`, `/readyz`, nor the dashboard's static files, which hold no data). False
   * answers 401. Default: allow.
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Serve https with this certificate (PEM) instead of plain http. */
  tls?: { cert: string | Uint8Array; key: string | Uint8Array };
}

/** Headers on every dashboard answer: same-origin scripts only, no framing, no sniffing. */
const DASHBOARD_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * The coordinator's HTTP side port: `/healthz` (the process answers), `/readyz` (it serves gRPC and is
 * not shutting down; Kubernetes takes it out of the Service otherwise), `/metrics` (Prometheus text: see
 * CoordinatorMetrics — queue depth, what an autoscaler such as KEDA scales agents on, among them),
 * and the dashboard: the page at `/` (files under `/dashboard/`) and its JSON API under `/api/`.
 * Gauges are read from the scheduler when scraped; the throughput chart's history comes from a
 * once-a-second sample.
 */
export class HttpSide {
  readonly #server: Server;
  readonly #listen: string;
  readonly #log: Logger;
  readonly #authorize: (req: IncomingMessage) => boolean | Promise<boolean>;
  readonly #sampler: ThroughputSampler;
  readonly #api: DashboardApi;
  readonly #assets: DashboardAssets;
  readonly #registry: Registry;
  #address: string | undefined;

  constructor(listen: string, source: HttpSideSource, log: Logger, options: HttpSideOptions = {}) {
    this.#listen = listen;
    this.#log = log;
    this.#authorize = options.authorize ?? (() => true);
    this.#sampler = new ThroughputSampler(() => source.stats());
    this.#api = new DashboardApi(source, this.#sampler);
    this.#assets = new DashboardAssets();
    const registry = source.metrics.registry;
    this.#registry = registry;
    this.#server = this.#createServer(options.tls, (req, res) => {
      this.#route(req, res, source).catch((err: unknown) => {
        this.#log.warn({ err, path: req.url }, 'HTTP side request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end();
      });
    });
  }

  /** The one place the server is made: http, or https with the coordinator's certificate. */
  #createServer(tls: HttpSideOptions['tls'], handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
    if (tls === undefined) return createServer(handler);
    return createHttpsServer({ cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) }, handler);
  }

  async #route(req: IncomingMessage, res: ServerResponse, source: HttpSideSource): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const ready = source.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
      return;
    }
    const asset = this.#assets.get(path);
    if (asset !== undefined) {
      res.writeHead(200, { ...DASHBOARD_HEADERS, 'content-type': asset.contentType, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    const isApi = path === '/api' || path.startsWith('/api/');
    if (path !== '/metrics' && !isApi) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try / (dashboard), /healthz, /readyz, /metrics or /api/cluster\n');
      return;
    }
    if (!(await this.#authorize(req))) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="drover"' });
      res.end(JSON.stringify({ error: 'this needs an admin token: send it as "Authorization: Bearer TOKEN"' }));
      return;
    }
    if (path === '/metrics') {
      const text = await this.#registry.metrics();
      res.writeHead(200, { 'content-type': this.#registry.contentType }).end(text);
      return;
    }
    const answer = this.#api.handle(path)!;
    const body = JSON.stringify(answer.body);
    res.writeHead(answer.status, { ...DASHBOARD_HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** `host:port` bound (port resolved when 0 was asked for). */
  get address(): string | undefined {
    return this.#address;
  }

  async start(): Promise<void> {
    this.#address = await listenHttpServer(this.#server, this.#listen);
    this.#sampler.start();
    if (this.#assets.unavailable !== undefined) this.#log.warn(`dashboard not served: ${this.#assets.unavailable}`);
    this.#log.info({ http: this.#address }, 'HTTP side listening (dashboard at /, /healthz, /readyz, /metrics, /api/)');
  }

  stop(): Promise<void> {
    this.#sampler.stop();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
