// What the model keeps as columns of numbers (frame rows, pointer sightings, argument items): typed
// arrays that grow, and the things (names, identities) those numbers stand for, each numbered once.

/** A copy of `a` with twice its room. */
export function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
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
