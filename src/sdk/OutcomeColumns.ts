import type { pb } from '../protocol/index.ts';
import type { Outcome } from './Outcome.ts';

/**
 * Outcomes kept field by field in a power-of-two ring of column arrays, for the queues that hold a
 * job's results until its consumer reaches them ({@link OutcomeQueue}, {@link OutcomeReorderBuffer}).
 *
 * Over a long stream, whatever waits for the consumer is alive at V8's young-generation collections,
 * and what those collections copy in total is what makes V8 double the young generation, and with it
 * the process's RSS. An object per waiting task, a queue array re-sliced as it drains or a `Map` that
 * rehashes as entries come and go (each re-allocating what they hold) was most of what the SDK's
 * collections copied on P5's 30M-item streams; columns allocated a few times, then old, give them
 * nothing to copy but the payloads' buffers. An outcome becomes an object again only when taken.
 */
export class OutcomeColumns {
  #seq: number[] = [];
  #attempt: number[] = [];
  #payload: (ArrayBufferLike | undefined)[] = [];
  #payloadOffset: number[] = [];
  #payloadLength: number[] = [];
  #values: (ArrayLike<unknown> | undefined)[] = [];
  #failure: (pb.TaskFailure | undefined)[] = [];
  #agent: string[] = [];
  #worker: string[] = [];

  /** `capacity` is rounded up to a power of two (callers index the ring with `capacity - 1` as a mask). */
  constructor(capacity: number) {
    let n = 1;
    while (n < capacity) n *= 2;
    this.#resize(n, 0);
  }

  get capacity(): number {
    return this.#seq.length;
  }

  /** Stores `o` in slot `i` (0 ≤ i < capacity). */
  set(i: number, o: Outcome): void {
    this.#seq[i] = o.seq;
    this.#attempt[i] = o.attempt;
    this.#payload[i] = o.payload;
    this.#payloadOffset[i] = o.payloadOffset;
    this.#payloadLength[i] = o.payloadLength;
    this.#values[i] = o.values;
    this.#failure[i] = o.failure;
    this.#agent[i] = o.agent;
    this.#worker[i] = o.worker;
  }

  /** The outcome in slot `i`, as a new object; the slot no longer keeps what it referenced. */
  take(i: number): Outcome {
    const o: Outcome = {
      seq: this.#seq[i]!,
      payload: this.#payload[i],
      payloadOffset: this.#payloadOffset[i]!,
      payloadLength: this.#payloadLength[i]!,
      values: this.#values[i],
      failure: this.#failure[i],
      attempt: this.#attempt[i]!,
      agent: this.#agent[i]!,
      worker: this.#worker[i]!,
    };
    this.#payload[i] = undefined;
    this.#values[i] = undefined;
    this.#failure[i] = undefined;
    return o;
  }

  /** Doubles the capacity: the slots from `head` on, around the ring, move in order to the front. */
  grow(head: number): void {
    this.#resize(this.capacity * 2, head);
  }

  #resize(n: number, head: number): void {
    const old = this.capacity;
    const moved = <T>(column: T[], blank: T): T[] => {
      const next = new Array<T>(n).fill(blank);
      for (let k = 0; k < old; k++) next[k] = column[(head + k) & (old - 1)]!;
      return next;
    };
    this.#seq = moved(this.#seq, 0);
    this.#attempt = moved(this.#attempt, 0);
    this.#payload = moved(this.#payload, undefined);
    this.#payloadOffset = moved(this.#payloadOffset, 0);
    this.#payloadLength = moved(this.#payloadLength, 0);
    this.#values = moved(this.#values, undefined);
    this.#failure = moved(this.#failure, undefined);
    this.#agent = moved(this.#agent, '');
    this.#worker = moved(this.#worker, '');
  }
}
