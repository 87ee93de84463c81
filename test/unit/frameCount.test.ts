// Counting a backtrace's frames without building them (the summary of a large log): the count and
// the problems reported are exactly those of reading the frames, on every fixture log.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { plainFrameCount } from '../../src/model/frames';
import { countAllFrames, parseAllFrames, parseTrace } from '../../src/model/parser';
import { fixturePath, ROOT } from './helpers';

const logs = [
  ...fs.readdirSync(fixturePath('traces')).filter((f) => f.endsWith('.log')).map((f) => fixturePath(path.join('traces', f))),
  fixturePath('malformed/damaged.gdb.log'),
  fixturePath('mail/mojibake-threads.txt'),
  path.join(ROOT, 'examples', 'snapshot-commit-complete.gdb.log'),
];

describe('counting frames without building them', () => {
  for (const log of logs) {
    it(`${path.basename(log)}: the same count and the same diagnostics as reading every frame`, () => {
      const text = fs.readFileSync(log, 'utf8');
      const counted = parseTrace(text);
      const n = countAllFrames(counted);
      const read = parseTrace(text);
      parseAllFrames(read);
      assert.equal(n, read.hits.reduce((k, h) => k + h.frames.length, 0));
      assert.deepEqual(counted.diagnostics, read.diagnostics);
      counted.hits.forEach((h, i) => assert.equal(h.frameCount, read.hits[i].frames.length, `hit ${h.index}`));
      counted.backtraces.forEach((b, i) => assert.equal(b.frameCount, read.backtraces[i].frames.length, `backtrace at line ${b.line + 1}`));
    });
  }

  it('a plain frame per line is counted; anything else is left to the frame reader', () => {
    assert.equal(plainFrameCount('#0  bdrv_replace_child_noperm (child=0x1, new_bs=0x2) at ../block.c:2832\n#1  0x0000555555 in f (a="x) at y") at ../b.c:3\n#2  0x00007ffff7 in ?? () from /lib/libc.so.6\n#3  0x0000000000000000 in ?? ()'), 4);
    for (const text of [
      '#1  0x0000555555d68bcb in bdrv_attach_child_common', // arguments on the next line
      '#0  f (a=1) at ../b.c:1\n    a = 1', // bt full locals
      '> #0  f (a=1) at ../b.c:1', // quoted
      '#9  0x00007ffff5043190 in __start_context () at /lib64/libc.so.6', // a library printed with at
      '#10 0x00007fffffffcd60 in  ()', // no name
      '#2  0x0000 in f (a=1, b=', // cut off
      '#0  foo (a=0x1 "x(y)', // cut off inside a string that holds a )
      '#0  foo (x) junk (y)', // more after the argument list
    ]) {
      assert.equal(plainFrameCount(text), -1, text);
    }
  });
});
