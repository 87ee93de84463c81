// JSON written as it goes, for outputs too large for one string (V8 caps a string near 512 MB):
// the same text as JSON.stringify(value, null, 2), in pieces, with long lists made a few items at a
// time. (One difference: an item of a lazy list that has a toJSON of its own is given its index in
// its batch, not in the list; the project's lists have none.)

/** A list whose items are made only when written: `map` is called once per item, in order. */
export class LazyList<T, R = unknown> {
  constructor(
    readonly items: readonly T[],
    readonly map: (item: T) => R,
  ) {}
  toJSON(): R[] {
    return this.items.map(this.map);
  }
}

/** A value made only when it is written: after everything before it in its object. */
export class Later<R> {
  constructor(readonly make: () => R) {}
  toJSON(): R {
    return this.make();
  }
}

const INDENT = '  ';
/** Items of a lazy list made and written at a time, at most: some hundred kilobytes of text for hits. */
const BATCH = 32;
/** A batch's text above this makes the next batches smaller (a log of a few huge backtraces). */
const PIECE = 1 << 22;

/** Pieces whose concatenation is `JSON.stringify(value, null, 2)` (LazyList as its array). */
export function* jsonChunks(value: unknown, indent = ''): Generator<string> {
  if (value instanceof LazyList) {
    const { items, map } = value;
    if (items.length === 0) {
      yield '[]';
      return;
    }
    yield '[';
    const depth = indent.length / INDENT.length + 1;
    // (from one item on, growing while the pieces are small)
    let size = 1;
    for (let i = 0; i < items.length; ) {
      const batch: unknown[] = [];
      for (const end = Math.min(items.length, i + size); i < end; i++) batch.push(map(items[i]));
      const text = itemsAt(batch, depth);
      yield `${batch.length === i ? '' : ','}\n${text}`;
      // pieces of about PIECE at most, unless one item is larger
      size = Math.max(1, Math.min(BATCH, 2 * batch.length, Math.floor((batch.length * PIECE) / Math.max(1, text.length))));
    }
    yield `\n${indent}]`;
    return;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !hasToJSON(value) && containsLazy(value)) {
    const inner = indent + INDENT;
    let written = 0;
    for (const [k, entry] of Object.entries(value)) {
      // a Later is made when its turn comes, and left out, as JSON.stringify leaves it, when it makes nothing
      const v: unknown = entry instanceof Later ? entry.make() : entry;
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      yield `${written++ === 0 ? '{' : ','}\n${inner}${JSON.stringify(k)}: `;
      yield* jsonChunks(v, inner);
    }
    yield written === 0 ? '{}' : `\n${indent}}`;
    return;
  }
  // anything else is small enough for one string: JSON.stringify, indented to where it sits
  const text = JSON.stringify(value, null, 2) ?? 'null';
  yield indent === '' ? text : text.replace(/\n/g, `\n${indent}`);
}

/**
 * `items` as JSON.stringify(…, null, 2) writes them as elements of an array `depth` arrays deep:
 * each indented to that depth, joined by `,\n`. Written by JSON.stringify itself, inside arrays
 * that put them at that depth, with those arrays' lines cut off (re-indenting each item's text
 * took a third of the time of a large log's JSON).
 */
function itemsAt(items: unknown[], depth: number): string {
  let wrapped: unknown = items;
  for (let d = 1; d < depth; d++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  // the opening lines `[` at each depth above, and the closing `]` lines
  let cut = 0;
  for (let d = 0; d < depth; d++) cut += INDENT.length * d + 2;
  return text.slice(cut, text.length - cut);
}

const hasToJSON = (v: object) => typeof (v as { toJSON?: unknown }).toJSON === 'function';
const containsLazy = (v: object) => Object.values(v).some((x) => x instanceof LazyList);
