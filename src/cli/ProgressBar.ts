/**
 * A one-line progress bar on stderr when it is a terminal; otherwise one plain line per step,
 * so logs of CI runs stay readable.
 */
export class ProgressBar {
  readonly #total: number;
  readonly #label: string;
  readonly #tty = Boolean(process.stderr.isTTY);
  #done = 0;
  readonly #started = performance.now();

  constructor(total: number, label: string) {
    this.#total = total;
    this.#label = label;
  }

  tick(note = ''): void {
    this.#done++;
    const secs = ((performance.now() - this.#started) / 1000).toFixed(1);
    if (this.#tty) {
      const width = 30;
      const filled = Math.round((this.#done / Math.max(1, this.#total)) * width);
      process.stderr.write(`\r${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.#done}/${this.#total} ${secs}s ${note}`.padEnd(100));
      if (this.#done === this.#total) process.stderr.write('\n');
    } else {
      process.stderr.write(`${this.#label} ${this.#done}/${this.#total} ${secs}s ${note}\n`);
    }
  }
}
