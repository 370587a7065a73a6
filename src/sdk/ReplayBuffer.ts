/** Smallest arena; an idle arena larger than {@link IDLE_MAX} is given back. */
const MIN_ARENA = 16 * 1024;
const IDLE_MAX = 4 * 1024 * 1024;

interface Entry {
  /** One past the batch's last task seq. */
  endSeq: number;
  /** Where the message is in the arena (unused for a message kept in a buffer of its own). */
  start: number;
  end: number;
  /** A message handed over whole ({@link ReplayBuffer.keep}) rather than copied into the arena. */
  own: Buffer | undefined;
}

/**
 * The input messages sent but not yet durable on the coordinator, oldest first, re-sent as they
 * are after a re-attach (the coordinator skips a leading run of tasks it already has).
 *
 * They live in one reused arena, used as a ring, rather than in a buffer each. A message waits a
 * round trip (the coordinator's commit) before it may go, long enough to outlive the
 * young-generation collections of a fast stream; a buffer per message was then promoted and
 * freed only by a full collection: tens of MiB of dead buffers on a long `imapUnordered` (P5).
 * A large message (one big task) is the exception: it is kept in the buffer it was built in
 * ({@link keep}), since copying megabytes into a ring that must grow to hold a window of them cost
 * more than the message's own encoding, and the arena is given back once idle anyway.
 */
export class ReplayBuffer {
  #arena: Buffer | undefined;
  #entries: Entry[] = [];
  #head = 0;

  /** Whether every message was accepted. */
  get isEmpty(): boolean {
    return this.#head === this.#entries.length;
  }

  /**
   * Keeps a copy of `message` (the tasks through `endSeq - 1`) and returns it: a view that stays
   * valid, unchanged, until the coordinator accepted its tasks ({@link acceptThrough}).
   */
  push(endSeq: number, message: Uint8Array): Buffer {
    const start = this.#place(message.length);
    const arena = this.#arena!;
    arena.set(message, start);
    this.#entries.push({ endSeq, start, end: start + message.length, own: undefined });
    return arena.subarray(start, start + message.length);
  }

  /**
   * Keeps `message` itself (the tasks through `endSeq - 1`), without a copy: the caller hands it
   * over and must not change it until the coordinator accepted its tasks ({@link acceptThrough}).
   */
  keep(endSeq: number, message: Buffer): Buffer {
    this.#entries.push({ endSeq, start: 0, end: 0, own: message });
    return message;
  }

  /** The coordinator holds tasks 0..n-1 durably: their messages need no replay any more. */
  acceptThrough(n: number): void {
    const entries = this.#entries;
    let head = this.#head;
    while (head < entries.length && entries[head]!.endSeq <= n) head++;
    if (head === entries.length) {
      this.#entries = [];
      this.#head = 0;
      // Nothing to keep: a large arena (a burst of big inputs) is given back.
      if (this.#arena !== undefined && this.#arena.length > IDLE_MAX) this.#arena = undefined;
      return;
    }
    if (head > 64 && head * 2 > entries.length) {
      this.#entries = entries.slice(head);
      head = 0;
    }
    this.#head = head;
  }

  /** The messages not yet accepted, oldest first (views valid until accepted). */
  *pending(): Generator<Buffer> {
    const arena = this.#arena;
    for (let i = this.#head; i < this.#entries.length; i++) {
      const e = this.#entries[i]!;
      yield e.own ?? arena!.subarray(e.start, e.end);
    }
  }

  /** Where `length` bytes go: after the newest message, else wrapped to the front, else in a larger arena. */
  #place(length: number): number {
    const entries = this.#entries;
    // The oldest and newest messages in the arena (messages kept whole take none of it).
    let first = this.#head;
    while (first < entries.length && entries[first]!.own !== undefined) first++;
    if (first === entries.length) {
      if (this.#arena === undefined || this.#arena.length < length) this.#arena = Buffer.allocUnsafeSlow(Math.max(MIN_ARENA, 2 * length));
      if (this.isEmpty) {
        this.#entries = [];
        this.#head = 0;
      }
      return 0;
    }
    let last = entries.length - 1;
    while (entries[last]!.own !== undefined) last--;
    const arena = this.#arena!;
    const oldest = entries[first]!;
    const newest = entries[last]!;
    if (newest.start >= oldest.start) {
      // Not wrapped: the free space is after the newest and before the oldest.
      if (arena.length - newest.end >= length) return newest.end;
      if (oldest.start >= length) return 0;
    } else if (oldest.start - newest.end >= length) {
      // Wrapped: the free space is between the newest and the oldest.
      return newest.end;
    }
    return this.#grow(length);
  }

  /** Moves the pending messages, in order, to the front of a larger arena; returns where `length` more bytes go. */
  #grow(length: number): number {
    let live = 0;
    for (let i = this.#head; i < this.#entries.length; i++) live += this.#entries[i]!.end - this.#entries[i]!.start;
    // (A message kept whole counts 0 here and keeps its own buffer.)
    const old = this.#arena!;
    // Views handed out earlier stay valid: they keep the old arena, which is not written again.
    const arena = Buffer.allocUnsafeSlow(Math.max(2 * old.length, 2 * (live + length)));
    let at = 0;
    const entries: Entry[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) {
      const e = this.#entries[i]!;
      if (e.own !== undefined) {
        entries.push(e);
        continue;
      }
      old.copy(arena, at, e.start, e.end);
      entries.push({ endSeq: e.endSeq, start: at, end: at + e.end - e.start, own: undefined });
      at += e.end - e.start;
    }
    this.#arena = arena;
    this.#entries = entries;
    this.#head = 0;
    return at;
  }
}
