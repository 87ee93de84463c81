// The one-pass reader of plain frame lines (plainFrame.ts) against the general reader
// (parseFrameText and pointerArgs): whatever line it accepts, it reads exactly as they do; on real
// traces it accepts most lines; on random lines built from every kind of piece it never differs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { frameOnLine } from '../../src/model/frames';
import { pointerArgs } from '../../src/model/lines';
import { Plain, plain, plainPointers, readPlainFrame } from '../../src/model/plainFrame';
import { fixtureLogs } from './helpers';

/** What the general reader finds on `line`, when it is one whole frame by itself; else null. */
function general(line: string) {
  const f = frameOnLine(line);
  if (!f || f.frame.open !== null || f.frame.text !== line) return null;
  const t = f.frame;
  return {
    level: f.level,
    start: t.start,
    address: [t.addressStart, t.addressEnd],
    function: [t.functionStart, t.function],
    args: [t.argsStart, t.argsEnd],
    file: t.file,
    line: t.line,
    column: t.column,
    library: t.library,
    location: [t.locationStart, t.locationEnd],
    pointers: t.argsStart < 0 ? [] : pointerArgs(line, t.argsStart, t.argsEnd),
  };
}

/** What readPlainFrame finds on `line` set inside other text at `at`, with offsets made the line's own; null when it declines. */
function plainRead(line: string, before = '', after = '') {
  const text = before + line + after;
  const at = before.length;
  const n = readPlainFrame(text, at, at + line.length);
  if (n < 0) return null;
  const rel = (k: number) => (k < 0 ? -1 : k - at);
  const library = plain[Plain.IsLibrary] === 1;
  const location = text.slice(plain[Plain.LocationStart], library ? plain[Plain.LocationEnd] : plain[Plain.FileEnd]);
  const pointers = [];
  for (let k = 0; k < n; k++) {
    const o = 4 * k;
    pointers.push({ name: text.slice(plainPointers[o + 2], plainPointers[o + 3]), value: text.slice(plainPointers[o], plainPointers[o + 1]), start: plainPointers[o] - at });
  }
  return {
    level: plain[Plain.Level],
    start: rel(plain[Plain.Start]),
    address: [rel(plain[Plain.AddressStart]), rel(plain[Plain.AddressEnd])],
    function: [rel(plain[Plain.FunctionStart]), text.slice(plain[Plain.FunctionStart], plain[Plain.FunctionEnd])],
    args: [rel(plain[Plain.ArgsStart]), rel(plain[Plain.ArgsEnd])],
    file: library ? null : location,
    line: library ? null : plain[Plain.Line],
    column: null,
    library: library ? location : null,
    location: [rel(plain[Plain.LocationStart]), rel(plain[Plain.LocationEnd])],
    pointers,
  };
}

// text around the line that would mislead a search not kept to the line: `) at `, `) from `, colons
const BEFORE = '#7  0x1 in g (s=") at x:1") from y:2 at z:3\n';
const AFTER = '\n#9  0x2 in h (a=1) at w.c:4 ) at q:5';

/** The reader accepted `line`: it must be what the general reader reads, wherever the line is. */
function check(line: string): boolean {
  const got = plainRead(line);
  const inText = plainRead(line, BEFORE, AFTER);
  assert.deepEqual(inText, got, `the same line inside other text: ${line}`);
  if (got === null) return false;
  assert.deepEqual(got, general(line), line);
  return true;
}

const logs = fixtureLogs();

describe('plain frame lines read in one pass', () => {
  it('reads every plain line of every fixture as the general reader does, and most frame lines are plain', () => {
    let frames = 0;
    let accepted = 0;
    for (const log of logs) {
      for (const raw of fs.readFileSync(log, 'utf8').split('\n')) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (!/^#\d/.test(line)) continue;
        frames++;
        if (check(line)) accepted++;
      }
    }
    assert.ok(frames > 8000, `${frames} frame lines`);
    // wrapped frames, `in  ()` with nothing after it and the like go to the general reader
    assert.ok(accepted > 0.7 * frames, `only ${accepted} of ${frames} frame lines were read as plain`);
  });

  it('reads the forms gdb prints: file and line, a library after `at` or `from`, no name, @entry, strings and symbols', () => {
    const lines = [
      '#0  bdrv_replace_child_noperm (childp=0x7ffd3ebf2b78, new_bs=0x5555578ddc80, free_empty_child=true) at ../block.c:2843',
      '#1  0x0000555555d68bcb in bdrv_attach_child_common (child_bs=0x5555578ddc80, child_name=0x5555560db1d8 "root", child_class=0x5555564037c0 <child_root>, child_role=20, perm=10) at ../block.c:3055',
      '#9  0x00007ffff5043190 in __start_context () at /lib64/libc.so.6',
      '#4  0x00007ffff7a3c609 in start_thread (arg=<optimized out>) from /lib/x86_64-linux-gnu/libpthread.so.0',
      '#2  0x000055d1 in f (bs@entry=0x55d2, n=-3, x=0x0, e=BDRV_CHILD_COW, y=1.5e+10) at a.c:1',
      '#3  0x55AB in C::m (p=0x55ABCDEF, s="a, b ) at c") at b.c:7   ',
    ];
    for (const line of lines) assert.ok(check(line), line);
    assert.deepEqual(
      plainRead(lines[1])!.pointers.map((p) => [p.name, p.value]),
      [
        ['child_bs', '0x5555578ddc80'],
        ['child_name', '0x5555560db1d8'],
        ['child_class', '0x5555564037c0'],
      ],
    );
    assert.equal(plainRead(lines[2])!.library, '/lib64/libc.so.6');
    // bs@entry is bs; 0x0 is no object
    assert.deepEqual(plainRead(lines[4])!.pointers.map((p) => p.name), ['bs']);
  });

  it('leaves to the general reader what it does not read whole', () => {
    for (const line of [
      '#1  0x0000555555d68bcb in bdrv_attach_child_common', // wrapped: the list is on the next line
      '#10 0x00007fffffffcd60 in  ()', // the location may be on the next line
      '#2  0x1 in f (s=0x2 "a\\"b") at a.c:1', // an escape in a string
      '#2  0x1 in f (st={a = 1}) at a.c:1', // a struct
      '#2  0x1 in f (a=1) at my file.c:1', // a space in the path
      '#2  0x1 in f (s="\u00a0") at a.c:1', // a character outside ASCII
      '#2  0x55d3 (/usr/bin/qemu+0x1234)', // a sanitizer's module
      '#2  0x1 in ?? ()',
      '#2  0x1 in f (a=1) at a.c:12345678901', // a line number too large for a row
      '#12345678901 f (a=1) at a.c:1',
    ]) {
      assert.equal(plainRead(line), null, line);
    }
  });

  it('never reads a random frame line otherwise than the general reader', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return (seed >>> 12) % n;
    };
    const pick = <T>(xs: readonly T[]) => xs[rand(xs.length)];
    // mostly pieces of plain frames (so that lines of several arguments are plain too), some not
    const plainValues = ['0x5555578ddc80', '0x0', '0X1', '0xABCdef', '0x1 <sym>', '0x2 "root"', '0x2 "a, b"', '0x2 ") at x:1"', '"txt"', '<optimized out>', '-1', '1.5', 'true', 'ENUM_X'];
    const oddValues = ['0x1 <a b>', '0x2 "a\\"b"', '<error>', '{a = 1}', '(A | B)', "97 'a'", '', '0x', '0xg', 'x y', '0x1 "', '0x1 <>', '0x1 <a,b>'];
    const plainNames = ['bs', 'child_bs', 'bs@entry', 'a1', '$x', 'ab'];
    const oddNames = ['1a', 'a b', '', '@entry', 'a@b'];
    const some = <T>(usual: readonly T[], odd: readonly T[]) => (rand(8) === 0 ? pick(odd) : pick(usual));
    const plainLocations = [' at ../block.c:2843', ' at /lib64/libc.so.6', ' from /lib/libc.so.6', ' at a:b:12', ' at x.c:1  ', ' at t', ' from fr', ' at at', ' from m '];
    const oddLocations = [' at a.c:', ' at :1', '', ' at x y.c:1', ' from  lib', ' at', ' at x.c:1\t', ' from a) at b', ' at a.c:12345678901', ' at x"y.c:1'];
    const plainHeads = ['#0  ', '#1  0x0000555555d68bcb in ', '#12 0x1 in  ', '#3 ', '#77  0xAbC in '];
    const oddHeads = ['#4  0x1 in', '#5  0xZ in ', '#6\t', '#', '# 1 ', '#12345678901 '];
    const plainFunctions = ['bdrv_open', 'C::m', '~D', '$f', ''];
    const oddFunctions = ['??', '<f>', '0f', 'f\u00a0g', 'a(b', 'f\tg'];
    const pieces = ' ,()="\'<>@:\\{}\u00a0\t';
    let accepted = 0;
    let several = 0;
    for (let i = 0; i < 20000; i++) {
      const args = Array.from({ length: rand(5) }, () => `${some(plainNames, oddNames)}=${some(plainValues, oddValues)}`).join(some([', '], [',', ' , ', ',  ']));
      let line = `${some(plainHeads, oddHeads)}${some(plainFunctions, oddFunctions)}${some([' '], ['', '  '])}(${args}${some([')'], ['', '))'])}${some(plainLocations, oddLocations)}`;
      // and now and then a character more or less, anywhere
      if (rand(3) === 0) {
        const at = rand(line.length + 1);
        line = rand(2) === 0 ? line.slice(0, at) + pieces[rand(pieces.length)] + line.slice(at) : line.slice(0, at) + line.slice(at + 1);
      }
      if (check(line)) {
        accepted++;
        if (plain[Plain.Pointers] > 1) several++;
      }
    }
    assert.ok(accepted > 4000 && several > 500, `only ${accepted} random lines were read as plain (${several} with several pointers): the test reads too few`);
  });
});
