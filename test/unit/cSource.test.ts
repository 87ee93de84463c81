import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { CSourceParser, relocate } from '../../src/model/cSource';
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
    assert.deepEqual(relocate(o, 'bdrv_replace_child_noperm', 12, {}), { line: 12, method: 'exact', delta: 0, note: 'line 12 is in bdrv_replace_child_noperm' });
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
    const gone = relocate(o, 'bdrv_replace_child_tran', 20, {});
    assert.equal(gone.method, 'unresolved');
    assert.match(gone.note, /bdrv_replace_child_tran is not defined in this file: renamed or removed/);
  });

  it('caches outlines by key', async () => {
    const a = await parser.outline('a.c@1', FILE);
    assert.equal(await parser.outline('a.c@1', 'int x;'), a);
    assert.notEqual(await parser.outline('a.c@2', FILE), a);
  });
});
