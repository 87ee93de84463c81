// JSON written as it goes, for outputs too large for one string (V8 caps a string near 512 MB):
// the same text as JSON.stringify(value, null, 2), in pieces, with long lists made item by item.

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
/** Items of a lazy list made and written at a time: some hundred kilobytes of text for hits. */
const BATCH = 32;

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
    for (let i = 0; i < items.length; i += BATCH) {
      const batch: unknown[] = [];
      for (let k = i; k < Math.min(items.length, i + BATCH); k++) batch.push(map(items[k]));
      yield `${i === 0 ? '' : ','}\n${itemsAt(batch, depth)}`;
    }
    yield `\n${indent}]`;
    return;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !hasToJSON(value) && containsLazy(value)) {
    const inner = indent + INDENT;
    const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
    if (entries.length === 0) {
      yield '{}';
      return;
    }
    yield '{';
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i];
      yield `${i === 0 ? '' : ','}\n${inner}${JSON.stringify(k)}: `;
      yield* jsonChunks(v, inner);
    }
    yield `\n${indent}}`;
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
