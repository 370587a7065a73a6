// The drover processes a benchmark starts run dist/drover.mjs (bin/drover.js takes it while it is newer
// than src/), and P5's client imports the package's dist/lib/sdk.mjs: build dist/ once per run from the
// current sources, so that the figures are the code under test and users' JavaScript, never a stale
// bundle nor the type-stripped sources.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILD = fileURLToPath(new URL('../scripts/buildDist.ts', import.meta.url));
let built = false;

export function ensureDist(): void {
  if (built) return;
  execFileSync(process.execPath, [BUILD], { stdio: 'inherit' });
  built = true;
}
