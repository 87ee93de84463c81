// What a user meets on their own logs (issue 10): where a hit starts and ends, filters by object
// names, mail mojibake, free-standing backtraces.
import * as assert from 'node:assert/strict';
import * as l10n from '@vscode/l10n';
import { looksLikeGdbTrace } from '../../src/model/detect';
import { BlockGraph } from '../../src/model/graph';
import { backtraceLabel, hitMatches, hitsOfNamedObjects } from '../../src/model/hitGroups';
import { hitAtLine } from '../../src/model/positions';
import { Identities } from '../../src/model/identities';
import { traceFolds, traceOutline, type Section } from '../../src/model/outline';
import { formatSummary, traceReport } from '../../src/model/summary';
import { parseAllFrames, parseTrace } from '../../src/model/parser';
import { type Trace } from '../../src/model/trace';
import { summaryHtml } from '../../src/summary/html';
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
    const named = hitsOfNamedObjects(t, new Identities(t), q).hits;
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
    const named = hitsOfNamedObjects(t, ids, 's0').hits;
    for (const i of named) {
      const h = t.hits[i - 1];
      const printed = [...(h.stop ? [h.stop] : []), ...h.frames].flatMap((f) => f.pointers.map((p) => ids.at(p.value, p.range.line)));
      assert.ok(printed.some((id) => id?.name?.includes('s0')), `hit ${i}`);
    }
  });

  it('edge names and hit numbers are not object names', () => {
    const t = failures();
    const ids = new Identities(t);
    assert.equal(hitsOfNamedObjects(t, ids, 'root').hits.size, 0);
    assert.equal(hitsOfNamedObjects(t, ids, '#3').hits.size, 0);
    // a name is the whole name, or its start from three letters on: `0` names nothing
    assert.equal(hitsOfNamedObjects(t, ids, '0').hits.size, 0);
    assert.ok(hitsOfNamedObjects(t, ids, 'dup').hits.size > 0);
  });

  it('a free-standing backtrace that prints the object’s pointer is listed as itself, not as the hit it was printed during', () => {
    const t = parseTrace(readFixture('traces/v7.2.0-drain-threads.log'));
    const named = hitsOfNamedObjects(t, new Identities(t), 'job0');
    const thread1 = t.backtraces.find((b) => b.thread?.number === 1)!;
    assert.ok(named.backtraces.has(thread1.line), 'Thread 1 prints job0’s pointer');
    assert.ok(!named.backtraces.has(t.backtraces[0].line), 'Thread 5 does not');
  });
});

describe('a mail paste with mojibake (UTF-8 NBSP read as Latin-1: `#0Â` + NBSP)', () => {
  const mail = () => readFixture('mail/mojibake-threads.txt');
  const real = () => readFixture('traces/v7.2.0-drain-threads.log');

  it('is detected as a gdb trace', () => {
    assert.ok(looksLikeGdbTrace(mail()));
  });

  it('reads every frame of the hit and of all five threads as the clean log has them, with nothing left over', () => {
    const m = parseTrace(mail());
    const r = parseTrace(real());
    assert.equal(m.hits.length, 1);
    assert.equal(m.backtraces.length, 5);
    const original = r.hits[16];
    assert.deepEqual(
      m.hits[0].frames.map((f) => [f.level, f.function, f.file, f.line]),
      original.frames.map((f) => [f.level, f.function, f.file, f.line]),
    );
    m.backtraces.forEach((b, i) => {
      assert.deepEqual(
        b.frames.map((f) => [f.level, f.function, f.file, f.line, f.library]),
        r.backtraces[i].frames.map((f) => [f.level, f.function, f.file, f.line, f.library]),
        `thread ${b.thread?.number}`,
      );
    });
    parseAllFrames(m);
    assert.deepEqual(m.diagnostics.map((d) => d.code), []);
  });

  it('keeps the document’s columns: a frame’s location token is where the text has it', () => {
    const text = mail();
    const m = parseTrace(text);
    const lines = text.split('\n');
    for (const f of m.hits[0].frames) {
      const r = f.locationRange!;
      assert.equal(lines[r.line].slice(r.start, r.end), f.file !== null ? `${f.file}:${f.line}` : f.library);
    }
  });
});

describe('free-standing backtraces', () => {
  it('are named by thread and the frame that says what the thread is doing', () => {
    const t = parseTrace(readFixture('traces/v7.2.0-drain-threads.log'));
    assert.deepEqual(t.backtraces.map(backtraceLabel), [
      'Thread 5 "qemu-storage-da": worker_thread',
      'Thread 4 "qemu-storage-da": worker_thread',
      'Thread 3 "qemu-storage-da": iothread_run',
      'Thread 2 "qemu-storage-da": call_rcu_thread',
      'Thread 1 "qemu-storage-da": bdrv_replace_child_noperm',
    ]);
    assert.deepEqual(t.backtraces.map((b) => b.hit), [17, 17, 17, 17, 17]);
  });

  it('sit in the outline inside the hit they were printed during (breadcrumb and folding nest)', () => {
    const t = parseTrace(readFixture('traces/v7.2.0-drain-threads.log'));
    const outline = traceOutline(t);
    const at = innermost(outline, t.backtraces[2].frames[0].logLine);
    assert.equal(at?.kind, 'backtrace');
    assert.equal(at?.name, 'Thread 3 "qemu-storage-da": iothread_run');
    const hit17 = outline.flatMap((s) => s.children).find((s) => s.name.startsWith('#17 '))!;
    assert.deepEqual(hit17.children.map((c) => c.name.split(':')[0]), ['Thread 5 "qemu-storage-da"', 'Thread 4 "qemu-storage-da"', 'Thread 3 "qemu-storage-da"', 'Thread 2 "qemu-storage-da"', 'Thread 1 "qemu-storage-da"']);
  });

  it('are listed in the text summary, with their line', () => {
    const t = parseTrace(readFixture('traces/v7.2.0-drain-threads.log'));
    const lines = formatSummary(t, 'x.log').filter((l) => l.includes('backtrace, line'));
    assert.equal(lines.length, 5);
    assert.match(lines[2], /^ {2}backtrace, line 510: Thread 3 "qemu-storage-da": iothread_run \(7 frames, during hit 17\)$/);
  });

  it('a backtrace of unknown origin without a thread is still named by its frames', () => {
    const t = parseTrace('#0  0x00007f in poll () from /lib/libc.so.6\n#1  0x0000555 in aio_poll (ctx=0x1) at ../util/aio-posix.c:600\n#2  0x0000556 in bdrv_drain_all_begin () at ../block/io.c:650\n');
    assert.equal(backtraceLabel(t.backtraces[0]), 'Backtrace: bdrv_drain_all_begin');
  });
});

describe('what a hit did, for lists (the Hits view, the summary)', () => {
  const sample = () => {
    const t = parseTrace(readFixture('traces/snapshot-commit-complete.log'));
    return { t, g: BlockGraph.build(t, new Identities(t)) };
  };

  it('says moves, attaches and detaches in a few words', () => {
    const { g } = sample();
    assert.equal(g.changeAt(19)!.short, 'root: drive01 → over01');
    assert.equal(g.changeAt(18)!.short, '+ over01 —backing→ drive01');
    assert.equal(g.changeAt(28)!.short, '− job jobA —target→ drive01');
    assert.equal(g.changeAt(27)!.short, 'backing: over01 → drive01');
  });

  it('a hit of another breakpoint changes nothing and still has the graph it sees', () => {
    const t = parseTrace(readFixture('traces/v7.2.0-drain-threads.log'));
    const g = BlockGraph.build(t, new Identities(t));
    const drain = t.hits.filter((h) => h.breakpoint === 2).map((h) => h.index);
    assert.deepEqual(drain, [8, 25]);
    for (const i of drain) {
      assert.equal(g.changeAt(i)!.short, null);
      assert.equal(g.changeAt(i)!.kind, 'none');
      assert.ok(g.hasSomethingToShow(i));
      assert.equal(g.nodeCountAfter(i), g.stateAfter(i).nodes.length);
    }
    const only = parseTrace('Breakpoint 2, bdrv_drain_all_end () at ../block/io.c:700\n(gdb) bt\n#0  bdrv_drain_all_end () at ../block/io.c:700\n#1  0x1 in bdrv_drain_all () at ../block/io.c:733\n');
    assert.equal(BlockGraph.build(only, new Identities(only)).hasSomethingToShow(1), false);
  });

  it('the summary report links each command’s hits and lists their graph changes', () => {
    const { t, g } = sample();
    const r = traceReport(t, 'sample.log', g);
    const commit = r.commands.find((c) => c.label.startsWith('block-commit'))!;
    assert.deepEqual(commit.hits.map((h) => h.label), ['#20', '#21', '#22', '#23', '#24', '#25']);
    assert.equal(commit.hits[1].line, t.hits[20].line);
    assert.deepEqual(commit.jobs, ['jobA']);
    assert.equal(commit.changes![1].label, 'root: over01 → mirror_top');
    assert.equal(traceReport(t, 'sample.log').commands[0].changes, null, 'without the replay, no changes claimed');
    // QEMU's answers, where the log has them
    const drain = traceReport(parseTrace(readFixture('traces/v7.2.0-drain-threads.log')), 'd.log');
    assert.deepEqual(drain.commands.find((c) => c.label.startsWith('blockdev-snapshot'))!.reply, { ok: true });
    const failed = traceReport(parseTrace('(QEMU) blockdev-add driver=qcow2 node-name=dup0 file=file0\n{"error": {"class": "GenericError", "desc": "Conflicts with use by d0 as \'file\'"}}\n'), 'e.log');
    assert.deepEqual(failed.commands[0].reply, { ok: false, error: "Conflicts with use by d0 as 'file'" });
  });
});

describe('the summary view’s page', () => {
  it('escapes everything from the log and links each hit run to its lines', () => {
    const t = parseTrace('(QEMU) blockdev-add driver=qcow2 node-name=<img src=x onerror=alert(1)>\nBreakpoint 1, f () at a.c:1\n(gdb) bt\n#0  f () at a.c:1\nBreakpoint 1, f () at a.c:1\n');
    const html = summaryHtml(traceReport(t, 'x"<b>.log'), { csp: "default-src 'none'", nonce: 'N', style: 's.css' });
    assert.ok(!html.includes('<img'), 'no markup from the log');
    assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;'));
    assert.ok(html.includes('<title>x&#34;&#60;b&#62;.log — summary</title>'));
    assert.match(html, /<a href="#" data-line="1" [^>]*>#1<\/a>–<a href="#" data-line="4" [^>]*>#2<\/a>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.match(html, /<script nonce="N">/);
  });

  it('is in the display language when VS Code has a bundle for it, each plural its own string', () => {
    const t = parseTrace('Breakpoint 1, f () at a.c:1\n(gdb) bt\n#0  f () at a.c:1\n');
    const report = traceReport(t, 'a.log');
    l10n.config({ contents: { 'Copy as Text': 'Als Text kopieren', '{0} hit': '{0} Treffer', 'Everything in this log was understood.': 'Alles verstanden.' } });
    try {
      const html = summaryHtml(report, { csp: "default-src 'none'", nonce: 'N', style: 's.css' });
      assert.match(html, />Als Text kopieren<\/button>/);
      assert.match(html, /<p class="counts">1 Treffer · 1 frame · 0 commands/);
      assert.match(html, /Alles verstanden\./);
    } finally {
      l10n.config({ contents: {} });
    }
    assert.match(summaryHtml(report, { csp: "default-src 'none'", nonce: 'N', style: 's.css' }), /<p class="counts">1 hit · 1 frame · 0 commands/);
  });
});
