// One of P4's bare processes (bench/peers/BareProcesses.ts): counts the primes of the ranges it is
// sent, by index, and answers with the total. Usage: forked with argv [limit, parts].
import { countPrimes } from '../tasks.ts';
import { primeRanges } from '../primeRanges.ts';

const [limit, parts] = process.argv.slice(2).map(Number);
const ranges = primeRanges(limit!, parts!);
process.on('message', (indices: number[] | 'exit') => {
  if (indices === 'exit') process.exit(0);
  let count = 0;
  for (const i of indices) count += countPrimes(ranges[i]!);
  process.send!(count);
});
