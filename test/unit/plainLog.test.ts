// What a user meets on their own logs (issue 10): where a hit starts and ends, filters by object
// names, mail mojibake, free-standing backtraces.
import * as assert from 'node:assert/strict';
import { hitAtLine, hitMatches, hitsOfNamedObjects } from '../../src/model/hitGroups';
import { Identities } from '../../src/model/identities';
import { traceFolds, traceOutline, type Section } from '../../src/model/outline';
import { parseTrace, type Trace } from '../../src/model/trace';
import { readFixture } from './helpers';

const REAL = ['traces/snapshot-commit-complete.log', 'traces/v7.1.0-stream.log', 'traces/v10.2.0-mirror.log', 'traces/v10.2.0-failures.log'];

/** The innermost outline section holding `line`, as the breadcrumb shows it. */
function innermost(sections: Section[], line: number): Section | undefined {
  for (const s of sections) {
    if (s.startLine <= line && line <= s.endLine) return innermost(s.children, line) ?? s;
  }
  return undefined;
}

describe('a hit’s line range', () => {
  for (const name of REAL) {
    it(`${name}: every hit ends before the next hit, command or separator starts`, () => {
      const text = readFixture(name);
      const lines = text.split('\n');
      const t = parseTrace(text);
      for (const h of t.hits) {
        assert.ok(h.endLine >= h.line, `hit ${h.index}`);
        const next = t.hits[h.index];
        if (next) assert.ok(h.endLine < next.line, `hit ${h.index} ends at ${h.endLine + 1}, hit ${next.index} starts at ${next.line + 1}`);
        for (let l = h.line + 1; l <= h.endLine; l++) {
          assert.doesNotMatch(lines[l], /^\(QEMU\)|^={4,}|^\{"execute"/, `line ${l + 1} is in hit ${h.index}`);
        }
        // its last line is its own: not blank
        assert.notEqual(lines[h.endLine].trim(), '', `hit ${h.index} ends on a blank line`);
      }
    });

    it(`${name}: the breadcrumb at each hit header names that hit, and hitAtLine agrees`, () => {
      const t = parseTrace(readFixture(name));
      const outline = traceOutline(t);
      for (const h of t.hits) {
        const s = innermost(outline, h.line);
        assert.equal(s?.kind, 'hit', `line ${h.line + 1}`);
        assert.ok(s!.name.startsWith(`#${h.index} `), `line ${h.line + 1}: ${s!.name}`);
        assert.equal(hitAtLine(t, h.line)?.index, h.index);
        assert.equal(hitAtLine(t, h.endLine)?.index, h.index);
      }
    });
  }

  it('folding hit 1 of the sample ends before hit 2’s header (log line 27)', () => {
    const t = parseTrace(readFixture('traces/snapshot-commit-complete.log'));
    const fold = traceFolds(t).find((f) => f.start === t.hits[0].line)!;
    assert.equal(t.hits[1].line, 26);
    assert.ok(fold.end < 26, `fold of hit 1 ends at line ${fold.end + 1}`);
    assert.equal(fold.end, 24, 'at `Continuing.`');
  });

  it('a command typed right after a hit, or a JSON command over several lines, is not part of the hit', () => {
    const t = parseTrace(
      [
        'Breakpoint 1, f () at a.c:1',
        '(gdb) bt',
        '#0  f () at a.c:1',
        '(gdb) c',
        '(QEMU) block-commit device=x',
        'Breakpoint 1, f () at a.c:1',
        '(gdb) bt',
        '#0  f () at a.c:1',
        '{"execute": "quit",',
        ' "arguments": {}}',
      ].join('\n'),
    );
    assert.deepEqual(
      t.hits.map((h) => [h.line, h.endLine]),
      [
        [0, 3],
        [5, 7],
      ],
    );
  });
});

describe('filtering hits by an object’s name', () => {
  const failures = () => parseTrace(readFixture('traces/v10.2.0-failures.log'));
  const matching = (t: Trace, q: string) => {
    const named = hitsOfNamedObjects(t, new Identities(t), q);
    return t.hits.filter((h) => named.has(h.index) || hitMatches(t, h, q)).map((h) => h.index);
  };

  it('s0 matches the hits that print its pointer, up to its deletion (hits 26–30 print no “s0”)', () => {
    const t = failures();
    const byText = t.hits.filter((h) => hitMatches(t, h, 's0')).map((h) => h.index);
    const all = matching(t, 's0');
    for (const h of [26, 27, 28, 29, 30]) {
      assert.ok(!byText.includes(h) || h < 26, `hit ${h} prints s0`);
      assert.ok(all.includes(h), `hit ${h} is listed for s0: ${all.join(',')}`);
    }
    for (const h of byText) assert.ok(all.includes(h), `hit ${h}, which prints s0, is still listed`);
  });

  it('every hit listed for a name prints a pointer of an object of that name', () => {
    const t = failures();
    const ids = new Identities(t);
    const named = hitsOfNamedObjects(t, ids, 's0');
    for (const i of named) {
      const h = t.hits[i - 1];
      const printed = [...(h.stop ? [h.stop] : []), ...h.frames].flatMap((f) => f.pointers.map((p) => ids.at(p.value, p.range.line)));
      assert.ok(printed.some((id) => id?.name?.includes('s0')), `hit ${i}`);
    }
  });

  it('edge names and hit numbers are not object names', () => {
    const t = failures();
    const ids = new Identities(t);
    assert.equal(hitsOfNamedObjects(t, ids, 'root').size, 0);
    assert.equal(hitsOfNamedObjects(t, ids, '#3').size, 0);
  });
});
