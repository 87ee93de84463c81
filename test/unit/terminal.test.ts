// A log saved from a terminal (`script`): gdb's colours and readline's codes in every line. Held
// against a real session recorded that way (recording/record.py styled: the debug QSD 7.2 under
// gdb 13 in a terminal), and against the same session's lines without them.
import * as assert from 'node:assert/strict';
import { looksLikeGdbTrace } from '../../src/model/detect';
import { jsonChunks } from '../../src/model/jsonStream';
import { countAllFrames, parseTrace, TraceParser } from '../../src/model/parser';
import { formatSummary, traceToJson } from '../../src/model/summary';
import type { Trace } from '../../src/model/trace';
import { documentColumns, hasTerminalCodes, withoutTerminalCodes } from '../../src/model/terminal';
import { readFixture } from './helpers';

const E = '\x1b';

describe('terminal codes: a line as the terminal showed it', () => {
  it('leaves out gdb\'s colours, readline\'s prompt codes, charset switches, titles and bells', () => {
    assert.equal(withoutTerminalCodes(`#1  ${E}[34m0x00005555555e9135${E}[m in ${E}[33mbdrv_attach_child_common${E}[m (${E}[36mchild_bs${E}[m=0x5555558b8970)`), '#1  0x00005555555e9135 in bdrv_attach_child_common (child_bs=0x5555558b8970)');
    assert.equal(withoutTerminalCodes(`${E}[?2004h(gdb) bt`), '(gdb) bt');
    assert.equal(withoutTerminalCodes(`${E}[01;34mstruct${E}[m ${E}(B${E}=x${E}]0;gdb: qsd\x07 y\x07`), 'struct x y');
    assert.equal(withoutTerminalCodes(`${E}]8;;file:///a\x1b\\link${E}]8;;${E}\\`), 'link');
  });

  it('takes a backspace as taking back the character before it, as a corrected line was typed', () => {
    assert.equal(withoutTerminalCodes('bx\b t'), 'b t');
    assert.equal(withoutTerminalCodes(`(gdb) bx\b${E}[Kt`), '(gdb) bt');
    assert.equal(withoutTerminalCodes('\b\bbt'), 'bt');
  });

  it('keeps a line with none as it is, and a sequence cut off by the line end goes with it', () => {
    const line = '#0  bdrv_replace_child_noperm (child=0x5555558b4800, new_bs=0x5555558b8970) at ../block.c:2832';
    assert.equal(withoutTerminalCodes(line), line);
    assert.equal(hasTerminalCodes(line), false);
    assert.equal(withoutTerminalCodes(`at ../block.c:2832${E}[3`), 'at ../block.c:2832');
    assert.equal(withoutTerminalCodes(`x${E}`), 'x');
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
