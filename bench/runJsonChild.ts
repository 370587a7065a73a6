// Runs a child process that answers with one JSON line on stdout (the last line, if it printed more):
// the peers (bench/runPeer.ts), P5's SDK client and its bare reader.
import { execFile } from 'node:child_process';

/** Runs `command args` to its end and parses the last line of its stdout; `what` names it in a failure. */
export function runJsonChild<T>(command: string, args: string[], what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${what} failed: ${stderr.trim().split('\n').slice(-3).join(' | ') || error.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as T);
    });
  });
}
