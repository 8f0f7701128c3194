// A fixed-size buffer that keeps the newest items: memory stays bounded however fast items come.

export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  /** Index of the oldest item. */
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring buffer capacity must be a whole number of at least 1, not ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds an item; when full, the oldest one goes. */
  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** The newest `limit` items (all, if fewer), oldest first. */
  newest(limit: number = this.count): T[] {
    const n = Math.max(0, Math.min(Math.floor(limit), this.count));
    const out: T[] = [];
    for (let i = this.count - n; i < this.count; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }

  /** Every item, oldest first, leaving the buffer empty. */
  drain(): T[] {
    const out = this.newest();
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
    return out;
  }
}
