import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { CSourceParser, isRenamedFrom, nameLikeness, relocate } from '../../src/model/cSource';
import { ROOT } from './helpers';

const parser = new CSourceParser({
  runtimeWasm: path.join(ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'),
  grammarWasm: path.join(ROOT, 'node_modules', 'tree-sitter-c', 'tree-sitter-c.wasm'),
});

/** A small C file with functions at known lines (1-based). */
const FILE = [
  '#include "qemu/osdep.h"', // 1
  '', // 2
  'static BdrvChild *bdrv_attach_child_common(BlockDriverState *child_bs, const char *child_name)', // 3
  '{', // 4
  '    BdrvChild *new_child = g_new(BdrvChild, 1);', // 5
  '    bdrv_replace_child_noperm(new_child, child_bs);', // 6
  '    return new_child;', // 7
  '}', // 8
  '', // 9
  'void bdrv_replace_child_noperm(BdrvChild *child, BlockDriverState *new_bs)', // 10
  '{', // 11
  '    BlockDriverState *old_bs = child->bs;', // 12
  '    if (old_bs) {', // 13
  '        bdrv_parent_drained_end_single(child);', // 14
  '    }', // 15
  '}', // 16
].join('\n');

describe('C source structure (web-tree-sitter + tree-sitter-c)', () => {
  it('reads and parses a file once when many ask for it at the same time (a trace’s links ask for block.c thirty times)', async () => {
    const fresh = new CSourceParser({
      runtimeWasm: path.join(ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'),
      grammarWasm: path.join(ROOT, 'node_modules', 'tree-sitter-c', 'tree-sitter-c.wasm'),
    });
    let reads = 0;
    const outlines = await Promise.all(Array.from({ length: 30 }, () => fresh.outline('block.c@1', () => (reads++, FILE))));
    assert.equal(reads, 1);
    assert.ok(outlines.every((o) => o === outlines[0]));
    assert.equal(outlines[0].functions.length, 2);
    // a later ask is answered from the cache, a new version read again
    await fresh.outline('block.c@1', () => (reads++, FILE));
    await fresh.outline('block.c@2', () => (reads++, FILE));
    assert.equal(reads, 2);
  });

  it('finds function definitions (through pointer declarators) and calls', async () => {
    const o = await parser.outline('a.c@1', FILE);
    assert.deepEqual(
      o.functions.map((f) => [f.name, f.startLine, f.endLine, f.nameLine]),
      [
        ['bdrv_attach_child_common', 3, 8, 3],
        ['bdrv_replace_child_noperm', 10, 16, 10],
      ],
    );
    assert.deepEqual(
      o.calls.map((c) => [c.callee, c.line]),
      [
        ['g_new', 5],
        ['bdrv_replace_child_noperm', 6],
        ['bdrv_parent_drained_end_single', 14],
      ],
    );
  });

  it('relocates: exact, the call to the inner frame, the echoed text, the definition, a missing function', async () => {
    const o = await parser.outline('a.c@1', FILE);
    // nothing to check the line against: in the function, but not claimed exact
    assert.deepEqual(relocate(o, 'bdrv_replace_child_noperm', 12, {}), { line: 12, method: 'unverified', delta: 0, note: 'line 12 is in bdrv_replace_child_noperm (nothing to check it against)' });
    // exact only on the line that makes the call
    assert.deepEqual(relocate(o, 'bdrv_attach_child_common', 6, { callee: 'bdrv_replace_child_noperm' }).method, 'exact');
    const inside = relocate(o, 'bdrv_attach_child_common', 5, { callee: 'bdrv_replace_child_noperm' });
    assert.deepEqual([inside.line, inside.method, inside.delta], [6, 'relocated-call', 1], 'a line inside the function is not yet the right line');
    // the binary's line 9 is outside the function now: find the call to the next-inner frame's function
    const r = relocate(o, 'bdrv_attach_child_common', 40, { callee: 'bdrv_replace_child_noperm' });
    assert.deepEqual([r.line, r.method, r.delta], [6, 'relocated-call', -34]);
    assert.match(r.note, /line moved 40 → 6 \(-34\): the call to bdrv_replace_child_noperm in bdrv_attach_child_common/);
    // frame #0: the line gdb echoed
    const t = relocate(o, 'bdrv_replace_child_noperm', 2, { text: '    BlockDriverState *old_bs = child->bs;' });
    assert.deepEqual([t.line, t.method, t.delta], [12, 'relocated-text', 10]);
    // nothing to anchor on: the definition
    assert.deepEqual(relocate(o, 'bdrv_replace_child_noperm', 3, { callee: 'nothing_like_it' }).method, 'function');
    assert.equal(relocate(o, 'bdrv_replace_child_noperm', 3, {}).line, 10);
    const gone = relocate(o, 'bdrv_replace_child_tran', 20, { callee: 'nothing_like_it' });
    assert.equal(gone.method, 'unresolved');
    assert.match(gone.note, /bdrv_replace_child_tran is not defined in this file: renamed or removed/);
  });

  it('caches outlines by key', async () => {
    const a = await parser.outline('a.c@1', FILE);
    assert.equal(await parser.outline('a.c@1', 'int x;'), a);
    assert.notEqual(await parser.outline('a.c@2', FILE), a);
  });

  it('calls as QEMU makes them: through a field bound by an initialiser, through a pointer, a renamed callee', async () => {
    const src = [
      'static int coroutine_fn qcow2_co_create_opts(BlockDriver *drv)', // 1
      '{', // 2
      '    return 0;', // 3
      '}', // 4
      'BlockDriver bdrv_qcow2 = {', // 5
      '    .format_name = "qcow2",', // 6
      '    .bdrv_co_create_opts = qcow2_co_create_opts,', // 7
      '};', // 8
      'static void bdrv_create_co_entry(void *opaque)', // 9
      '{', // 10
      '    CreateCo *cco = opaque;', // 11
      '    int ret;', // 12
      '    ret = cco->drv->bdrv_co_create_opts(cco->drv);', // 13
      '    other_thing(ret);', // 14
      '}', // 15
      'static int job_txn_apply_locked(Job *job, int fn(Job *))', // 16
      '{', // 17
      '    int rc = 0;', // 18
      '    rc = fn(job);', // 19
      '    return rc;', // 20
      '}', // 21
      'static void job_exit(void *opaque)', // 22
      '{', // 23
      '    job_completed_locked(opaque);', // 24
      '}', // 25
    ].join('\n');
    const o = await parser.outline('calls.c@1', src);
    assert.deepEqual(o.bindings.map((b) => [b.field, b.fn]), [['bdrv_co_create_opts', 'qcow2_co_create_opts']]);
    assert.deepEqual(o.calls.filter((c) => c.via !== 'direct').map((c) => [c.callee, c.via, c.line]), [['bdrv_co_create_opts', 'field', 13], ['fn', 'pointer', 19]]);
    const field = relocate(o, 'bdrv_create_co_entry', 12, { callee: 'qcow2_co_create_opts' });
    assert.deepEqual([field.line, field.method], [13, 'relocated-call']);
    assert.match(field.note, /the call to qcow2_co_create_opts through cco->drv->bdrv_co_create_opts/);
    assert.equal(relocate(o, 'bdrv_create_co_entry', 13, { callee: 'qcow2_co_create_opts' }).method, 'exact');
    // a call through a pointer is where the next frame presumably was called: said as such, never exact
    const pointer = relocate(o, 'job_txn_apply_locked', 18, { callee: 'job_prepare' });
    assert.deepEqual([pointer.line, pointer.method], [19, 'indirect']);
    assert.equal(relocate(o, 'job_txn_apply_locked', 19, { callee: 'job_prepare' }).method, 'indirect');
    assert.match(pointer.note, /a call through fn \(to job_prepare, the next frame, presumably\)/);
    const renamedCallee = relocate(o, 'job_exit', 23, { callee: 'job_completed' });
    assert.deepEqual([renamedCallee.line, renamedCallee.method], [24, 'relocated-call']);
    assert.match(renamedCallee.note, /the call to job_completed_locked \(job_completed renamed\?\)/);
    // on the very line, still not exact: a renamed callee is a guess
    assert.equal(relocate(o, 'job_exit', 24, { callee: 'job_completed' }).method, 'relocated-call');
    // a name that merely ends like the callee is not it (close is not bdrv_close renamed)
    assert.equal(isRenamedFrom('close', 'bdrv_close'), false);
    assert.equal(isRenamedFrom('job_completed_locked', 'job_completed'), true);
    // a field the tree binds to another function is no call of this one
    const other = relocate(o, 'bdrv_create_co_entry', 12, { callee: 'qcow2_open' }, (f) => (f === 'qcow2_open' ? ['bdrv_open'] : []));
    assert.equal(other.method, 'function');
  });

  it('a function gone from the file: renamed (like name, makes the call), inlined (the call inside the next-outer frame), else candidates', async () => {
    const src = [
      'static void bdrv_root_unref_child(BdrvChild *child)', // 1
      '{', // 2
      '    bdrv_replace_child_noperm(child, NULL);', // 3
      '}', // 4
      'static int job_prepare_locked(Job *job)', // 5
      '{', // 6
      '    return job->driver->prepare(job);', // 7
      '}', // 8
      'static void some_other(Job *job)', // 9
      '{', // 10
      '    bdrv_replace_child_noperm(NULL, NULL);', // 11
      '}', // 12
    ].join('\n');
    const o = await parser.outline('gone.c@1', src);
    const inlined = relocate(o, 'bdrv_detach_child', 30, { callee: 'bdrv_replace_child_noperm', outer: 'bdrv_root_unref_child' });
    assert.deepEqual([inlined.line, inlined.method, inlined.inFunction], [3, 'inlined', 'bdrv_root_unref_child']);
    assert.match(inlined.note, /^bdrv_detach_child is now inside bdrv_root_unref_child: the call to bdrv_replace_child_noperm, line 3$/);
    const renamed = relocate(o, 'job_prepare', 40, { callee: 'mirror_prepare' }, (fn) => (fn === 'mirror_prepare' ? ['prepare'] : []));
    assert.deepEqual([renamed.line, renamed.method, renamed.inFunction], [7, 'renamed', 'job_prepare_locked']);
    assert.match(renamed.note, /^renamed to job_prepare_locked\? the call to mirror_prepare through job->driver->prepare, line 7$/);
    // two unlike functions make the call: not a guess to make
    const unsure = relocate(o, 'bdrv_replace_child_tran', 20, { callee: 'bdrv_replace_child_noperm' });
    assert.equal(unsure.method, 'unresolved');
    assert.deepEqual(unsure.candidates?.map((c) => c.fn), ['bdrv_root_unref_child', 'some_other']);
  });

  it('name likeness: containment, shared prefixes', () => {
    assert.equal(nameLikeness('job_prepare', 'job_prepare_locked'), 0.9);
    assert.ok(nameLikeness('external_snapshot_prepare', 'external_snapshot_action') >= 0.6);
    assert.ok(nameLikeness('bdrv_replace_child_tran', 'bdrv_attach_child_common') < 0.6);
  });
});

describe('the tree index', () => {
  it('knows definitions, initialiser bindings and the macros that make a call', async () => {
    const { buildTreeIndex } = await import('../../src/model/source');
    const files: Record<string, string> = {
      '/t/include/block/aio-wait.h': ['#define AIO_WAIT_WHILE(ctx, cond) ({ \\', '    while ((cond)) {            \\', '        aio_poll(ctx, true);    \\', '    }                           \\', '})', ''].join('\n'),
      '/t/block/qcow2.c': ['static int qcow2_open(BlockDriverState *bs)', '{', '    return 0;', '}', 'BlockDriver bdrv_qcow2 = {', '    .bdrv_open = qcow2_open,', '};', ''].join('\n'),
      '/t/block.c': ['int bdrv_open_driver(BlockDriverState *bs,', '                     BlockDriver *drv)', '{', '    return drv->bdrv_open(bs);', '}', 'static int not_a_definition(int x);', ''].join('\n'),
    };
    const index = buildTreeIndex(['/t'], { listCFiles: () => Object.keys(files) }, { read: (p) => files[p] });
    assert.deepEqual(index.definedIn('qcow2_open'), ['/t/block/qcow2.c']);
    assert.deepEqual(index.definedIn('bdrv_open_driver'), ['/t/block.c']);
    assert.deepEqual(index.definedIn('not_a_definition'), []);
    assert.deepEqual(index.fieldsOf('qcow2_open'), ['bdrv_open']);
    assert.deepEqual(index.macrosCalling('aio_poll'), ['AIO_WAIT_WHILE']);
    // a frame in a function that polls through the macro lands on the macro's line
    const o = await parser.outline('poll.c@1', ['static void bdrv_drain(BlockDriverState *bs)', '{', '    int x = 0;', '    AIO_WAIT_WHILE(ctx, x > 0);', '}'].join('\n'));
    const r = relocate(o, 'bdrv_drain', 3, { callee: 'aio_poll' }, index.fieldsOf, index.macrosCalling);
    assert.deepEqual([r.line, r.method], [4, 'relocated-call']);
    assert.match(r.note, /the call to aio_poll inside the macro AIO_WAIT_WHILE/);
  });
});
