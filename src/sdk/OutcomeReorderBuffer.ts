import type { Outcome } from './Outcome.ts';
import { OutcomeColumns } from './OutcomeColumns.ts';

/**
 * An ordered stream's outcomes, placed by task seq as they arrive and handed out in seq order from 0,
 * each once the one before it was. A ring indexed from the next seq due, which only grows (to the
 * farthest any outcome arrived ahead, at most the job's window): see {@link OutcomeColumns} for why not
 * a `Map` by seq.
 */
export class OutcomeReorderBuffer {
  readonly #ring: OutcomeColumns;
  #present: Uint8Array;
  /** The seq due next, and its slot. */
  #next = 0;
  #head = 0;

  constructor(capacity = 64) {
    this.#ring = new OutcomeColumns(capacity);
    this.#present = new Uint8Array(this.#ring.capacity);
  }

  /** Keeps `o` for its turn; one whose turn has passed (a repeat) is dropped, a repeat still waiting replaces the first. */
  place(o: Outcome): void {
    const ahead = o.seq - this.#next;
    if (ahead < 0) return;
    while (ahead >= this.#ring.capacity) this.#grow();
    const i = (this.#head + ahead) & (this.#ring.capacity - 1);
    this.#ring.set(i, o);
    this.#present[i] = 1;
  }

  /** The outcome due next (a new object) if it arrived, removed; else undefined. */
  takeNext(): Outcome | undefined {
    const i = this.#head;
    if (this.#present[i] === 0) return undefined;
    this.#present[i] = 0;
    this.#head = (i + 1) & (this.#ring.capacity - 1);
    this.#next++;
    return this.#ring.take(i);
  }

  #grow(): void {
    const n = this.#ring.capacity;
    const present = new Uint8Array(n * 2);
    for (let k = 0; k < n; k++) present[k] = this.#present[(this.#head + k) & (n - 1)]!;
    this.#ring.grow(this.#head);
    this.#present = present;
    this.#head = 0;
  }
}
