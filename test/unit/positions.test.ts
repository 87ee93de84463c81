import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseTrace } from '../../src/model/parser';
import { frameAt, hitAtLine, sectionsBetween } from '../../src/model/positions';
import { fixtureLogs, readFixture } from './helpers';

describe('positions: the frame a line shows, and what relocating it needs', () => {
  const t = parseTrace(readFixture('traces/snapshot-commit-complete.log'));

  it('the hit header is the stop location, with the echoed source line and frame #1 as its caller', () => {
    const at = frameAt(t, 5)!;
    assert.equal(at.hit?.index, 1);
    assert.equal(at.frame, t.hits[0].stop);
    assert.equal(at.inner.text, '    BdrvChild *child = *childp;');
    assert.equal(at.inner.outer, 'bdrv_attach_child_common');
    assert.equal(at.inner.callee, undefined);
  });

  it('a frame of the bt, and the continuation line gdb wrapped it onto, are the same frame', () => {
    const first = frameAt(t, 9)!;
    const wrapped = frameAt(t, 10)!;
    assert.equal(first.frame.function, 'bdrv_attach_child_common');
    assert.equal(wrapped.frame, first.frame);
    assert.equal(first.inner.callee, 'bdrv_replace_child_noperm');
    assert.equal(first.inner.outer, 'bdrv_root_attach_child');
  });

  it('lines that show no frame show none; every frame line of every hit shows its own frame', () => {
    assert.equal(frameAt(t, 0), undefined);
    assert.equal(frameAt(t, 7), undefined); // (gdb) bt
    for (const h of t.hits) {
      for (const f of h.frames) {
        const at = frameAt(t, f.logLine)!;
        assert.equal(at.hit, h);
        // frame #0 is the stop location again: its line is the bt's, its frame the bt's own
        assert.equal(at.frame, f, `hit ${h.index} #${f.level}`);
        assert.equal(hitAtLine(t, f.logLine), h);
      }
    }
  });

  it("a free-standing backtrace printed during a hit is found before the hit's own frames", () => {
    const d = parseTrace(readFixture('traces/v7.2.0-drain-threads.log'));
    const bt = d.backtraces.find((b) => b.thread?.number === 2)!;
    const at = frameAt(d, bt.line + 3)!;
    assert.equal(at.hit, undefined);
    assert.equal(at.frame.function, 'call_rcu_thread');
    assert.equal(at.inner.callee, 'qemu_event_wait');
    assert.ok(hitAtLine(d, bt.line) !== undefined, 'the backtrace lies inside a hit');
  });
});

describe('the hits and backtraces a range of lines meets (what a large log links on screen)', () => {
  it('are those whose lines overlap the range, on every fixture and every range of a set of sizes', () => {
    for (const log of fixtureLogs()) {
      const t = parseTrace(fs.readFileSync(log, 'utf8'));
      for (const size of [0, 1, 7, 50, 400]) {
        for (let from = -3; from < t.lineCount + 3; from += Math.max(1, Math.floor(t.lineCount / 60))) {
          const to = from + size;
          const got = sectionsBetween(t, from, to);
          const meets = (s: { line: number; endLine: number }) => s.line <= to && s.endLine >= from;
          assert.deepEqual(got.hits, t.hits.filter(meets), `${log} ${from}-${to}`);
          assert.deepEqual(got.backtraces, t.backtraces.filter(meets), `${log} ${from}-${to}`);
        }
      }
    }
  });
});
