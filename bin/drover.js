#!/usr/bin/env node
// drover runs its TypeScript sources directly (Node >= 24 strips types natively).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 15)) {
  process.stderr.write(
    `drover needs Node >= 24.15 (this is ${process.version}). Run it through npm scripts or npx in the drover ` +
      'checkout, which put the pinned Node 24 first on PATH, or install Node 24.\n',
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
