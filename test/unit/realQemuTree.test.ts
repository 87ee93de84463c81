// Source navigation held against a real QEMU tree of another version than the sample's binary:
// the sample comes from QEMU 7.1.0; the tree is Debian's 7.2 source (`npm run qemu-source` puts it
// in .qemu-cache/, or QBT_QEMU_TREE names one). Skipped, saying so, when there is none.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CSourceParser } from '../../src/model/cSource';
import { buildTreeIndex, frameContext, functionCalls, resolveFrameLocation, type SourceConfig } from '../../src/model/source';
import { parseTrace } from '../../src/model/parser';
import { diskLister, diskReader } from '../../src/sourceFiles';
import { ROOT, readFixture } from './helpers';

const TREE = process.env.QBT_QEMU_TREE ?? path.join(ROOT, '.qemu-cache', 'qemu-7.2.0');

describe('the sample (QEMU 7.1) against a real QEMU 7.2 tree', function () {
  this.timeout(60_000);
  before(function () {
    if (!fs.existsSync(path.join(TREE, 'block.c'))) {
      process.stdout.write(`      (skipped: no QEMU tree at ${TREE}; run \`npm run qemu-source\` or set QBT_QEMU_TREE)\n`);
      this.skip();
    }
  });

  it('lands every frame on a line that makes the call (or says why not), and claims exact only there', async () => {
    const parser = new CSourceParser({
      runtimeWasm: path.join(ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'),
      grammarWasm: path.join(ROOT, 'node_modules', 'tree-sitter-c', 'tree-sitter-c.wasm'),
    });
    const config: SourceConfig = { root: TREE, buildDir: null, pathMappings: [], workspaceFiles: [] };
    const index = buildTreeIndex([TREE], diskLister, diskReader);
    const trace = parseTrace(readFixture('traces/snapshot-commit-complete.log'));
    const calls = functionCalls(trace.hits.map((h) => h.frames));
    const seen = new Set<string>();
    const tally = { direct: 0, indirect: 0, total: 0, other: [] as string[] };
    const landed = new Map<string, number>();
    const built = fs.existsSync(path.join(TREE, 'build', 'qapi'));
    const generated: string[] = [];
    for (const h of trace.hits) {
      for (let i = 1; i < h.frames.length; i++) {
        const f = h.frames[i];
        if (!f.file || f.library) continue;
        const ctx = frameContext(h.frames, i, undefined, calls);
        const key = `${f.function}:${f.line}:${ctx.callee}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const r = await resolveFrameLocation(f, ctx, config, diskReader, parser, index);
        // a generated file (qapi/qapi-commands-*.c, printed relative to the build directory) is only
        // there in a tree that was built; in a plain source tree the frame says where it looked
        if (!built && !f.file.startsWith('../')) {
          assert.equal(r.path, null, key);
          assert.match(r.reason, /is not in the QEMU source folder .* \(nor its build directory\)/, key);
          generated.push(key);
          continue;
        }
        tally.total++;
        assert.ok(r.path !== null, key);
        landed.set(key, r.line);
        const text = diskReader.read(r.path)!.split('\n')[r.line - 1];
        const outline = await parser.outline(diskReader.version(r.path), () => diskReader.read(r.path!) ?? '');
        const call = outline.calls.find((c) => c.line === r.line);
        // the call by name (or the callee renamed with a word added), or through a field the tree binds to the callee
        const direct = new RegExp(`\\b${ctx.callee}(?:_\\w+)?\\s*\\(`).test(text) || (call?.via === 'field' && index.fieldsOf(ctx.callee!).includes(call.callee));
        if (r.method === 'exact') assert.ok(direct, `${key}: exact at ${r.line}, which makes no such call: ${text.trim()}`);
        if (direct) tally.direct++;
        else if (r.method === 'indirect' || (call && call.via !== 'direct' && (r.method === 'renamed' || r.method === 'inlined'))) tally.indirect++;
        else tally.other.push(`${key} → ${r.method} ${r.line}`);
        if (!direct) assert.ok(['indirect', 'renamed', 'inlined', 'unresolved', 'function'].includes(r.method), `${key}: ${r.method} at ${r.line} without the call: ${r.note}`);
        if (!direct && (r.method === 'renamed' || r.method === 'inlined')) assert.match(r.note, /a call through/, key);
      }
    }
    // a function that makes the same call more than once: the one its shift says, not the nearest
    assert.equal(landed.get('mirror_start_job:1773:block_job_add_bdrv'), 1807);
    assert.equal(landed.get('mirror_exit_common:781:bdrv_unref'), 784);
    assert.equal(landed.get('qcow2_co_create:3792:blk_unref'), 3805);
    process.stdout.write(
      `      ${tally.total} distinct frames: ${tally.direct} on the call itself, ${tally.indirect} on a call through a pointer (said as such), ${tally.other.length} not found and saying so: ${tally.other.join('; ')}${built ? '' : `; and ${generated.length} in generated files, which a tree that was never built does not have (said so)`}\n`,
    );
    assert.ok(tally.direct + tally.indirect >= tally.total - 3, `${tally.direct}+${tally.indirect}/${tally.total}`);
  });
});
