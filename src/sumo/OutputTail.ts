/** Keeps the last `maxBytes` of a process's output: enough for SUMO's error lines, bounded in memory. */
export class OutputTail {
  readonly #maxBytes: number;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(maxBytes = 8192) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - this.#chunks[0].length >= this.#maxBytes) {
      this.#bytes -= this.#chunks.shift()!.length;
    }
  }

  get text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#maxBytes)).toString('utf8');
  }
}
