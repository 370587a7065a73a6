/**
 * `npm run build:agent`: the agent as one self-contained executable for linux-x64 VMs, `dist/drover-agent`
 * (a Node single-executable application; see deploy/vm/README.md).
 *
 * 1. esbuild bundles `src/cli/seaMain.ts` (the agent command, and the worker it forks) into one CommonJS file:
 *    Node runs a single executable's entry as CommonJS.
 * 2. `node --experimental-sea-config` turns it into a preparation blob.
 * 3. postject injects the blob into a copy of the pinned Node 24 binary (node_modules/node).
 *
 * Options: `--out PATH` (default dist/drover-agent).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

/** The fuse postject flips so that the Node binary looks for its injected blob (fixed by Node). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: join(root, 'dist', 'drover-agent') } } });
const out = resolve(values.out);

if (process.platform !== 'linux' || process.arch !== 'x64') {
  throw new Error(`build:agent builds for linux-x64 with this machine's Node binary; this is ${process.platform}-${process.arch}`);
}

const require = createRequire(import.meta.url);
// The `node` package's binary, not process.execPath: the build must not depend on whichever Node runs it.
const nodeBinary = join(dirname(require.resolve('node/package.json')), 'bin', 'node');
const nodeVersion = execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim();
if (!/^v24\./.test(nodeVersion)) throw new Error(`node_modules/node is ${nodeVersion}; the agent binary is built on Node 24`);

const work = mkdtempSync(join(tmpdir(), 'drover-sea-'));
try {
  const bundle = join(work, 'drover-agent.cjs');
  await build({
    entryPoints: [join(root, 'src', 'cli', 'seaMain.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // import.meta is empty in CommonJS; the binary's own URL is the truthful stand-in.
    define: { 'import.meta.url': '__droverSeaUrl', 'import.meta.filename': 'process.execPath' },
    banner: { js: 'const __droverSeaUrl = require("node:url").pathToFileURL(process.execPath).href;' },
    legalComments: 'none',
    logLevel: 'warning',
  });
  const blob = join(work, 'drover-agent.blob');
  const config = join(work, 'sea-config.json');
  // Node flags only from a first `--node-options=` argument, never from NODE_OPTIONS: the agent passes
  // its own memory settings that way and its workers (the same binary) get none of them (seaMain.ts).
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, execArgvExtension: 'cli' }));
  execFileSync(nodeBinary, ['--experimental-sea-config', config], { stdio: 'pipe' });

  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  copyFileSync(nodeBinary, out);
  chmodSync(out, 0o755);
  const postject = join(dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');
  // postject warns about ELF note sections it does not know; the injection itself is checked below.
  execFileSync(nodeBinary, [postject, out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: 'ignore' });
  const version = execFileSync(out, ['--version'], { encoding: 'utf8' }).trim();
  process.stdout.write(`built ${out} (drover-agent ${version}, Node ${nodeVersion})\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
