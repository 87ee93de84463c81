import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { ROOT } from './helpers';

const GRAMMAR = path.join(ROOT, 'syntaxes', 'gdb-trace.tmLanguage.json');

let grammar: textmate.IGrammar;

before(async () => {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s) => new oniguruma.OnigScanner(s), createOnigString: (s) => new oniguruma.OnigString(s) }),
    // source.c and source.json are VS Code's own; stand-ins here, since the embedding is what is checked
    loadGrammar: async (scope) => {
      if (scope === 'source.gdb-trace') return textmate.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR);
      if (scope === 'source.c' || scope === 'source.json') return textmate.parseRawGrammar(JSON.stringify({ scopeName: scope, patterns: [] }), `${scope}.json`);
      return null;
    },
  });
  grammar = (await registry.loadGrammar('source.gdb-trace'))!;
});

/** Tokenize lines in order (state carries over, as in the editor); returns a lookup by text. */
function tokenize(...lines: string[]) {
  let state = textmate.INITIAL;
  const out: { line: number; text: string; scopes: string[] }[] = [];
  lines.forEach((line, i) => {
    const r = grammar.tokenizeLine(line, state);
    for (const t of r.tokens) out.push({ line: i, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    state = r.ruleStack;
  });
  /** Scopes of the token holding the first character of `needle` (on line `line`). */
  const at = (needle: string, line = 0): string[] => {
    const text = lines[line];
    const col = text.indexOf(needle);
    assert.ok(col >= 0, `"${needle}" is on line ${line}`);
    let pos = 0;
    for (const t of out.filter((x) => x.line === line)) {
      if (col < pos + t.text.length) return t.scopes;
      pos += t.text.length;
    }
    throw new Error(`no token at ${needle}`);
  };
  return { at, tokens: out };
}

function has(scopes: string[], scope: string): void {
  assert.ok(
    scopes.some((s) => s === scope || s.startsWith(`${scope}.`)),
    `expected ${scope} in [${scopes.join(', ')}]`,
  );
}

describe('gdb-trace grammar (every line kind of design.md §2, from the real traces)', () => {
  it('hit header: thread, name, breakpoint number, function, arguments, location', () => {
    const { at } = tokenize(
      'Thread 1 "qemu-system-x86" hit Breakpoint 1, bdrv_replace_child_noperm (childp=0x7ffd3ebf2b78, new_bs=0x5555578ddc80, free_empty_child=true) at ../block.c:2843',
    );
    has(at('Thread'), 'meta.hit.header.gdb-trace');
    has(at('Thread'), 'keyword.other.thread');
    has(at('"qemu-system-x86"'), 'string.quoted.double.thread-name');
    has(at('Breakpoint'), 'keyword.control.breakpoint');
    has(at('1,'), 'constant.numeric.integer.breakpoint');
    has(at('bdrv_replace_child_noperm'), 'entity.name.function');
    has(at('childp'), 'variable.parameter');
    has(at('0x5555578ddc80'), 'constant.numeric.hex.pointer');
    has(at('true'), 'constant.language.boolean');
    has(at('../block.c:2843'), 'markup.underline.link.source-location');
  });

  it('hit header without Thread, with a stop address; watchpoints and their values', () => {
    const { at } = tokenize('Breakpoint 2, 0x0000555555d68bcb in bdrv_attach_child_common (child_bs=0x5555578ddc80) at ../block.c:3055', 'Old value = 1');
    has(at('Breakpoint'), 'keyword.control.breakpoint');
    has(at('0x0000555555d68bcb'), 'constant.numeric.hex.address');
    has(at('bdrv_attach_child_common'), 'entity.name.function');
    has(at('Old value', 1), 'keyword.other.watch-value');
    has(at('1', 1), 'constant.numeric.integer');
    const w = tokenize('Thread 1 "qemu-system-x86" hit Hardware watchpoint 3: bs->refcnt');
    has(w.at('Hardware watchpoint'), 'keyword.control.breakpoint');
  });

  it('source echo: the line number, then C embedded', () => {
    const { at } = tokenize('2843\t    BdrvChild *child = *childp;');
    has(at('2843'), 'constant.numeric.integer.line-number');
    has(at('BdrvChild'), 'meta.embedded.line.c');
  });

  it('gdb prompt and command', () => {
    const { at } = tokenize('(gdb) thr a a bt');
    has(at('(gdb)'), 'keyword.other.prompt.gdb');
    has(at('thr a a bt'), 'support.function.gdb-command');
  });

  it('frame: number, address, function, argument names, pointers, strings, symbols, numbers, location', () => {
    const { at } = tokenize(
      '#1  0x00005555555e80ba in bdrv_attach_child_common (child_bs=0x55555586c790, child_name=0x55555576d79f "root", child_class=0x5555557f6200 <child_root>, child_role=20, perm=0, shared_perm=15, ',
      '    opaque=0x55555587abd0, tran=0x55555587ab90, errp=0x7fffffffdd58) at ../block.c:3179',
    );
    has(at('#1'), 'meta.frame.gdb-trace');
    has(at('1  0x'), 'constant.numeric.integer.frame');
    has(at('0x00005555555e80ba'), 'constant.numeric.hex.address');
    has(at(' in ').length ? at('in bdrv') : [], 'keyword.other.in');
    has(at('bdrv_attach_child_common'), 'entity.name.function');
    has(at('child_bs'), 'variable.parameter');
    has(at('0x55555586c790'), 'constant.numeric.hex.pointer');
    has(at('"root"'), 'string.quoted.double');
    has(at('child_root'), 'entity.name.label.symbol');
    has(at('20,'), 'constant.numeric.integer');
    // gdb 13 wrapped the argument list: the continuation is still arguments, then the location
    has(at('opaque', 1), 'variable.parameter');
    has(at('0x55555587abd0', 1), 'constant.numeric.hex.pointer');
    has(at('../block.c:3179', 1), 'markup.underline.link.source-location');
  });

  it('older gdb: the argument list and `at file:line` on lines of their own', () => {
    const { at } = tokenize(
      '#2  0x0000555555d68f74 in bdrv_root_attach_child',
      '    (child_bs=0x5555578ddc80, child_name=0x5555560db1d8 "root", perm=10, opaque=0x555557158250, errp=0x7ffd3ebf2f38)',
      '    at ../block.c:3159',
    );
    has(at('bdrv_root_attach_child'), 'entity.name.function');
    has(at('child_bs', 1), 'variable.parameter');
    has(at('0x555557158250', 1), 'constant.numeric.hex.pointer');
    has(at('../block.c:3159', 2), 'markup.underline.link.source-location');
  });

  it('library frames, odd frames, optimized out, @entry, enums, null', () => {
    const { at } = tokenize(
      '#14 0x00007ffff7dd1789 in g_main_context_dispatch () from /lib/x86_64-linux-gnu/libglib-2.0.so.0',
      '#9  0x00007ffff5043190 in __start_context () at /lib64/libc.so.6',
      '#5  0x00007ffff7a5b0e0 in ?? ()',
      '#1  bdrv_detach_child (child=<optimized out>) at ../block.c:3118',
      '#2  0x00005555555e3afa in bdrv_root_unref_child (child@entry=0x555555872090, mode=NEW_IMAGE_MODE_EXISTING, filename=0x0) at ../block.c:3230',
    );
    has(at('from'), 'keyword.other.from');
    has(at('/lib/x86_64-linux-gnu/libglib-2.0.so.0'), 'string.unquoted.library');
    has(at('/lib64/libc.so.6', 1), 'string.unquoted.library');
    has(at('??', 2), 'entity.name.function');
    has(at('<optimized out>', 3), 'comment.block.optimized-out');
    has(at('@entry', 4), 'storage.modifier.entry');
    has(at('NEW_IMAGE_MODE_EXISTING', 4), 'constant.other.enum');
    has(at('0x0)', 4), 'constant.language.null');
  });

  it('sanitizer frames', () => {
    const { at } = tokenize(
      '    #0 0x55d3c0a1b2c3 in bdrv_replace_child_noperm /home/dev/qemu/block.c:2949:38',
      '    #3 0x7f2c5e429d8f in __libc_start_call_main (/lib/x86_64-linux-gnu/libc.so.6+0x29d8f)',
      '==12345==ERROR: AddressSanitizer: heap-use-after-free on address 0x6120000a1b48',
    );
    has(at('bdrv_replace_child_noperm'), 'entity.name.function');
    has(at('/home/dev/qemu/block.c:2949:38'), 'markup.underline.link.source-location');
    has(at('/lib/x86_64-linux-gnu/libc.so.6', 1), 'string.unquoted.library');
    has(at('==12345==', 2), 'invalid.illegal.sanitizer');
  });

  it('thread headers with and without names; thread events', () => {
    const { at } = tokenize(
      'Thread 3 (Thread 0x7f3bbd87b700 (LWP 135952) "qemu-system-x86"):',
      'Thread 1 (Thread 0x7ffff7afc940 (LWP 6716)):',
      '[New Thread 0x7fffeeef2700 (LWP 30297)]',
    );
    has(at('Thread 3'), 'meta.thread-header');
    has(at('"qemu-system-x86"'), 'string.quoted.double.thread-name');
    has(at('0x7ffff7afc940', 1), 'constant.numeric.hex.address');
    has(at('[New Thread', 2), 'comment.line.thread-event');
  });

  it('qmp-shell commands with key=value pairs, transactions', () => {
    const { at } = tokenize(
      '(QEMU) blockdev-add driver=qcow2 node-name=x0 file.driver=file backing=null size=1024',
      '(QEMU) transaction(',
      'TRANS> blockdev-snapshot-sync node-name=d0 snapshot-file=/tmp/s0.qcow2',
      'TRANS> )',
    );
    has(at('(QEMU)'), 'keyword.other.prompt.qmp-shell');
    has(at('blockdev-add'), 'entity.name.function.qmp-command');
    has(at('node-name'), 'variable.parameter.qmp-key');
    has(at('file.driver'), 'variable.parameter.qmp-key');
    has(at('qcow2'), 'string.unquoted.qmp-value');
    has(at('null'), 'constant.language');
    has(at('1024'), 'constant.numeric.integer');
    has(at('transaction', 1), 'entity.name.function.qmp-command');
    has(at('TRANS>', 2), 'keyword.other.prompt.qmp-shell');
    has(at('snapshot-file', 2), 'variable.parameter.qmp-key');
    has(at(')', 3), 'punctuation.section.transaction.end');
  });

  it('raw QMP JSON, HMP commands and output, separators, gdb output', () => {
    const { at } = tokenize(
      '{"execute": "blockdev-add", "arguments": {"node-name": "n0"}}',
      '(qemu) snapshot_blkdev drive0 /tmp/s.qcow2',
      "(qemu) Formatting '/tmp/overlay01.qcow2', fmt=qcow2 cluster_size=65536",
      '==================================',
      'Continuing.',
      'Breakpoint 1 at 0x93850: file ../block.c, line 2949.',
    );
    has(at('"execute"'), 'meta.embedded.line.json');
    has(at('(qemu)', 1), 'keyword.other.prompt.hmp');
    has(at('snapshot_blkdev', 1), 'entity.name.function.hmp-command');
    has(at('Formatting', 2), 'string.unquoted.hmp-output');
    has(at('====', 3), 'punctuation.separator.section');
    has(at('Continuing.', 4), 'comment.line.gdb-output');
    has(at('Breakpoint', 5), 'keyword.control.breakpoint');
    has(at('../block.c', 5), 'markup.underline.link.source-file');
  });

  it("QEMU's own trace lines in their three forms, and QEMU's graph recorded at a stop", () => {
    const { at } = tokenize(
      'qmp_enter_blockdev_add {"node-name": "d0", "driver": "raw"}',
      '12345@1700000000.123456:qmp_exit_blockdev_add {} 1',
      '2025-07-21T18:43:28.089797Z bdrv_open_common bs 0x55 filename "x"',
      'qbt-graph {"nodes":[{"address":"0x5555558b8bf0","name":"file0"}],"edges":[]}',
      'blockdev_add is not a trace line',
    );
    has(at('qmp_enter_blockdev_add'), 'entity.name.tag.trace-event.qemu-trace');
    has(at('"node-name"'), 'string.unquoted.trace-arguments.qemu-trace');
    has(at('12345@', 1), 'constant.numeric.timestamp.qemu-trace');
    has(at('qmp_exit_blockdev_add', 1), 'entity.name.tag.trace-event.qemu-trace');
    has(at('2025-07-21T', 2), 'constant.numeric.timestamp.qemu-trace');
    has(at('bdrv_open_common', 2), 'entity.name.tag.trace-event.qemu-trace');
    has(at('qbt-graph', 3), 'keyword.other.recorded-graph');
    has(at('"address"', 3), 'meta.embedded.line.json');
    assert.ok(!at('blockdev_add', 4).some((s) => s.includes('qemu-trace')));
  });

  it('mail quote prefixes keep the line kinds', () => {
    const { at } = tokenize('> #3  0x0000555555d912af in blk_insert_bs (blk=0x555557158250) at ../block/block-backend.c:907', '> (QEMU) block-commit device=over01');
    has(at('> '), 'punctuation.definition.quote');
    has(at('blk_insert_bs'), 'entity.name.function');
    has(at('0x555557158250'), 'constant.numeric.hex.pointer');
    has(at('block-commit', 1), 'entity.name.function.qmp-command');
  });

  it('the whole sample tokenizes with every frame function named and no runaway region', () => {
    const lines = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'traces', 'snapshot-commit-complete.log'), 'utf8').split('\n');
    const { tokens } = tokenize(...lines);
    const fnLines = new Set(tokens.filter((t) => t.scopes.some((s) => s.startsWith('entity.name.function.gdb-trace'))).map((t) => t.line));
    lines.forEach((l, i) => {
      if (/^#\d+ /.test(l) && !/ in {2}\(\)$/.test(l)) assert.ok(fnLines.has(i), `line ${i + 1} names its function: ${l.slice(0, 80)}`);
      // an argument list never leaks into a prompt line
      if (l.startsWith('(gdb)')) assert.ok(!tokens.some((t) => t.line === i && t.scopes.includes('meta.arguments.gdb-trace')), `line ${i + 1}`);
    });
  });

  it('a frame from mail with mojibake (`#0Â` + NBSP) is a frame: number, address, function, location', () => {
    const line = '#3\u00c2\u00a0 0x0000555555d912af in blk_insert_bs (blk=0x555557158250) at ../block/block-backend.c:907';
    const { at } = tokenize(line);
    has(at('#3'), 'punctuation.definition.frame.gdb-trace');
    has(at('0x0000555555d912af'), 'constant.numeric.hex.address.gdb-trace');
    has(at('blk_insert_bs'), 'entity.name.function.gdb-trace');
    has(at('../block/block-backend.c'), 'meta.frame.gdb-trace');
    const noAddress = tokenize('#0\u00c2\u00a0 bdrv_replace_child_noperm (child=0x5555558d9960, new_bs=0x0) at ../block.c:2832');
    has(noAddress.at('bdrv_replace_child_noperm'), 'entity.name.function.gdb-trace');
  });
});
