// P5's no-framework reference (bench/peers/bareStreamSender.mjs, bareStreamReader.mjs): a fresh pair
// of bare Node processes per size, since VmHWM only rises.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from '../runJsonChild.ts';

const SENDER = fileURLToPath(new URL('./bareStreamSender.mjs', import.meta.url));
const READER = fileURLToPath(new URL('./bareStreamReader.mjs', import.meta.url));

/** One bare reader taking `items` items, `chunk` per frame, from a bare sender: its seconds and peak RSS. */
export async function bareStreamReading(items: number, chunk: number): Promise<{ seconds: number; peakRssMb: number }> {
  const sender = spawn(process.execPath, [SENDER, String(chunk)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [first] = (await Promise.race([
      once(sender.stdout, 'data'),
      once(sender, 'exit').then(([code]) => {
        throw new Error(`the bare stream sender exited (${code}) before listening`);
      }),
    ])) as [Buffer];
    const port = first.toString().trim();
    return await runJsonChild(process.execPath, [READER, port, String(items)], 'the bare stream reader');
  } finally {
    if (sender.exitCode === null && sender.signalCode === null) {
      const exited = once(sender, 'exit');
      sender.kill();
      await exited;
    }
  }
}
