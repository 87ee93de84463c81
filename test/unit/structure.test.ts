import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { looksLikeGdbTrace } from '../../src/model/detect';
import { traceFolds, traceOutline } from '../../src/model/outline';
import { parseTrace } from '../../src/model/parser';
import { fixtureLogs, readFixture } from './helpers';

describe('detecting a gdb trace from its first 64 KB', () => {
  it('the real traces are traces', () => {
    for (const f of ['traces/snapshot-commit-complete.log', 'traces/v10.2.0-failures.log', 'traces/v10.2.0-mirror.log', 'traces/v7.1.0-stream.log']) {
      assert.ok(looksLikeGdbTrace(readFixture(f)), f);
    }
  });

  it('a bare pasted backtrace, or a quoted one, is a trace', () => {
    assert.ok(looksLikeGdbTrace('(gdb) bt\n#0  f () at a.c:1\n#1  0x0000555555d68bcb in g (x=1) at b.c:2\n'));
    assert.ok(looksLikeGdbTrace(readFixture('traces/snapshot-commit-complete.log').split('\n').map((l) => `> ${l}`).join('\n')));
  });

  it('other logs are not', () => {
    assert.equal(looksLikeGdbTrace(readFixture('detect/application.log')), false);
    assert.equal(looksLikeGdbTrace('#include <stdio.h>\n#define X 1\n'), false);
    assert.equal(looksLikeGdbTrace(''), false);
  });

  it('only the first 64 KB count', () => {
    const late = `${'x\n'.repeat(40_000)}${readFixture('traces/snapshot-commit-complete.log')}`;
    assert.equal(looksLikeGdbTrace(late), false);
  });
});

describe('outline and folding', () => {
  const t = parseTrace(readFixture('traces/snapshot-commit-complete.log'));

  it('commands → hits, named as a person reads them', () => {
    const o = traceOutline(t);
    assert.deepEqual(
      o.map((s) => [s.kind, s.name.split(' ')[0], s.children.length, s.detail]),
      [
        ['command', 'blockdev-snapshot-sync', 19, '19 hits, inferred'],
        ['command', 'block-commit', 6, '6 hits'],
        ['command', 'block-job-complete', 9, '9 hits'],
      ],
    );
    assert.equal(o[0].children[18].name, '#19 bdrv_replace_child_noperm — block.c:2843');
    for (const c of o) for (const h of c.children) assert.ok(c.startLine <= h.startLine && h.endLine <= c.endLine, `${h.name} inside ${c.name}`);
    assert.equal(o[1].line + 1, 488);
  });

  it('frames on request', () => {
    const o = traceOutline(t, true);
    assert.deepEqual(
      o[1].children[1].children.slice(0, 4).map((f) => f.name),
      ['#0 bdrv_replace_child_noperm', '#1 bdrv_replace_child_tran', '#2 bdrv_replace_node_noperm', '#3 bdrv_append'],
    );
  });

  it('folds every hit, every command section and the plumbing runs', () => {
    const folds = traceFolds(t);
    for (const h of t.hits) assert.ok(folds.some((f) => f.kind === 'section' && f.start === h.line && f.end === h.endLine), `hit ${h.index}`);
    assert.ok(folds.some((f) => f.start === 487), 'the block-commit section');
    const plumbing = folds.filter((f) => f.kind === 'plumbing');
    assert.equal(plumbing.length, 34);
    const h21 = plumbing.find((f) => f.start > t.hits[20].line && f.end <= t.hits[20].endLine)!;
    assert.equal(h21.end - h21.start + 1, 12);
  });

  it('a command section runs to the last hit before the next command, on every fixture and a long session', () => {
    const logs = [...fixtureLogs().map((f) => fs.readFileSync(f, 'utf8')), readFixture('traces/snapshot-commit-complete.log').repeat(30)];
    for (const text of logs) {
      const trace = parseTrace(text);
      // each section on its own: the hits after its line and up to the next command's
      const starts = trace.commands.map((c) => c.line).filter((l): l is number => l !== null).sort((a, b) => a - b);
      const expected = starts.flatMap((start, i) => {
        const next = i + 1 < starts.length ? starts[i + 1] - 1 : trace.lineCount - 1;
        const end = Math.max(start, ...trace.hits.filter((h) => h.line > start && h.line <= next).map((h) => h.endLine));
        return end > start ? [{ start, end, kind: 'section' }] : [];
      });
      assert.deepEqual(traceFolds(trace).slice(0, expected.length), expected);
      assert.ok(expected.length > 0 || trace.commands.every((c) => c.line === null) || trace.hits.length === 0);
    }
  });

  it('free-standing backtraces are sections too', () => {
    const s = parseTrace('(gdb) thread apply all bt\n\nThread 2 (Thread 0x7f (LWP 5) "worker"):\n#0  f () at a.c:1\n#1  0x0000555555d68bcb in g (x=1) at b.c:2\n');
    assert.deepEqual(
      traceOutline(s).map((x) => [x.kind, x.name]),
      [['backtrace', 'Thread 2 "worker": f']],
    );
    assert.deepEqual(traceFolds(s), [{ start: 3, end: 4, kind: 'section' }]);
  });
});
