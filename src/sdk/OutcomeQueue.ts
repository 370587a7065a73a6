import type { Outcome } from './Outcome.ts';
import { OutcomeColumns } from './OutcomeColumns.ts';

/**
 * The outcomes waiting for a job's consumer, first in, first out, in a ring that only grows (see
 * {@link OutcomeColumns} for why not an array or objects).
 */
export class OutcomeQueue {
  readonly #ring: OutcomeColumns;
  #head = 0;
  #size = 0;

  constructor(capacity = 64) {
    this.#ring = new OutcomeColumns(capacity);
  }

  /** How many outcomes wait. */
  get size(): number {
    return this.#size;
  }

  push(o: Outcome): void {
    if (this.#size === this.#ring.capacity) {
      this.#ring.grow(this.#head);
      this.#head = 0;
    }
    this.#ring.set((this.#head + this.#size) & (this.#ring.capacity - 1), o);
    this.#size++;
  }

  /** The oldest outcome, removed (a new object); undefined when none waits. */
  shift(): Outcome | undefined {
    if (this.#size === 0) return undefined;
    const o = this.#ring.take(this.#head);
    this.#head = (this.#head + 1) & (this.#ring.capacity - 1);
    this.#size--;
    return o;
  }
}
