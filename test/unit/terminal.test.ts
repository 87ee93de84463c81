// A log saved from a terminal (`script`): gdb's colours and readline's codes in every line. Held
// against a real session recorded that way (recording/record.py styled: the debug QSD 7.2 under
// gdb 13 in a terminal), and against the same session's lines without them.
import * as assert from 'node:assert/strict';
import { looksLikeGdbTrace } from '../../src/model/detect';
import { jsonChunks } from '../../src/model/jsonStream';
import { countAllFrames, parseTrace, TraceParser } from '../../src/model/parser';
import { formatSummary, traceToJson } from '../../src/model/summary';
import type { Trace } from '../../src/model/trace';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlockGraph } from '../../src/model/graph';
import { Identities } from '../../src/model/identities';
import { asGdbPrintedIt, documentColumns, hasTerminalCodes, joinCutLines, withoutTerminalCodes } from '../../src/model/terminal';
import { fixtureLogs, readFixture } from './helpers';

const E = '\x1b';

describe('terminal codes: a line as the terminal showed it', () => {
  it('leaves out gdb\'s colours, readline\'s prompt codes, charset switches, titles and bells', () => {
    assert.equal(withoutTerminalCodes(`#1  ${E}[34m0x00005555555e9135${E}[m in ${E}[33mbdrv_attach_child_common${E}[m (${E}[36mchild_bs${E}[m=0x5555558b8970)`), '#1  0x00005555555e9135 in bdrv_attach_child_common (child_bs=0x5555558b8970)');
    assert.equal(withoutTerminalCodes(`${E}[?2004h(gdb) bt`), '(gdb) bt');
    assert.equal(withoutTerminalCodes(`${E}[01;34mstruct${E}[m ${E}(B${E}=x${E}]0;gdb: qsd\x07 y\x07`), 'struct x y');
    assert.equal(withoutTerminalCodes(`${E}]8;;file:///a\x1b\\link${E}]8;;${E}\\`), 'link');
  });

  it('plays a line edited as it was typed as the screen ended up: backspaces move back, readline erases, inserts, deletes', () => {
    // typed bx, erased x (readline: BS, space, BS), typed t
    assert.equal(withoutTerminalCodes('(gdb) bx\b \bt'), '(gdb) bt');
    assert.equal(withoutTerminalCodes(`(gdb) bx\b${E}[Kt`), '(gdb) bt');
    // a backspace alone only moves the cursor: Left, then Enter, runs bt
    assert.equal(withoutTerminalCodes('(gdb) bt\b'), '(gdb) bt');
    // `frame 3`, Left, insert 1: readline inserts a blank and writes over it
    assert.equal(withoutTerminalCodes(`(gdb) frame 3\b${E}[1@1`), '(gdb) frame 13');
    // `frame 13`, Left twice, delete one
    assert.equal(withoutTerminalCodes(`(gdb) frame 13\b\b${E}[P`), '(gdb) frame 3');
    assert.equal(withoutTerminalCodes(`ab${E}[3Cc`), 'ab   c');
    assert.equal(withoutTerminalCodes('\b\bbt'), 'bt');
  });

  it('keeps a line with none as it is, and a sequence cut off by the line end goes with it', () => {
    const line = '#0  bdrv_replace_child_noperm (child=0x5555558b4800, new_bs=0x5555558b8970) at ../block.c:2832';
    assert.equal(withoutTerminalCodes(line), line);
    assert.equal(hasTerminalCodes(line), false);
    assert.equal(withoutTerminalCodes(`at ../block.c:2832${E}[3`), 'at ../block.c:2832');
    assert.equal(withoutTerminalCodes(`x${E}`), 'x');
  });

  it('reads every line the same whether it also maps its columns or not (60,000 random lines of codes and text)', () => {
    const parts = [E, '[', ']', '\\', '\x07', '\b', '?', ';', '3', '2', 'm', 'K', 'P', '@', 'C', 'D', '(', 'B', ' ', 'a', 'é', '\u00a0'];
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % parts.length);
    for (let n = 0; n < 60_000; n++) {
      let line = '';
      for (let k = next() + next(); k > 0; k--) line += parts[next()];
      const columns: number[] = [];
      const mapped = withoutTerminalCodes(line, columns);
      assert.equal(withoutTerminalCodes(line), mapped, JSON.stringify(line));
      assert.equal(columns.length, mapped.length);
      // each character shown comes from its column (a blank readline inserted or a cursor move left may stand for none)
      columns.forEach((c, k) => assert.ok(line[c] === mapped[k] || mapped[k] === ' ', `${JSON.stringify(line)} column ${k}`));
    }
  });

  it('maps a range of the line read back to the same characters in the document', () => {
    const raw = `#1  ${E}[34m0x00005555555e9135${E}[m in ${E}[33mbdrv_attach_child_common${E}[m (x) at ${E}[32m../block.c${E}[m:3029`;
    const clean = withoutTerminalCodes(raw);
    for (const word of ['0x00005555555e9135', 'bdrv_attach_child_common', '../block.c', ':3029', '#1']) {
      const at = clean.indexOf(word);
      const r = documentColumns(raw, at, at + word.length);
      assert.equal(withoutTerminalCodes(raw.slice(r.start, r.end)), word, word);
      assert.equal(raw.slice(r.start, r.end).startsWith(word[0]), true, `${word} starts on its first character`);
    }
    // a range ending at the line's end, an empty one, and a line without codes
    assert.deepEqual(documentColumns(raw, clean.length, clean.length), { start: raw.length, end: raw.length });
    assert.deepEqual(documentColumns('abc', 1, 2), { start: 1, end: 2 });
  });
});

describe('terminal codes: a real session saved from a terminal', () => {
  const styled = readFixture('traces/v7.2.0-styled.log');
  const plain = styled.split(/\r?\n|\r/).map((l) => withoutTerminalCodes(l)).join('\n');

  it('the recording really is styled: colours on the frames, readline\'s codes at the prompt', () => {
    assert.ok(styled.includes(`${E}[33mbdrv_replace_child_noperm${E}[m`));
    assert.ok(styled.includes(`${E}[?2004h(gdb) quit`));
  });

  it('reads as the same session without them: every hit, frame, command and reply', () => {
    const a = parseTrace(styled);
    const b = parseTrace(plain);
    assert.equal(a.hits.length, 40);
    assert.equal(countAllFrames(a), 715);
    const json = (t: Trace) => JSON.parse([...jsonChunks(traceToJson(t))].join('')) as Record<string, unknown>;
    const { terminalCodes, ...rest } = json(a);
    assert.ok(terminalCodes);
    assert.deepEqual(rest, json(b));
  });

  it('says how many lines held codes, from which line, and nothing was not understood', () => {
    const trace = parseTrace(styled);
    assert.deepEqual(trace.diagnostics, []);
    assert.ok(trace.terminalCodes && trace.terminalCodes.lines > 500, `${trace.terminalCodes?.lines}`);
    assert.equal(trace.terminalCodes.firstLine, 0);
    assert.equal(parseTrace(plain).terminalCodes, undefined);
    assert.ok(formatSummary(trace, 'session.log').some((l) => /read as a terminal showed it: \d+ lines hold terminal codes/.test(l)));
  });

  it('reads the same in chunks of any size, split inside a code', () => {
    const json = (t: Trace) => [...jsonChunks(traceToJson(t))].join('');
    const whole = json(parseTrace(styled));
    for (const size of [1, 3, 7, 64, 1000, 4096]) {
      const p = new TraceParser();
      for (let i = 0; i < styled.length; i += size) p.push(styled.slice(i, i + size));
      assert.equal(json(p.end()), whole, `chunks of ${size}`);
    }
  });

  it('is recognised as a gdb session from its start', () => {
    assert.equal(looksLikeGdbTrace(styled), true);
  });
});

/** The model as JSON, without what says where in the log (line numbers) and what was left out of it (terminal codes). */
function content(t: Trace): string {
  return JSON.stringify(JSON.parse([...jsonChunks(traceToJson(t))].join('')), (k, v) => (/^(?:logLine|endLogLine|lines|logLines|cutAt|terminalCodes)$/.test(k) ? undefined : v));
}

function expandTabs(line: string): string {
  let out = '';
  for (const c of line) out += c === '\t' ? ' '.repeat(8 - (out.length % 8)) : c;
  return out;
}

function sameGraphs(a: Trace, b: Trace): void {
  const ga = BlockGraph.build(a, new Identities(a));
  const gb = BlockGraph.build(b, new Identities(b));
  const view = (g: BlockGraph, h: number) => JSON.stringify(g.stateAfter(h), (k, v) => (/line/i.test(k) ? undefined : v));
  for (let h = 0; h <= a.hits.length; h++) assert.equal(view(ga, h), view(gb, h), `the graph after hit ${h}`);
}

describe('lines cut where a terminal\'s screen wrapped them', () => {
  // the failed-add session printed in a tmux 3.3a pane 100 columns wide, saved with
  // `tmux capture-pane -p -S -` (no -J): 449 lines cut at 100, a space at the edge dropped
  const capture = readFixture('traces/v7.2.0-failed-add.tmux-100.log');
  const session = parseTrace(readFixture('traces/v7.2.0-failed-add.log'));

  it('a real tmux capture: read as it is, its frames cut in two are not understood, and it says why', () => {
    const trace = parseTrace(capture);
    assert.deepEqual(trace.cutAt, { width: 100, lines: 449 });
    assert.ok(trace.hits.length < 40, `${trace.hits.length} hits read whole`);
    assert.ok(formatSummary(trace, 'capture.log').some((l) => /note: 449 lines are exactly 100 characters and none is longer: the log looks cut where a terminal's screen wrapped it/.test(l)));
  });

  it('as gdb printed it, its lines joined again: the session, hit for hit, frame for frame, graph for graph', () => {
    const printed = asGdbPrintedIt(capture);
    assert.equal(printed.cutAt, 100);
    const trace = parseTrace(printed.text);
    assert.equal(trace.cutAt, undefined);
    assert.equal(trace.hits.length, 40);
    assert.deepEqual(trace.diagnostics, []);
    assert.equal(content(trace), content(session));
    sameGraphs(trace, session);
  });

  it('a real tmux capture with its colours (capture-pane -e, 120 columns, of the styled session): cut, coloured, and whole again as gdb printed it', () => {
    const styled = readFixture('traces/v7.2.0-styled.tmux-120-e.log');
    const read = parseTrace(styled);
    assert.deepEqual(read.cutAt, { width: 120, lines: 215 });
    assert.ok(read.terminalCodes && read.terminalCodes.lines > 500);
    const printed = asGdbPrintedIt(styled);
    assert.equal(printed.cutAt, 120);
    const trace = parseTrace(printed.text);
    assert.deepEqual(trace.diagnostics, []);
    assert.equal(trace.hits.length, 40);
    const recorded = parseTrace(readFixture('traces/v7.2.0-styled.log'));
    assert.equal(content(trace), content(recorded));
    sameGraphs(trace, recorded);
  });

  it('any real trace cut at any screen width, dropping the space at the edge as tmux does, is joined back line for line', () => {
    let tried = 0;
    // (logs with terminal codes are cut by what a screen shows of them: the real tmux captures)
    for (const name of fixtureLogs().filter((f) => !f.includes('.tmux-') && !fs.readFileSync(f, 'utf8').includes('\x1b')).map((f) => path.relative(path.join(__dirname, '..', '..', '..', 'test', 'fixtures'), f))) {
      // as a screen shows them: tabs as spaces to the next tab stop
      const lines = readFixture(name).split('\n').map((l) => expandTabs(l.replace(/\r$/, '')));
      for (const width of [80, 100, 120, 132, 160, 200]) {
        // (a screen as wide as nearly all of the lines cuts too few to tell)
        if (lines.filter((l) => l.length > width).length < 10) continue;
        tried++;
        const cut = lines.flatMap((l) => {
          const pieces: string[] = [];
          for (let at = 0; at < l.length || pieces.length === 0; at += width) pieces.push(l.slice(at, at + width));
          return pieces.map((p, i) => (i < pieces.length - 1 && p.endsWith(' ') && !pieces[i + 1].startsWith(' ') ? p.slice(0, -1) : p));
        });
        const printed = asGdbPrintedIt(cut.join('\n'));
        assert.equal(printed.cutAt, width, `${name} at ${width}`);
        const joined = printed.text.split('\n');
        const wrong = joined.findIndex((l, i) => expandTabs(l) !== lines[i].trimEnd() && expandTabs(l) !== lines[i]);
        assert.equal(wrong, -1, `${name} at ${width}: line ${wrong + 1}: ${JSON.stringify(joined[wrong])} for ${JSON.stringify(lines[wrong])}`);
        assert.equal(joined.length, lines.length);
      }
    }
    assert.ok(tried >= 60, `${tried} cuts tried`);
  });

  it('no log that was not cut looks cut: every fixture, gdb\'s own wrapping at its default width included, and each twice over (gdb appends to its log)', () => {
    for (const file of fixtureLogs()) {
      if (file.includes('.tmux-')) continue;
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(parseTrace(text).cutAt, undefined, path.basename(file));
      assert.equal(parseTrace(text + text + text).cutAt, undefined, `${path.basename(file)} three times`);
      assert.equal(asGdbPrintedIt(text + text).cutAt, null, `${path.basename(file)} twice, as gdb printed it`);
    }
  });

  it('never joins a line to one that starts something of its own', () => {
    const w = 'x'.repeat(40);
    assert.deepEqual(joinCutLines([w, '#1  0x1 in f () at a.c:1', w, '(gdb) bt', w, '', w, 'rest'], 40), [w, '#1  0x1 in f () at a.c:1', w, '(gdb) bt', w, '', w + 'rest']);
  });
});
