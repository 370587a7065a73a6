/**
 * A one-line progress bar on stderr when it is a terminal — done/total, rate and ETA — otherwise
 * one plain line per change, so logs of CI runs stay readable.
 */
export class ProgressBar {
  #total: number;
  readonly #label: string;
  readonly #tty: boolean;
  readonly #stream: NodeJS.WriteStream;
  #done = 0;
  readonly #started = performance.now();
  /** Where the rate is measured from: a watched job may be half done when the bar starts. */
  #baseDone: number | undefined;
  #lastKey = '';
  /** On a terminal: the line was ended at done === total, and nothing changed since. */
  #ended = false;

  constructor(total: number, label: string, stream: NodeJS.WriteStream = process.stderr) {
    this.#total = total;
    this.#label = label;
    this.#stream = stream;
    this.#tty = Boolean(stream.isTTY);
  }

  /** One more done. */
  tick(note = ''): void {
    this.#baseDone ??= 0;
    this.update(this.#done + 1, this.#total, note);
  }

  /**
   * Sets how much is done out of `total` (the total may grow, e.g. while a job's input streams in)
   * and redraws. Without a terminal a line is written only when it changed.
   */
  update(done: number, total: number, note = ''): void {
    this.#baseDone ??= done;
    this.#done = done;
    this.#total = total;
    const elapsed = (performance.now() - this.#started) / 1000;
    const rate = elapsed > 0 ? (done - this.#baseDone) / elapsed : 0;
    const left = total - done;
    const eta = rate > 0 && left > 0 ? ` ETA ${formatSeconds(left / rate)}` : '';
    const stats = `${done}/${total} ${rate.toFixed(rate < 10 ? 1 : 0)}/s ${formatSeconds(elapsed)}${eta}${note ? ` ${note}` : ''}`;
    if (this.#tty) {
      // Polled again at the same count (a watched job whose input is still streaming, all of it done so
      // far): the line is ended already, and redrawing it would start one more line at every poll.
      const key = `${done}/${total}`;
      if (this.#ended && key === this.#lastKey) return;
      this.#lastKey = key;
      this.#ended = false;
      const width = 30;
      const filled = Math.min(width, Math.round((done / Math.max(1, total)) * width));
      this.#stream.write(`\r${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${stats}`.padEnd(100));
      if (done >= total && total > 0) {
        this.#stream.write('\n');
        this.#ended = true;
      }
    } else {
      const key = `${done}/${total} ${note}`;
      if (key !== this.#lastKey) this.#stream.write(`${this.#label} ${stats}\n`);
      this.#lastKey = key;
    }
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
