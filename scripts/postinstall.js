// `npm install` in a checkout builds dist/ (scripts/buildDist.ts): the CLI, worker and SDK as plain
// JavaScript. An installed copy of drover (under node_modules) ships dist/ already built by `prepack`,
// and could not rebuild it anyway: Node strips no types under node_modules. Plain JavaScript, so that
// it runs on whichever Node runs npm; a failed build is not fatal (bin/drover.js then runs the sources).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const installed = root.split(/[\\/]/).includes('node_modules');
if (installed && existsSync(`${root}dist/lib/sdk.mjs`)) process.exit(0);
const build = spawnSync(process.execPath, [`${root}scripts/buildDist.ts`], { stdio: 'inherit' });
if (build.status !== 0) {
  process.stdout.write('drover: dist/ not built (run `npm run build` with Node >= 24.15); bin/drover.js runs the TypeScript sources\n');
}
