import * as assert from 'node:assert/strict';
import { classifyLine, classifyValue, findArg, findClosingParen, lineBody, pointerArgs, splitArgs, type LineKind } from '../../src/model/lines';

function kind(line: string): LineKind {
  return classifyLine(line).line;
}

function frameOf(line: string) {
  const k = kind(line);
  assert.equal(k.kind, 'frame', `expected a frame: ${line}`);
  return (k as Extract<LineKind, { kind: 'frame' }>).frame;
}

describe('line kinds (design.md §2)', () => {
  it('hit header with a named thread', () => {
    const k = kind('Thread 1 "qemu-system-x86" hit Breakpoint 1, bdrv_replace_child_noperm (childp=0x7ffd3ebf2b78, new_bs=0x5555578ddc80, free_empty_child=true) at ../block.c:2843');
    assert.equal(k.kind, 'hit');
    const h = (k as Extract<LineKind, { kind: 'hit' }>).header;
    assert.deepEqual(h.thread, { number: 1, name: 'qemu-system-x86' });
    assert.equal(h.number, 1);
    assert.equal(h.kind, 'breakpoint');
    assert.equal(h.frame?.function, 'bdrv_replace_child_noperm');
    assert.equal(h.frame?.file, '../block.c');
    assert.equal(h.frame?.line, 2843);
  });

  it('hit header without the Thread prefix, with a stop address', () => {
    const k = kind('Breakpoint 2, 0x0000555555d68bcb in bdrv_attach_child_common (child_bs=0x5555578ddc80) at ../block.c:3055');
    assert.equal(k.kind, 'hit');
    const h = (k as Extract<LineKind, { kind: 'hit' }>).header;
    assert.equal(h.thread, null);
    assert.equal(h.number, 2);
    assert.equal(h.frame && h.frame.text.slice(h.frame.addressStart, h.frame.addressEnd), '0x0000555555d68bcb');
    assert.equal(h.frame?.function, 'bdrv_attach_child_common');
  });

  it('hit header with an unnamed thread, a temporary breakpoint, a sub-location', () => {
    const a = kind('Thread 3 hit Breakpoint 4.2, bdrv_unref (bs=0x555556a7ae40) at ../block.c:6919');
    assert.equal(a.kind, 'hit');
    assert.deepEqual((a as Extract<LineKind, { kind: 'hit' }>).header.thread, { number: 3, name: null });
    assert.equal((a as Extract<LineKind, { kind: 'hit' }>).header.number, 4);
    const b = kind('Temporary breakpoint 1, main (argc=5, argv=0x7fffffffe3e8) at ../storage-daemon/qemu-storage-daemon.c:410');
    assert.equal(b.kind, 'hit');
    assert.equal((b as Extract<LineKind, { kind: 'hit' }>).header.temporary, true);
  });

  it('watchpoint hits and their values', () => {
    const k = kind('Thread 1 "qemu-system-x86" hit Hardware watchpoint 3: bs->refcnt');
    assert.equal(k.kind, 'hit');
    const h = (k as Extract<LineKind, { kind: 'hit' }>).header;
    assert.equal(h.kind, 'watchpoint');
    assert.equal(h.expression, 'bs->refcnt');
    assert.deepEqual(kind('Old value = 1'), { kind: 'watch-value', which: 'old', value: '1' });
    assert.deepEqual(kind('New value = 2'), { kind: 'watch-value', which: 'new', value: '2' });
  });

  it('source echo: line number, TAB, C text', () => {
    assert.deepEqual(kind('2843\t    BdrvChild *child = *childp;'), { kind: 'source', number: 2843, text: '    BdrvChild *child = *childp;', textStart: 5 });
  });

  it('gdb prompts and commands', () => {
    assert.deepEqual(kind('(gdb) bt'), { kind: 'prompt', command: 'bt', commandStart: 6 });
    assert.deepEqual(kind('(gdb) thr a a bt'), { kind: 'prompt', command: 'thr a a bt', commandStart: 6 });
    assert.deepEqual(kind('(gdb) '), { kind: 'prompt', command: '', commandStart: 6 });
  });

  it('thread headers with and without names, thread events', () => {
    assert.deepEqual(kind('Thread 3 (Thread 0x7f3bbd87b700 (LWP 135952) "qemu-system-x86"):'), {
      kind: 'thread-header',
      number: 3,
      id: '0x7f3bbd87b700',
      lwp: 135952,
      name: 'qemu-system-x86',
    });
    assert.deepEqual(kind('Thread 1 (Thread 0x7ffff7afc940 (LWP 6716)):'), { kind: 'thread-header', number: 1, id: '0x7ffff7afc940', lwp: 6716, name: null });
    assert.equal(kind('[New Thread 0x7fffeeef2700 (LWP 30297)]').kind, 'thread-event');
    assert.equal(kind('[Thread 0x7fffeeef2700 (LWP 30327) exited]').kind, 'thread-event');
    assert.equal(kind('[Switching to Thread 0x7fffe7fff640 (LWP 4180)]').kind, 'thread-event');
  });

  it('qmp-shell, transaction, raw QMP, HMP, separators', () => {
    assert.deepEqual(kind('(QEMU) block-commit device=over01 job-id=jobA'), { kind: 'qmp-shell', text: 'block-commit device=over01 job-id=jobA', textStart: 7 });
    assert.deepEqual(kind('TRANS> )'), { kind: 'trans', text: ')', textStart: 7 });
    assert.equal(kind('{"execute": "blockdev-add", "arguments": {"node-name": "n"}}').kind, 'json');
    assert.deepEqual(kind('(qemu) snapshot_blkdev drive0 /tmp/s.qcow2'), { kind: 'hmp', text: 'snapshot_blkdev drive0 /tmp/s.qcow2', textStart: 7 });
    assert.equal(kind('==================================').kind, 'separator');
  });

  it('the HMP prompt sharing a line with what came next', () => {
    assert.equal(kind('(qemu) [New Thread 0x7fffeeef2700 (LWP 30327)]').kind, 'thread-event');
    const hit = kind('(qemu) Thread 1 "qemu-system-x86" hit Breakpoint 1, bdrv_replace_child_noperm (childp=0x7fffffffd7b8, new_bs=0x0, free_empty_child=true) at ../block.c:2843');
    assert.equal(hit.kind, 'hit');
    assert.equal(kind("(qemu) Formatting '/tmp/overlay01.qcow2', fmt=qcow2 cluster_size=65536").kind, 'hmp');
  });

  it('breakpoint definitions', () => {
    assert.deepEqual(kind('Breakpoint 1 at 0x93850: file ../block.c, line 2949.'), { kind: 'breakpoint-set', number: 1, file: '../block.c', line: 2949 });
  });
});

describe('frames', () => {
  it('a full frame: address, function, arguments, file:line', () => {
    const f = frameOf('#1  0x0000555555d68bcb in bdrv_attach_child_common (child_bs=0x5555578ddc80, child_name=0x5555560db1d8 "root") at ../block.c:3055');
    assert.equal(f.text.slice(f.addressStart, f.addressEnd), '0x0000555555d68bcb');
    assert.equal(f.function, 'bdrv_attach_child_common');
    assert.equal(f.file, '../block.c');
    assert.equal(f.line, 3055);
    assert.equal(f.open, null);
    assert.equal(f.text.slice(f.locationStart, f.locationEnd), '../block.c:3055');
    assert.equal(f.text.slice(f.functionStart, f.functionStart + f.function.length), 'bdrv_attach_child_common');
  });

  it('frame #0 has no address', () => {
    const f = frameOf('#0  bdrv_replace_child_noperm (child=0x555555869390, new_bs=0x55555586c790) at ../block.c:2949');
    assert.equal(f.addressStart, -1);
    assert.equal(f.function, 'bdrv_replace_child_noperm');
  });

  it('library frames: from lib, at lib, sanitizer module', () => {
    const a = frameOf('#14 0x00007ffff7dd1789 in g_main_context_dispatch () from /lib/x86_64-linux-gnu/libglib-2.0.so.0');
    assert.equal(a.library, '/lib/x86_64-linux-gnu/libglib-2.0.so.0');
    assert.equal(a.file, null);
    assert.equal(a.text.slice(a.locationStart, a.locationEnd), '/lib/x86_64-linux-gnu/libglib-2.0.so.0');
    const b = frameOf('#9  0x00007ffff5043190 in __start_context () at /lib64/libc.so.6');
    assert.equal(b.library, '/lib64/libc.so.6');
    assert.equal(b.line, null);
    const c = frameOf('    #3 0x7f2c5e429d8f in __libc_start_call_main (/lib/x86_64-linux-gnu/libc.so.6+0x29d8f)');
    assert.equal(c.function, '__libc_start_call_main');
    assert.equal(c.library, '/lib/x86_64-linux-gnu/libc.so.6');
    const d = frameOf('    #4 0x55d3c0a1b2c4 (/usr/bin/qemu-system-x86_64+0x4b2c4)');
    assert.equal(d.function, '??');
    assert.equal(d.library, '/usr/bin/qemu-system-x86_64');
  });

  it('sanitizer frames with file:line:col', () => {
    const f = frameOf('    #0 0x55d3c0a1b2c3 in bdrv_replace_child_noperm /home/dev/qemu/block.c:2949:38');
    assert.equal(f.function, 'bdrv_replace_child_noperm');
    assert.equal(f.file, '/home/dev/qemu/block.c');
    assert.equal(f.line, 2949);
    assert.equal(f.column, 38);
    assert.equal(f.text.slice(f.locationStart, f.locationEnd), '/home/dev/qemu/block.c:2949:38');
  });

  it('odd frames: empty name, ??, signal handler, versioned symbol, no location', () => {
    const empty = frameOf('#10 0x00007fffffffcd60 in  ()');
    assert.equal(empty.function, '');
    assert.equal(empty.text.slice(empty.addressStart, empty.addressEnd), '0x00007fffffffcd60');
    assert.equal(frameOf('#5  0x00007ffff7a5b0e0 in ?? ()').function, '??');
    assert.equal(frameOf('#6  <signal handler called>').function, '<signal handler called>');
    assert.equal(frameOf('#2  <function called from gdb>').function, '<function called from gdb>');
    const v = frameOf('#1  0x00007ffff7c8a1e4 in pthread_mutex_lock@@GLIBC_2.2.5 () from /lib64/libpthread.so.0');
    assert.equal(v.function, 'pthread_mutex_lock@@GLIBC_2.2.5');
    assert.equal(v.library, '/lib64/libpthread.so.0');
  });

  it('inlined frames have no address', () => {
    const f = frameOf('#2  bdrv_child_cb_attach (child=0x555556b1e2a0) at ../block.c:1432');
    assert.equal(f.addressStart, -1);
    assert.equal(f.function, 'bdrv_child_cb_attach');
  });

  it('frames that continue on the next line say how', () => {
    assert.equal(frameOf('#1  0x0000555555d68bcb in bdrv_attach_child_common').open, 'maybe-args');
    assert.equal(frameOf('#1  0x00005555555e80ba in bdrv_attach_child_common (child_bs=0x55555586c790, perm=0, shared_perm=15, ').open, 'args');
    assert.equal(frameOf('#2  0x0000555555d68f74 in bdrv_root_attach_child (child_bs=0x5555578ddc80, errp=0x7ffd3ebf2f38)').open, 'maybe-location');
  });

  it('no frame: `#` lines that are not frames', () => {
    assert.equal(kind('#include "qemu/osdep.h"').kind, 'text');
    assert.equal(kind('#define FOO 1').kind, 'text');
  });
});

describe('argument lists', () => {
  it('splits on top-level commas only, keeping exact offsets', () => {
    const text = 'a=0x5 "x, (y)", b={c = 1, d = 2}, c=<optimized out>, d=0x5555564037c0 <child_root>, bs@entry=0x55, ...';
    const args = splitArgs(text, 0, text.length);
    assert.deepEqual(
      args.map((a) => [a.name, a.value, a.entry]),
      [
        ['a', '0x5 "x, (y)"', false],
        ['b', '{c = 1, d = 2}', false],
        ['c', '<optimized out>', false],
        ['d', '0x5555564037c0 <child_root>', false],
        ['bs', '0x55', true],
        ['', '...', false],
      ],
    );
    for (const a of args) assert.equal(text.slice(a.valueStart, a.valueStart + a.value.length), a.value);
  });

  it('strings with escaped quotes and commas', () => {
    const text = 'filename=0x5555 "/tmp/a\\", b.qcow2", flags=8710';
    const args = splitArgs(text, 0, text.length);
    assert.equal(args.length, 2);
    assert.equal(args[0].value, '0x5555 "/tmp/a\\", b.qcow2"');
    assert.equal(args[1].value, '8710');
  });

  it('findArg finds an argument of a list longer than the scanner has room for, on the first look', () => {
    // (the scan that made room for 70 arguments was read before it ran)
    const text = Array.from({ length: 70 }, (_, i) => `a${i}=${i}`).join(', ');
    assert.equal(findArg(text, 0, text.length, 'a69')?.value, '69');
    const other = Array.from({ length: 150 }, (_, i) => `b${i}=0x${i + 1}`).join(', ');
    assert.equal(findArg(other, 0, other.length, 'b149')?.value, '0x150');
  });

  it('pointerArgs finds the pointers splitArgs and classifyValue find, and nothing else', () => {
    const cases = [
      'a=0x5 "x, (y)", b={c = 1, d = 0x7}, c=<optimized out>, d=0x5555564037c0 <child_root>, bs@entry=0x55, ...',
      'p=0x0, q=0x1f, r=0xg1, s=0x12 junk, t=0x12 "unclosed, u=0x34',
      '0x99, x=0x5 <>, y=0x6 <a b>, 9z=0x7, $ok=0xAbC, w=0x8 "s" tail',
      'bs=0x5555578ddc80, child_name=0x5555560db1d8 "root", child_class=0x5555564037c0 <child_root>, errp=0x7ffd3ebf2f38',
    ];
    for (const text of cases) {
      const expected = splitArgs(text, 0, text.length).flatMap((a) => {
        const v = classifyValue(a.value);
        return v.pointer === undefined || v.pointer === '0x0' ? [] : [{ name: a.name, value: v.pointer, start: a.valueStart }];
      });
      assert.deepEqual(pointerArgs(text, 0, text.length), expected, text);
    }
  });

  it('pointerArgs agrees with splitArgs and classifyValue on every short list of its special characters, inside a longer line', () => {
    const pieces = ['a', 'bs', 'x@entry', '9', '=', '0x', '0x0', '0x5f', 'g', ' ', ',', ', ', '"', "'", '<', '>', '(', ')', '{', '}', '0X1', '$'];
    let seed = 11;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 12) % n;
    for (let k = 0; k < 100_000; k++) {
      let list = '';
      for (let i = random(12); i > 0; i--) list += pieces[random(pieces.length)];
      // the list as it sits in a frame's line, with a comma and a 0x on either side of it
      const text = `#1  0x12 in f, g (${list}) at 0x1.c:1, 0x2`;
      const start = text.indexOf('(') + 1;
      const end = start + list.length;
      const expected = splitArgs(text, start, end).flatMap((a) => {
        const v = classifyValue(a.value);
        return v.pointer === undefined || v.pointer === '0x0' ? [] : [{ name: a.name, value: v.pointer, start: a.valueStart }];
      });
      assert.deepEqual(pointerArgs(text, start, end), expected, JSON.stringify(list));
    }
  });

  it('value kinds', () => {
    assert.deepEqual(classifyValue('0x5555578ddc80'), { kind: 'pointer', pointer: '0x5555578ddc80' });
    assert.deepEqual(classifyValue('0x0'), { kind: 'pointer', pointer: '0x0' });
    assert.deepEqual(classifyValue('0x5555560db1d8 "root"'), { kind: 'string', pointer: '0x5555560db1d8', text: 'root' });
    assert.deepEqual(classifyValue('0x5555564037c0 <child_root>'), { kind: 'symbol', pointer: '0x5555564037c0', symbol: 'child_root' });
    assert.deepEqual(classifyValue('0x5555567dcc58 <error_abort>'), { kind: 'symbol', pointer: '0x5555567dcc58', symbol: 'error_abort' });
    assert.equal(classifyValue('20').kind, 'number');
    assert.equal(classifyValue('-1').kind, 'number');
    assert.equal(classifyValue("97 'a'").kind, 'char');
    assert.equal(classifyValue('true').kind, 'bool');
    assert.equal(classifyValue('NEW_IMAGE_MODE_EXISTING').kind, 'enum');
    assert.equal(classifyValue('(BDRV_O_RDWR | BDRV_O_NO_FLUSH)').kind, 'enum');
    assert.equal(classifyValue('<optimized out>').kind, 'optimized-out');
    assert.equal(classifyValue('{a = 1}').kind, 'struct');
    assert.equal(classifyValue('...').kind, 'elided');
    assert.equal(classifyValue('"abc"').kind, 'string');
  });
});

describe('mail damage', () => {
  it('quote prefixes keep document columns', () => {
    const b = lineBody('> > #1  0x0000555555d68bcb in f () at ../block.c:1');
    assert.equal(b.quoteEnd, 4);
    assert.equal(b.offset, 4);
    const f = frameOf('> #1  0x0000555555d68bcb in bdrv_detach_child (childp=0x7ffd3ebf2ca8) at ../block.c:3118');
    assert.equal(f.text.slice(f.locationStart, f.locationEnd), '../block.c:3118');
    assert.equal(f.locationStart, '> #1  0x0000555555d68bcb in bdrv_detach_child (childp=0x7ffd3ebf2ca8) at '.length);
  });

  it('non-breaking spaces and a leading space read as spaces', () => {
    const f = frameOf(' #3\u00a0 0x0000555555d912af in\u00a0blk_insert_bs (blk=0x555557158250) at ../block/block-backend.c:907');
    assert.equal(f.function, 'blk_insert_bs');
    assert.equal(f.file, '../block/block-backend.c');
  });
});

describe('findClosingParen', () => {
  // the reading it must give, one character at a time: quotes (with backslash escapes) hide what is
  // inside them, brackets and braces nest, a quote that never closes means no end
  function reference(text: string, from: number): number {
    let depth = 0;
    for (let i = from; i < text.length; i++) {
      const ch = text[i];
      if (ch === '"' || ch === "'") {
        let j = i + 1;
        while (j < text.length && text[j] !== ch) j += text[j] === '\\' ? 2 : 1;
        if (j >= text.length) return -1;
        i = j;
      } else if (ch === '(' || ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') depth--;
      else if (ch === ')') {
        if (depth === 0) return i;
        depth--;
      }
    }
    return -1;
  }

  it('finds the parenthesis that closes a list, past strings, characters and nested brackets', () => {
    assert.equal(findClosingParen('f (a=0x1 "x) y", b=\'(\', c={d = (1)}, e=[2]) at x.c:1', 3), 42);
    assert.equal(findClosingParen('(a="unterminated)', 1), -1);
    assert.equal(findClosingParen('(a="\\")") rest', 1), 8);
  });

  it('agrees with a character-by-character reading on every short string of its special characters', () => {
    const alphabet = 'a("\'\\(){}[],= ';
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 12) % n;
    for (let k = 0; k < 100_000; k++) {
      let s = '';
      for (let i = random(20); i > 0; i--) s += alphabet[random(alphabet.length)];
      const from = random(s.length + 2);
      assert.equal(findClosingParen(s, from), reference(s, from), `${JSON.stringify(s)} from ${from}`);
    }
  });
});

describe('a frame whose string argument holds `) at ` or `) from `', () => {
  it('is read to the parenthesis that closes its list, not to the one inside the string', () => {
    const f = frameOf('#0  f (a=0x1 ") at x") at ../b.c:3');
    assert.equal(f.file, '../b.c');
    assert.equal(f.line, 3);
    const g = frameOf('#0  f (a=0x1 ") at x")');
    assert.equal(g.file, null);
    assert.equal(g.library, null);
    const h = frameOf("#1  0x1 in f (c=41 ') at x') from /lib/libc.so.6");
    assert.equal(h.library, '/lib/libc.so.6');
    const args = splitArgs(g.text, g.argsStart, g.argsEnd);
    assert.deepEqual(args.map((a) => a.value), ['0x1 ") at x"']);
  });
});
