import { execFileSync } from 'node:child_process';

/** Whether `sumo` runs here; tests that need it skip (and say so) when it does not. */
export function sumoAvailable(what: string): boolean {
  try {
    execFileSync('sumo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.log(`${what} skipped: sumo is not installed (apt-get install sumo sumo-tools)`);
    return false;
  }
}
