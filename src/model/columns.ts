// What the model keeps as columns of numbers (frame rows, pointer sightings, argument items): typed
// arrays that grow, the search of a sorted column, and the things (names, identities) those
// numbers stand for, each numbered once.

/** A copy of `a` with twice its room. */
export function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** The first index in [0, n) for which `before(i)` is false (those for which it is true come first): a binary search of a sorted column. */
export function partitionPoint(n: number, before: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Things numbered in the order they are first given: 0, 1, 2, … */
export class Numbering<T> {
  /** The things, by number. */
  readonly items: T[] = [];
  private readonly numbers = new Map<T, number>();

  /** The number of `item`, given it now if it has none. */
  number(item: T): number {
    let n = this.numbers.get(item);
    if (n === undefined) {
      n = this.items.length;
      this.items.push(item);
      this.numbers.set(item, n);
    }
    return n;
  }

  /** The number of `item` if it has one, else -1. */
  find(item: T): number {
    return this.numbers.get(item) ?? -1;
  }

  get size(): number {
    return this.items.length;
  }
}

/**
 * A Map that holds at most `limit` entries at a time, twice: when it fills up, its entries become
 * the older ones, looked up after it and forgotten when it fills up again (one found among them is
 * kept anew). For what a long log prints again: the lines of its last stretch, not of its start.
 */
export class TurnoverMap<K, V> {
  private last = new Map<K, V>();
  private older = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const v = this.last.get(key);
    if (v !== undefined || this.older.size === 0) return v;
    const o = this.older.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: K, value: V): void {
    if (this.last.size >= this.limit) {
      this.older = this.last;
      this.last = new Map();
    }
    this.last.set(key, value);
  }
}
