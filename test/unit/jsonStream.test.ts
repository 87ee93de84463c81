import * as assert from 'node:assert/strict';
import { jsonChunks, LazyList, Later } from '../../src/model/jsonStream';
import { traceToJson } from '../../src/model/summary';
import { parseTrace } from '../../src/model/parser';
import { readFixture } from './helpers';

const streamed = (v: unknown) => [...jsonChunks(v)].join('');

describe('JSON written as it goes', () => {
  it('is JSON.stringify(value, null, 2), lazy lists included, at any depth', () => {
    let made = 0;
    const lazy = <T>(items: T[]) => new LazyList(items, (x: T) => (made++, { x, nested: [1, { y: 'a\nb "q"' }], gone: undefined }));
    const values: unknown[] = [
      { a: lazy([1, 2, 3]), b: null, c: undefined, d: 'x', e: [], f: {}, g: () => 1 },
      { outer: { inner: lazy(['p']), empty: lazy([]) }, n: 1.5 },
      lazy([lazy([1]), { k: lazy([]) }]),
      { only: undefined, list: lazy([{}]) },
      [1, 'two', null, { three: [] }],
      'plain',
      42,
    ];
    for (const v of values) assert.equal(streamed(v), JSON.stringify(v, null, 2), JSON.stringify(v));
    assert.ok(made > 0, 'the lists were made item by item');
  });

  it('gives the CLI’s summary --json of every real trace byte for byte', () => {
    for (const name of ['snapshot-commit-complete.log', 'v10.2.0-failures.log', 'v7.2.0-drain-threads.log', 'v7.2.0-xdebug.log']) {
      const t = parseTrace(readFixture(`traces/${name}`));
      assert.equal(streamed(traceToJson(t)), JSON.stringify(traceToJson(t), null, 2), name);
    }
  });

  it('is JSON.stringify(value, null, 2) for lists made in several batches, at every depth', () => {
    const items = Array.from({ length: 70 }, (_, i) => i);
    const lazy = () => new LazyList(items, (i: number) => (i % 7 === 0 ? { i, s: 'x\ny', a: [i, { b: null }], u: undefined } : i % 5 === 0 ? [] : i % 3 === 0 ? 'three' : i));
    for (const v of [lazy(), { a: lazy() }, { a: { b: { c: lazy() } } }, { a: [1], b: lazy(), c: lazy() }]) assert.equal(streamed(v), JSON.stringify(v, null, 2));
  });

  it('makes a Later when its turn comes, and leaves it out when it makes nothing, as JSON.stringify does', () => {
    const order: string[] = [];
    const v = {
      a: new LazyList([1, 2], (i: number) => (order.push(`item ${i}`), i)),
      b: new Later(() => (order.push('b'), undefined)),
      c: new Later(() => (order.push('c'), { d: [1, 'x\ny'] })),
      e: new Later(() => () => 1),
    };
    assert.equal(streamed(v), JSON.stringify(v, null, 2));
    assert.deepEqual(order.slice(0, 4), ['item 1', 'item 2', 'b', 'c'], 'after the list before them');
    const none = { a: new LazyList([], (x: number) => x), b: new Later(() => undefined) };
    assert.equal(streamed({ only: new Later(() => undefined), l: new LazyList([], (x: number) => x) }), JSON.stringify({ l: [] }, null, 2));
    assert.equal(streamed(none), JSON.stringify(none, null, 2));
  });

  it('writes items of some megabytes each in smaller batches', () => {
    const big = 'x'.repeat(1 << 20);
    const v = { list: new LazyList(Array.from({ length: 40 }, (_, i) => i), (i: number) => ({ i, big })) };
    const pieces = [...jsonChunks(v)];
    assert.equal(pieces.join(''), JSON.stringify(v, null, 2));
    assert.ok(Math.max(...pieces.map((p) => p.length)) < 10 << 20, 'no piece of more than a few items');
  });

  it('yields pieces of a few hits at most, so no single string grows with the log', () => {
    const t = parseTrace(readFixture('traces/snapshot-commit-complete.log').repeat(20));
    const pieces = [...jsonChunks(traceToJson(t))];
    const whole = pieces.join('').length;
    const largest = Math.max(...pieces.map((p) => p.length));
    assert.ok(largest < whole / 10, `largest piece ${largest} of ${whole}`);
  });
});
