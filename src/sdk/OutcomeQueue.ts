import type { pb } from '../protocol/index.ts';
import type { Outcome } from './Outcome.ts';

/**
 * The outcomes waiting for a job's consumer, first in, first out: kept field by field in a ring of
 * columns (arrays allocated a few times, then old), and made into an object again only when taken.
 *
 * Over a long stream, whatever waits here is alive at V8's young-generation collections, and what
 * those collections copy in total is what makes V8 double the young generation, and with it the
 * process's RSS. An object per waiting task (or a queue array re-sliced as it is consumed, which
 * re-allocates the whole queue) was most of what the SDK's collections copied on P5's 30M-item
 * `imapUnordered`; columns in old arrays give them nothing to copy but the payloads' buffers.
 */
export class OutcomeQueue {
  #seq: number[];
  #attempt: number[];
  #payload: (ArrayBufferLike | undefined)[];
  #payloadOffset: number[];
  #payloadLength: number[];
  #values: (ArrayLike<unknown> | undefined)[];
  #failure: (pb.TaskFailure | undefined)[];
  #agent: string[];
  #worker: string[];
  #head = 0;
  #size = 0;

  constructor(capacity = 64) {
    let n = 1;
    while (n < capacity) n *= 2;
    this.#seq = new Array<number>(n).fill(0);
    this.#attempt = new Array<number>(n).fill(0);
    this.#payload = new Array<ArrayBufferLike | undefined>(n).fill(undefined);
    this.#payloadOffset = new Array<number>(n).fill(0);
    this.#payloadLength = new Array<number>(n).fill(0);
    this.#values = new Array<ArrayLike<unknown> | undefined>(n).fill(undefined);
    this.#failure = new Array<pb.TaskFailure | undefined>(n).fill(undefined);
    this.#agent = new Array<string>(n).fill('');
    this.#worker = new Array<string>(n).fill('');
  }

  /** How many outcomes wait. */
  get size(): number {
    return this.#size;
  }

  push(o: Outcome): void {
    if (this.#size === this.#seq.length) this.#grow();
    const i = (this.#head + this.#size) & (this.#seq.length - 1);
    this.#seq[i] = o.seq;
    this.#attempt[i] = o.attempt;
    this.#payload[i] = o.payload;
    this.#payloadOffset[i] = o.payloadOffset;
    this.#payloadLength[i] = o.payloadLength;
    this.#values[i] = o.values;
    this.#failure[i] = o.failure;
    this.#agent[i] = o.agent;
    this.#worker[i] = o.worker;
    this.#size++;
  }

  /** The oldest outcome, removed (a new object); undefined when none waits. */
  shift(): Outcome | undefined {
    if (this.#size === 0) return undefined;
    const i = this.#head;
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
    // The columns must not keep what was handed out alive.
    this.#payload[i] = undefined;
    this.#values[i] = undefined;
    this.#failure[i] = undefined;
    this.#head = (i + 1) & (this.#seq.length - 1);
    this.#size--;
    return o;
  }

  #grow(): void {
    const n = this.#seq.length;
    const head = this.#head;
    // Each column moves, in order, to the front of one twice its size.
    const grown = <T>(column: T[], blank: T): T[] => {
      const next = new Array<T>(n * 2).fill(blank);
      for (let k = 0; k < n; k++) next[k] = column[(head + k) & (n - 1)]!;
      return next;
    };
    this.#seq = grown(this.#seq, 0);
    this.#attempt = grown(this.#attempt, 0);
    this.#payload = grown(this.#payload, undefined);
    this.#payloadOffset = grown(this.#payloadOffset, 0);
    this.#payloadLength = grown(this.#payloadLength, 0);
    this.#values = grown(this.#values, undefined);
    this.#failure = grown(this.#failure, undefined);
    this.#agent = grown(this.#agent, '');
    this.#worker = grown(this.#worker, '');
    this.#head = 0;
  }
}
