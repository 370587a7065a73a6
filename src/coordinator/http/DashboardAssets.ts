import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A static file of the dashboard, held in memory. */
export interface DashboardAsset {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The dashboard's hand-written HTML, CSS and ES modules (`src/coordinator/http/dashboard/`), read
 * once at startup and served from memory: no build step, nothing fetched from the internet, and
 * no request path ever reaches the file system.
 */
export class DashboardAssets {
  readonly #files = new Map<string, DashboardAsset>();
  /** Why the page cannot be served, when its files were not found (e.g. the coordinator was bundled without them). */
  readonly unavailable: string | undefined;

  constructor(directory: string = fileURLToPath(new URL('./dashboard/', import.meta.url))) {
    let names: string[];
    try {
      names = readdirSync(directory);
    } catch (err) {
      // The rest of the HTTP side (health, metrics, API) still works without the page.
      this.unavailable = `the dashboard's files are missing from ${directory} (${(err as Error).message})`;
      return;
    }
    for (const name of names) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (contentType !== undefined) this.#files.set(name, { body: readFileSync(join(directory, name)), contentType });
    }
  }

  /** The asset served at `path` (`/` is the page, `/dashboard/NAME` the rest), if any. */
  get(path: string): DashboardAsset | undefined {
    if (path === '/' || path === '/dashboard' || path === '/dashboard/') return this.#files.get('index.html');
    const match = /^\/dashboard\/([\w.-]+)$/.exec(path);
    return match === null ? undefined : this.#files.get(match[1]!);
  }
}
