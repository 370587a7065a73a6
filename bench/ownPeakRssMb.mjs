// Plain JavaScript, for the bench's .mjs children (a TypeScript import would load Node's type stripper
// into a process whose RSS is being measured); bench/procStats.ts reads the same for any pid.
import { readFileSync } from 'node:fs';

/** This process's peak RSS so far (VmHWM), MiB. */
export function ownPeakRssMb() {
  return Number(readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m)[1]) / 1024;
}
