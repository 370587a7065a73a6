/**
 * A FIFO of queued items with cheap removal at the front and cheap re-insertion at the front
 * (a retried task goes back ahead of the job's untouched work).
 *
 * `Array.prototype.shift` is O(n) on large arrays, so the queue keeps a head index into a plain
 * array and compacts only once the dead prefix is both large and more than half the array.
 */
export class TaskQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Number of queued items. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Appends an item at the back. */
  push(item: T): void {
    this.items.push(item);
  }

  /** Puts an item back at the front (it is the next one `shift` returns). */
  unshift(item: T): void {
    if (this.head > 0) {
      this.head -= 1;
      this.items[this.head] = item;
    } else {
      this.items.unshift(item);
    }
  }

  /** Removes and returns the front item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    // Clear the slot so the queue does not keep a dispatched task (and its payload) alive.
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes every item and returns them in queue order. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}
