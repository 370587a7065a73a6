// P4's ceiling on this machine: the 64 ranges split ahead of time over N bare Node processes (range i
// to process i mod N), no framework, no dispatch, nothing sent but the range indices and the counts.
// What is left between its efficiency and 100 % is the machine (two busy cores, not one); drover's
// gap below it is per-task overhead. Run by bench/runPeer.ts in its own process.
//
// Usage: node bareProcessesPeer.ts p4 JSON-PARAMS  ->  {"walls": [...], "serials": [...], "primes": n} on stdout.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { countPrimes } from '../tasks.ts';
import { pairedPrimes } from '../pairedPrimes.ts';
import { primeRanges } from '../primeRanges.ts';
import { P4_WARM_UP_MAPS } from '../P4_WARM_UP_MAPS.ts';

interface Params {
  processes: number;
  reps: number;
  limit: number;
  parts: number;
}

const [workload, json] = process.argv.slice(2);

if (workload === 'child') {
  // A child: count the primes of the ranges it is sent, answer with the total.
  const params = JSON.parse(json!) as Params;
  const ranges = primeRanges(params.limit, params.parts);
  process.on('message', (indices: number[] | 'exit') => {
    if (indices === 'exit') process.exit(0);
    let count = 0;
    for (const i of indices) count += countPrimes(ranges[i]!);
    process.send!(count);
  });
} else {
  if (workload !== 'p4') throw new Error(`bare processes: unknown workload ${workload}`);
  const params = JSON.parse(json ?? '{}') as Params;
  const self = fileURLToPath(import.meta.url);
  const children: ChildProcess[] = Array.from({ length: params.processes }, () => fork(self, ['child', JSON.stringify(params)]));
  // A child that dies answers nothing: the run fails rather than waits for ever. (Exits at the end are expected.)
  const exits = children.map((child) =>
    once(child, 'exit').then(([code, signal]): never => {
      throw new Error(`a bare process exited (${signal ?? code}) before answering`);
    }),
  );
  for (const exit of exits) exit.catch(() => {});
  const shares = children.map((_, j) => Array.from({ length: params.parts }, (_, i) => i).filter((i) => i % children.length === j));
  const run = async (): Promise<number> => {
    const counts = await Promise.all(
      children.map(async (child, j) => {
        const answer = once(child, 'message');
        child.send(shares[j]!);
        return (await Promise.race([answer, exits[j]!]))[0] as number;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  };
  try {
    // As many whole runs first as drover's and piscina's (bench/P4_WARM_UP_MAPS.ts).
    for (let i = 0; i < P4_WARM_UP_MAPS; i++) await run();
    process.stdout.write(`${JSON.stringify(await pairedPrimes(primeRanges(params.limit, params.parts), params.reps, run))}\n`);
  } finally {
    for (const child of children) child.send('exit');
  }
}
