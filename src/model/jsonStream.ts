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

const INDENT = '  ';

/** Pieces whose concatenation is `JSON.stringify(value, null, 2)` (LazyList as its array). */
export function* jsonChunks(value: unknown, indent = ''): Generator<string> {
  if (value instanceof LazyList) {
    if (value.items.length === 0) {
      yield '[]';
      return;
    }
    const inner = indent + INDENT;
    yield '[';
    for (let i = 0; i < value.items.length; i++) {
      yield `${i === 0 ? '' : ','}\n${inner}`;
      yield* jsonChunks(value.map(value.items[i]), inner);
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

const hasToJSON = (v: object) => typeof (v as { toJSON?: unknown }).toJSON === 'function';
const containsLazy = (v: object) => Object.values(v).some((x) => x instanceof LazyList);
