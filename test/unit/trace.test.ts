import * as assert from 'node:assert/strict';
import { TraceParser, parseTrace } from '../../src/model/parser';
import { type Frame, type Trace } from '../../src/model/trace';
import { readFixture } from './helpers';

/** A hit of QEMU 7.1's breakpoint as the older gdb printed it (argument lists moved to the next line). */
const HIT_71 = [
  'Thread 1 "qemu-system-x86" hit Breakpoint 1, bdrv_replace_child_noperm (childp=0x7ffd3ebf2b78, new_bs=0x5555578ddc80, free_empty_child=true) at ../block.c:2843',
  '2843\t    BdrvChild *child = *childp;',
  '(gdb) bt',
  '#0  bdrv_replace_child_noperm (childp=0x7ffd3ebf2b78, new_bs=0x5555578ddc80, free_empty_child=true) at ../block.c:2843',
  '#1  0x0000555555d68bcb in bdrv_attach_child_common',
  '    (child_bs=0x5555578ddc80, child_name=0x5555560db1d8 "root", child_class=0x5555564037c0 <child_root>, child_role=20, perm=10, shared_perm=15, opaque=0x555557158250, child=0x7ffd3ebf2c98, tran=0x555557347940, errp=0x7ffd3ebf2f38) at ../block.c:3055',
  '#2  0x0000555555d68f74 in bdrv_root_attach_child',
  '    (child_bs=0x5555578ddc80, child_name=0x5555560db1d8 "root", child_class=0x5555564037c0 <child_root>, child_role=20, perm=10, shared_perm=15, opaque=0x555557158250, errp=0x7ffd3ebf2f38)',
  '    at ../block.c:3159',
  '#3  0x0000555555d912af in blk_insert_bs (blk=0x555557158250, bs=0x5555578ddc80, errp=0x7ffd3ebf2f38) at ../block/block-backend.c:907',
  '#4  0x0000555555f09ab8 in coroutine_trampoline (i0=1466004512, i1=21845) at ../util/coroutine-ucontext.c:177',
  '#5  0x00007ffff5043190 in __start_context () at /lib64/libc.so.6',
  '#6  0x00007fffffffcd60 in  ()',
  '#7  0x0000000000000000 in  ()',
  '(gdb) c',
  'Continuing.',
];

/** A hit of QEMU 10.2's breakpoint as gdb 13 printed it (wrapped in the middle of the argument list). */
const HIT_102 = [
  'Thread 1 "qemu-storage-da" hit Breakpoint 1, bdrv_replace_child_noperm (child=0x555555869390, new_bs=0x55555586c790) at ../block.c:2949',
  '2949\t    BlockDriverState *old_bs = child->bs;',
  '(gdb) bt',
  '#0  bdrv_replace_child_noperm (child=0x555555869390, new_bs=0x55555586c790) at ../block.c:2949',
  '#1  0x00005555555e80ba in bdrv_attach_child_common (child_bs=0x55555586c790, child_name=0x55555576d79f "root", child_class=0x5555557f6200 <child_root>, child_role=20, perm=0, shared_perm=15, ',
  '    opaque=0x55555587abd0, tran=0x55555587ab90, errp=0x7fffffffdd58) at ../block.c:3179',
  '#2  0x00005555555ea3a5 in bdrv_open_inherit (filename=0x0, reference=0x0, options=0x555555879a70, flags=8194, parent=0x0, child_class=0x0, child_role=0, parse_filename=true, errp=0x7fffffffe028)',
  '    at ../block.c:4148',
  '#3  0x00007ffff7dd1789 in g_main_context_dispatch () from /lib/x86_64-linux-gnu/libglib-2.0.so.0',
  '#4  0x00005555556bcadb in main (argc=5, argv=0x7fffffffe3e8) at ../storage-daemon/qemu-storage-daemon.c:434',
  '(gdb) c',
  'Continuing.',
];

function log(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

describe('TraceParser: hits and their backtraces', () => {
  it('reads a hit: header, thread, breakpoint, stop location, source echo, backtrace', () => {
    const t = parseTrace(log('', ...HIT_71));
    assert.equal(t.hits.length, 1);
    const h = t.hits[0];
    assert.equal(h.index, 1);
    assert.equal(h.line, 1);
    assert.deepEqual(h.thread, { number: 1, name: 'qemu-system-x86' });
    assert.equal(h.breakpoint, 1);
    assert.equal(h.stop?.function, 'bdrv_replace_child_noperm');
    assert.deepEqual([h.stop?.file, h.stop?.line], ['../block.c', 2843]);
    assert.deepEqual(
      h.stop?.args.map((a) => [a.name, a.value, a.kind]),
      [
        ['childp', '0x7ffd3ebf2b78', 'pointer'],
        ['new_bs', '0x5555578ddc80', 'pointer'],
        ['free_empty_child', 'true', 'bool'],
      ],
    );
    assert.deepEqual(h.source, { number: 2843, text: '    BdrvChild *child = *childp;', range: { line: 2, start: 5, end: 36 } });
    assert.deepEqual(
      h.frames.map((f) => f.level),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(h.endLine, 16);
    assert.deepEqual(t.diagnostics, []);
  });

  it('joins argument lists moved to the next line and `at file:line` alone on a line', () => {
    const h = parseTrace(log(...HIT_71)).hits[0];
    const f1 = h.frames[1];
    assert.equal(f1.function, 'bdrv_attach_child_common');
    assert.equal(f1.args.length, 10);
    assert.equal(f1.arg('child_name')?.text, 'root');
    assert.equal(f1.arg('child_class')?.symbol, 'child_root');
    assert.deepEqual([f1.file, f1.line], ['../block.c', 3055]);
    const f2 = h.frames[2];
    assert.deepEqual([f2.file, f2.line, f2.args.length], ['../block.c', 3159, 8]);
    assert.deepEqual(f2.range, { startLine: 6, startCol: 0, endLine: 8, endCol: HIT_71[8].length });
    assert.deepEqual(f2.locationRange, { line: 8, start: HIT_71[8].indexOf('../block.c'), end: HIT_71[8].length });
  });

  it('joins gdb 13 frames wrapped in the middle of the argument list', () => {
    const h = parseTrace(log(...HIT_102)).hits[0];
    assert.equal(h.frames.length, 5);
    const f1 = h.frames[1];
    assert.deepEqual(
      f1.args.map((a) => a.name),
      ['child_bs', 'child_name', 'child_class', 'child_role', 'perm', 'shared_perm', 'opaque', 'tran', 'errp'],
    );
    // the pointer on the continuation line maps back to the continuation line
    const opaque = f1.arg('opaque')!;
    assert.deepEqual(opaque.valueRange, { line: 5, start: 11, end: 25 });
    assert.equal(HIT_102[5].slice(11, 25), '0x55555587abd0');
    assert.deepEqual(f1.locationRange, { line: 5, start: HIT_102[5].indexOf('../block.c:3179'), end: HIT_102[5].length });
    assert.equal(h.frames[3].library, '/lib/x86_64-linux-gnu/libglib-2.0.so.0');
  });

  it('gives exact ranges for the frame, its function, its file:line and every pointer', () => {
    const lines = HIT_71;
    const f3 = parseTrace(log(...lines)).hits[0].frames[3];
    const text = lines[9];
    assert.deepEqual(f3.range, { startLine: 9, startCol: 0, endLine: 9, endCol: text.length });
    assert.deepEqual(f3.functionRange, { line: 9, start: text.indexOf('blk_insert_bs'), end: text.indexOf('blk_insert_bs') + 13 });
    assert.deepEqual(f3.locationRange, { line: 9, start: text.indexOf('../block/'), end: text.length });
    assert.deepEqual(
      f3.pointers.map((p) => [p.arg, p.value, text.slice(p.range.start, p.range.end)]),
      [
        ['blk', '0x555557158250', '0x555557158250'],
        ['bs', '0x5555578ddc80', '0x5555578ddc80'],
        ['errp', '0x7ffd3ebf2f38', '0x7ffd3ebf2f38'],
      ],
    );
    assert.deepEqual(f3.addressRange, { line: 9, start: 4, end: 22 });
  });

  it('reads continuation lines indented by 5 spaces and by a mail client', () => {
    const wrapped = ['#1  0x0000555555d68bcb in bdrv_attach_child_common', '     (child_bs=0x5555578ddc80, perm=10) at ../block.c:3055'];
    const t = parseTrace(log('Breakpoint 1, f () at a.c:1', '(gdb) bt', '#0  f () at a.c:1', ...wrapped));
    assert.equal(t.hits[0].frames[1].args.length, 2);
    assert.equal(t.hits[0].frames[1].line, 3055);
    const at = wrapped[1].indexOf('perm=10') + 5;
    assert.deepEqual(t.hits[0].frames[1].arg('perm')?.valueRange, { line: 4, start: at, end: at + 2 });
  });

  it('reads hits without a Thread prefix, watchpoints, and bt full locals', () => {
    const t = parseTrace(
      log(
        'Breakpoint 2, bdrv_unref (bs=0x555556a7ae40) at ../block.c:6919',
        '6919\t    if (!bs) {',
        '(gdb) bt full',
        '#0  bdrv_unref (bs=0x555556a7ae40) at ../block.c:6919',
        '        No locals.',
        '#1  0x0000555555d6918e in bdrv_root_unref_child (child=0x555557573e70) at ../block.c:3231',
        '        child_bs = 0x555556a7ae40',
        '        __func__ = "bdrv_root_unref_child"',
        '#2  0x0000555555821124 in main (argc=30, argv=0x7fffffffdd98) at ../softmmu/main.c:47',
        '(gdb) c',
        '',
        'Thread 1 "qemu-system-x86" hit Hardware watchpoint 3: bs->refcnt',
        '',
        'Old value = 1',
        'New value = 2',
        'bdrv_ref (bs=0x555556a7ae40) at ../block.c:7000',
        '7000\t}',
        '(gdb) bt',
        '#0  bdrv_ref (bs=0x555556a7ae40) at ../block.c:7000',
        '#1  0x0000555555821124 in main (argc=30, argv=0x7fffffffdd98) at ../softmmu/main.c:47',
      ),
    );
    assert.equal(t.hits.length, 2);
    assert.equal(t.hits[0].thread, null);
    assert.equal(t.hits[0].breakpoint, 2);
    assert.equal(t.hits[0].frames.length, 3);
    const w = t.hits[1];
    assert.equal(w.kind, 'watchpoint');
    assert.deepEqual(w.watch, { expression: 'bs->refcnt', old: '1', new: '2' });
    assert.equal(w.stop?.function, 'bdrv_ref');
    assert.equal(w.source?.number, 7000);
    assert.equal(w.frames.length, 2);
    assert.deepEqual(t.diagnostics, []);
  });

  it('keeps inlined frames (no address) and @entry values', () => {
    const t = parseTrace(
      log(
        'Breakpoint 1, bdrv_replace_child_noperm (child=0x1, new_bs=0x0) at ../block.c:2949',
        '(gdb) bt',
        '#0  bdrv_replace_child_noperm (child=0x555555869390, new_bs=0x0) at ../block.c:2949',
        '#1  bdrv_detach_child (child=<optimized out>) at ../block.c:3118',
        '#2  0x00005555555e3afa in bdrv_root_unref_child (child=child@entry=0x555555872090) at ../block.c:3230',
      ),
    );
    const [, f1, f2] = t.hits[0].frames;
    assert.equal(f1.inlined, true);
    assert.equal(f1.args[0].kind, 'optimized-out');
    assert.equal(f2.inlined, false);
    assert.deepEqual(f2.args.map((a) => [a.name, a.value, a.entry]), [['child', 'child@entry=0x555555872090', false]]);
    const f2b = parseTrace(log('#2  0x00005555555e3afa in bdrv_root_unref_child (child@entry=0x555555872090) at ../block.c:3230')).backtraces[0].frames[0];
    assert.deepEqual(f2b.args.map((a) => [a.name, a.value, a.entry]), [['child', '0x555555872090', true]]);
    assert.equal(f2b.arg('child')?.pointer, '0x555555872090');
  });
});

describe('TraceParser: free-standing backtraces', () => {
  it('thread apply all bt gives one backtrace per thread, with thread names', () => {
    const t = parseTrace(
      log(
        ...HIT_102.slice(0, 4),
        '(gdb) thread apply all bt',
        '',
        'Thread 3 (Thread 0x7ffff71f96c0 (LWP 7128) "qemu-storage-da"):',
        '#0  0x00007ffff7b1e7fd in syscall () from /lib/x86_64-linux-gnu/libc.so.6',
        '#1  0x0000555555739e5a in qemu_event_wait (ev=0x5555557f9a08 <rcu_call_ready_event>) at ../util/qemu-thread-posix.c:481',
        '',
        'Thread 1 (Thread 0x7ffff7afc940 (LWP 7126)):',
        '#0  bdrv_replace_child_noperm (child=0x555555869390, new_bs=0x55555586c790) at ../block.c:2949',
        '#1  0x00005555556bcadb in main (argc=5, argv=0x7fffffffe3e8) at ../storage-daemon/qemu-storage-daemon.c:434',
      ),
    );
    assert.equal(t.hits.length, 1);
    assert.equal(t.hits[0].frames.length, 1, 'the hit keeps only its own bt');
    assert.equal(t.backtraces.length, 2);
    assert.deepEqual(
      t.backtraces.map((b) => [b.kind, b.thread, b.frames.length, b.hit]),
      [
        ['thread', { number: 3, name: 'qemu-storage-da' }, 2, 1],
        ['thread', { number: 1, name: null }, 2, 1],
      ],
    );
  });

  it('a sanitizer report gives one backtrace per section', () => {
    const t = parseTrace(
      log(
        '==12345==ERROR: AddressSanitizer: heap-use-after-free on address 0x6120000a1b48 at pc 0x55d3c0a1b2c3',
        'READ of size 8 at 0x6120000a1b48 thread T0',
        '    #0 0x55d3c0a1b2c3 in bdrv_replace_child_noperm /home/dev/qemu/block.c:2949:38',
        '    #1 0x55d3c0a1c000 in bdrv_detach_child /home/dev/qemu/block.c:3118:5',
        '',
        'freed by thread T0 here:',
        '    #0 0x7f2c5e8b4537 in __interceptor_free (/lib/x86_64-linux-gnu/libasan.so.6+0xb4537)',
        '    #1 0x55d3c0a1d111 in bdrv_delete /home/dev/qemu/block.c:5404:5',
      ),
    );
    assert.equal(t.hits.length, 0);
    assert.deepEqual(
      t.backtraces.map((b) => [b.kind, b.title, b.frames.map((f) => f.function)]),
      [
        ['sanitizer', 'READ of size 8 at 0x6120000a1b48 thread T0', ['bdrv_replace_child_noperm', 'bdrv_detach_child']],
        ['sanitizer', 'freed by thread T0 here:', ['__interceptor_free', 'bdrv_delete']],
      ],
    );
    assert.deepEqual([t.backtraces[0].frames[0].line, t.backtraces[0].frames[0].column], [2949, 38]);
  });

  it('a pasted crash with no hit is an orphan backtrace', () => {
    const t = parseTrace(log('Program terminated with signal SIGSEGV, Segmentation fault.', '#0  0x0000555555d68bcb in bdrv_unref (bs=0x0) at ../block.c:6919', '#1  ?? ()'));
    assert.deepEqual(
      t.backtraces.map((b) => [b.kind, b.frames.length]),
      [['orphan', 2]],
    );
    assert.equal(t.backtraces[0].frames[1].function, '??');
  });
});

describe('TraceParser: bad input degrades, never throws', () => {
  it('a truncated last hit keeps its frames and says where the log ends', () => {
    const cut = HIT_102.slice(0, 5).join('\n'); // ends inside frame #1's argument list, no newline
    const t = parseTrace(cut);
    assert.equal(t.hits.length, 1);
    assert.equal(t.hits[0].frames.length, 2);
    assert.equal(t.hits[0].frames[1].function, 'bdrv_attach_child_common');
    assert.deepEqual(
      t.diagnostics.map((d) => [d.code, d.count, d.lines]),
      [
        ['truncated-frame', 1, [4]],
        ['truncated-hit', 1, [0]],
      ],
    );
  });

  it('a hit whose bt was asked for but never printed is reported', () => {
    const t = parseTrace(log(HIT_102[0], HIT_102[1], '(gdb) bt'));
    assert.equal(t.hits.length, 1);
    assert.deepEqual(
      t.diagnostics.map((d) => d.code),
      ['truncated-hit'],
    );
  });

  it('CRLF line ends, quote prefixes and non-breaking spaces read the same', () => {
    const plain = parseTrace(log(...HIT_71));
    const crlf = parseTrace(`${HIT_71.join('\r\n')}\r\n`);
    const quoted = parseTrace(log(...HIT_71.map((l) => `> ${l}`)));
    const nbsp = parseTrace(log(...HIT_71.map((l) => l.replace(/ {2}/g, ' \u00a0'))));
    for (const t of [crlf, quoted, nbsp]) {
      assert.equal(t.hits.length, 1);
      assert.deepEqual(
        t.hits[0].frames.map((f) => [f.level, f.function, f.file, f.line, f.args.length]),
        plain.hits[0].frames.map((f) => [f.level, f.function, f.file, f.line, f.args.length]),
      );
      assert.deepEqual(t.diagnostics, []);
    }
    // quoted: ranges are shifted by the prefix, still pointing at the same text
    const f3 = quoted.hits[0].frames[3];
    assert.equal(`> ${HIT_71[9]}`.slice(f3.locationRange!.start, f3.locationRange!.end), '../block/block-backend.c:907');
  });

  it('unparseable frame lines, binary lines and enormous lines are counted, the rest still parses', () => {
    const t = parseTrace(
      log(
        '#3 garbage without anything frame-like (',
        '\u0000\u0001\u0002binary\u0003',
        'x'.repeat(200_000),
        ...HIT_102,
      ),
    );
    assert.equal(t.hits.length, 1);
    assert.equal(t.hits[0].frames.length, 5);
    const byCode = Object.fromEntries(t.diagnostics.map((d) => [d.code, d.lines]));
    assert.deepEqual(byCode['binary'], [1]);
    assert.deepEqual(byCode['long-line'], [2]);
    assert.ok(t.diagnostics.every((d) => d.message.length > 10));
  });

  it('nothing recognisable: empty lists and one diagnostic', () => {
    for (const text of ['', 'hello\nworld\n', '\n\n\n']) {
      const t = parseTrace(text);
      assert.deepEqual([t.hits, t.backtraces, t.commands], [[], [], []]);
      assert.deepEqual(
        t.diagnostics.map((d) => d.code),
        ['nothing-recognised'],
      );
    }
  });

  it('random bytes never throw', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = '#0123456789 ()=,"\'<>{}x\t\r\nabcdef.:/@-_QEMUgdb\u00a0>';
    const sample = readFixture('traces/snapshot-commit-complete.log');
    for (let n = 0; n < 200; n++) {
      let s = '';
      const len = Math.floor(rnd() * 400);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      // also splice random damage into a real log
      const at = Math.floor(rnd() * sample.length);
      const damaged = sample.slice(0, at) + s + sample.slice(at + Math.floor(rnd() * 300));
      for (const text of [s, damaged]) {
        const t = parseTrace(text);
        for (const h of t.hits) for (const f of h.frames) void f.args;
      }
    }
  });
});

describe('TraceParser: streaming', () => {
  const sample = readFixture('traces/v10.2.0-failures.log');
  const whole = parseTrace(sample);

  function shape(t: Trace) {
    return {
      hits: t.hits.map((h) => [h.line, h.endLine, h.command, h.stop?.function, h.frames.map((f) => [f.level, f.function, f.file, f.line, f.args.length, f.range])]),
      commands: t.commands.map((c) => [c.name, c.line, c.hits]),
      diagnostics: t.diagnostics,
      lines: t.lineCount,
    };
  }

  it('gives the same trace whatever the chunk boundaries', () => {
    const expected = shape(whole);
    for (const size of [1, 7, 64, 1000, 65536]) {
      const p = new TraceParser();
      for (let i = 0; i < sample.length; i += size) p.push(sample.slice(i, i + size));
      assert.deepEqual(shape(p.end()), expected, `chunks of ${size}`);
    }
  });

  it('handles a CRLF pair split across chunks', () => {
    const crlf = sample.replace(/\n/g, '\r\n');
    const p = new TraceParser();
    for (let i = 0; i < crlf.length; i += 2) p.push(crlf.slice(i, i + 2)); // splits between \r and \n often
    const t = p.end();
    assert.equal(t.lineCount, whole.lineCount);
    assert.deepEqual(shape(t).hits, shape(whole).hits);
  });
});

/** Everything the parser makes of a log, frames and arguments read, as plain data to compare. */
function fullShape(t: Trace) {
  const frame = (f: Frame) => [f.level, f.function, f.file, f.line, f.logLine, f.range, f.args.map((a) => [a.name, a.value, a.nameRange, a.valueRange])];
  return {
    hits: t.hits.map((h) => ({
      at: [h.index, h.line, h.endLine, h.thread, h.breakpoint, h.kind, h.temporary, h.command, h.job],
      stop: h.stop && frame(h.stop),
      source: h.source,
      watch: h.watch,
      bt: h.backtrace && [h.backtrace.firstLine, h.backtrace.lastLine, h.backtrace.text],
      frames: h.frames.map(frame),
    })),
    backtraces: t.backtraces.map((b) => [b.kind, b.title, b.thread, b.hit, b.line, b.endLine, b.frames.map(frame)]),
    commands: t.commands.map((c) => [c.name, c.origin, c.line, c.text, c.arguments, c.reply, c.hits, c.inferredFrom]),
    breakpoints: t.breakpoints,
    jobs: [...t.jobs],
    diagnostics: t.diagnostics,
    lines: t.lineCount,
  };
}

/**
 * A log with every kind of line and every way of splitting it: two real traces (one with CRLF line
 * ends), the mail-damaged paste (NBSP, `Â`), a multi-line JSON command, a transaction, and UTF-8 of
 * two, three and four bytes in file names.
 */
function mixedLog(): Buffer {
  const crlf = readFixture('traces/v7.2.0-preexisting.log').split('\n').slice(0, 120).join('\r\n');
  const text = [
    readFixture('mail/mojibake-threads.txt'),
    '(QEMU) blockdev-add driver=file node-name=f\u00fc filename=/tmp/\u00fcber-\u20ac-\ud83d\udcbe.img',
    '{"return": {}}',
    '{',
    '  "execute": "blockdev-del",',
    '  "arguments": {"node-name": "f\u00fc"}',
    '}',
    '(QEMU) transaction(',
    'TRANS> blockdev-snapshot node=a overlay=b',
    'TRANS> )',
    crlf,
    '',
  ].join('\n');
  return Buffer.from(text, 'utf8');
}

describe('TraceParser: bytes in chunks of every size, and a log that grows', () => {
  const bytes = mixedLog();
  const whole = fullShape(parseTrace(bytes.toString('utf8')));

  it('the mixed log is what it says: CRLF, NBSP, 2-, 3- and 4-byte characters', () => {
    const text = bytes.toString('utf8');
    for (const s of ['\r\n', '\u00a0', '\u00fc', '\u20ac', '\ud83d\udcbe']) assert.ok(text.includes(s), JSON.stringify(s));
    assert.ok(whole.hits.length >= 5 && whole.backtraces.length >= 2 && whole.commands.length >= 4, JSON.stringify([whole.hits.length, whole.backtraces.length, whole.commands.length]));
  });

  it('gives the same trace for chunks of every size from 1 byte to 64 KB', function () {
    this.timeout(120_000);
    // sizes at or above the log's length are all one chunk: the log is tested whole for them
    const sizes = Math.min(65536, bytes.length);
    const cheap = (t: Trace) => [t.lineCount, t.hits.map((h) => [h.line, h.endLine, h.command, h.backtrace?.text]), t.commands.map((c) => [c.name, c.line, c.hits]), t.diagnostics];
    const cheapWhole = cheap(parseTrace(bytes.toString('utf8')));
    for (let size = 1; size <= sizes; size++) {
      const p = new TraceParser();
      for (let i = 0; i < bytes.length; i += size) p.pushBytes(bytes.subarray(i, i + size));
      const t = p.end();
      // the cheap parts for every size; everything, frames and arguments included, for some
      if (size <= 64 || size % 97 === 0 || size === sizes) assert.deepEqual(fullShape(t), whole, `chunks of ${size} bytes`);
      else assert.deepEqual(cheap(t), cheapWhole, `chunks of ${size} bytes`);
    }
  });

  it('a snapshot is the trace of what was pushed, and pushing the tail after it gives the whole log', function () {
    this.timeout(60_000);
    const text = bytes.toString('latin1');
    const cuts = new Set<number>();
    // at line boundaries, and inside lines, characters and CRLF pairs
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) for (const d of [-2, -1, 0, 1, 5]) if (i + d > 0 && i + d < bytes.length) cuts.add(i + d);
    for (const ch of ['\u00fc', '\u20ac', '\ud83d\udcbe']) {
      const at = bytes.indexOf(Buffer.from(ch, 'utf8'));
      for (let k = 1; k < Buffer.byteLength(ch); k++) cuts.add(at + k);
    }
    let checked = 0;
    for (const cut of [...cuts].filter((c, i) => i % 3 === 0 || c > bytes.indexOf(Buffer.from('(QEMU) blockdev-add driver=file')) - 10)) {
      const p = new TraceParser();
      p.pushBytes(bytes.subarray(0, cut));
      const before = p.snapshot();
      // the snapshot is what a log cut at `cut` gives (a cut inside a character shows it replaced)
      const prefix = new TraceParser();
      prefix.pushBytes(bytes.subarray(0, cut));
      assert.deepEqual(fullShape(before), fullShape(prefix.end()), `snapshot at byte ${cut}`);
      p.pushBytes(bytes.subarray(cut));
      assert.deepEqual(fullShape(p.end()), whole, `appended after byte ${cut}`);
      checked++;
    }
    assert.ok(checked > 100, String(checked));
  });

  it('snapshots taken one after another as a log is written agree with it at each point', () => {
    const p = new TraceParser();
    const step = 4093;
    for (let i = 0; i < bytes.length; i += step) {
      p.pushBytes(bytes.subarray(i, i + step));
      const expected = new TraceParser();
      expected.pushBytes(bytes.subarray(0, i + step));
      assert.deepEqual(fullShape(p.snapshot()), fullShape(expected.end()), `after ${Math.min(bytes.length, i + step)} bytes`);
    }
    assert.deepEqual(fullShape(p.end()), whole);
  });
});

describe('TraceParser: a damaged real log (fixtures/malformed/damaged.gdb.log)', () => {
  const text = readFixture('malformed/damaged.gdb.log');

  it('keeps every good hit and command, and says what was not understood, with lines', () => {
    const t = parseTrace(text);
    assert.equal(t.hits.length, 26);
    assert.deepEqual(
      t.commands.map((c) => [c.name, c.hits.length]),
      [
        ['blockdev-snapshot-sync', 19],
        ['block-commit', 6],
        ['block-job-complete', 1],
      ],
    );
    // found while reading the structure
    assert.deepEqual(
      t.diagnostics.map((d) => [d.code, d.lines.map((l) => l + 1)]),
      [
        ['binary', [101]],
        ['truncated-frame', [693]],
        ['truncated-hit', [688]],
      ],
    );
    // found when the backtraces are read
    for (const h of t.hits) void h.frames;
    assert.deepEqual(
      t.diagnostics.map((d) => d.code),
      ['binary', 'truncated-frame', 'truncated-hit', 'unparsed-frame'],
    );
    assert.deepEqual(t.diagnostics[3].lines, [56]);
    // the mangled frame is skipped; its neighbours are read
    assert.deepEqual(
      t.hits[2].frames.map((f) => f.level),
      [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13],
    );
    // the cut-off last frame is kept, marked incomplete
    const last = t.hits[25].frames[t.hits[25].frames.length - 1];
    assert.deepEqual([last.level, last.function, last.incomplete], [2, 'bdrv_root_unre', true]);
  });

  it('a frame whose function name is debris is not a frame', () => {
    const t = parseTrace('#5  )))((( mangled\n');
    assert.deepEqual(t.backtraces, []);
    assert.deepEqual(
      t.diagnostics.map((d) => d.code),
      ['unparsed-frame', 'nothing-recognised'],
    );
  });
});
