import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CSourceParser } from '../../src/model/cSource';
import { resolveFrameLocation, type SourceConfig, type SourceReader } from '../../src/model/source';
import { parseTrace } from '../../src/model/parser';
import { MOVED_BY, RENAMED, writeQemuTree, type TreeVariant } from '../support/qemuTree';
import { ROOT, readFixture } from './helpers';

const parser = new CSourceParser({
  runtimeWasm: path.join(ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'),
  grammarWasm: path.join(ROOT, 'node_modules', 'tree-sitter-c', 'tree-sitter-c.wasm'),
});

const disk: SourceReader = {
  exists: (p) => fs.existsSync(p),
  read: (p) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined),
  version: (p) => `${p}@${fs.statSync(p).mtimeMs}`,
};

describe('resolving every frame of the sample against synthetic QEMU trees', () => {
  const trace = parseTrace(readFixture('traces/snapshot-commit-complete.log'));
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-trees-'));
  const config = (variant: TreeVariant): SourceConfig => ({ root: path.join(base, variant), buildDir: null, pathMappings: [], workspaceFiles: [] });

  before(() => {
    for (const v of ['exact', 'moved', 'renamed'] as const) writeQemuTree(path.join(base, v), trace, v);
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  async function resolveAll(variant: TreeVariant) {
    const out = [];
    for (const hit of trace.hits) {
      for (let i = 0; i < hit.frames.length; i++) {
        const f = hit.frames[i];
        const inner = i === 0 ? { text: hit.source?.text } : { callee: hit.frames[i - 1].function };
        out.push({ hit: hit.index, frame: f, r: await resolveFrameLocation(f, inner, config(variant), disk, parser) });
      }
    }
    return out;
  }

  it('exact tree: every source frame lands on its printed line; libraries and unknowns say why', async () => {
    const all = await resolveAll('exact');
    for (const { frame, r } of all) {
      if (frame.file) {
        assert.ok(r.path !== null, `${frame.function} ${frame.file}:${frame.line}`);
        // a line that calls different functions in different hits calls through a pointer: not exact, but there
        const text = fs.readFileSync(r.path!, 'utf8').split('\n')[frame.line! - 1];
        const want = text.includes('->fn(0)') ? 'indirect' : 'exact';
        assert.deepEqual([r.method, r.line, r.delta], [want, frame.line, 0], `${frame.function} ${frame.file}:${frame.line}`);
      } else {
        assert.equal(r.path, null);
      }
    }
    const lib = all.find((x) => x.frame.library !== null)!;
    assert.match((lib.r as { reason: string }).reason, /library frame/);
    const qapi = all.find((x) => x.frame.file === 'qapi/qapi-commands-block-core.c')!;
    assert.equal(qapi.r.path, path.join(base, 'exact', 'build', 'qapi', 'qapi-commands-block-core.c'));
  });

  it('moved tree: frames are relocated to the call of the inner frame (or the echoed line), with the delta', async () => {
    const all = await resolveAll('moved');
    const h21 = all.filter((x) => x.hit === 21);
    const f0 = h21[0].r as { method: string; delta: number; line: number };
    assert.equal(f0.method, 'relocated-text');
    assert.ok(f0.delta >= MOVED_BY, `frame #0 moved by ${f0.delta}`);
    const f3 = h21.find((x) => x.frame.function === 'bdrv_append')!.r as { method: string; delta: number; note: string };
    assert.equal(f3.method, 'relocated-call');
    assert.ok(f3.delta > MOVED_BY);
    assert.match(f3.note, /line moved 5343 → \d+ \(\+\d+\): the call to bdrv_replace_node_noperm in bdrv_append/);
    for (const { frame, r } of all) if (frame.file && r.path !== null) assert.notEqual(r.method, 'unresolved', `${frame.function}`);
  });

  it('renamed tree: a frame whose function is gone is found as the like-named function that makes the call, and says so', async () => {
    const all = await resolveAll('renamed');
    const gone = all.filter((x) => x.frame.function === RENAMED.from);
    assert.ok(gone.length > 0);
    for (const { r } of gone) {
      assert.ok(r.path !== null);
      assert.equal(r.method, 'renamed');
      assert.match(r.note, new RegExp(`^renamed to ${RENAMED.to}\\? the call to bdrv_replace_child_noperm, line \\d+$`));
    }
  });

  it('exact is never claimed off the calling line (or, for frame #0, off the echoed line)', async () => {
    for (const variant of ['exact', 'moved', 'renamed'] as const) {
      for (const { frame, r } of await resolveAll(variant)) {
        if (r.path === null || r.method !== 'exact') continue;
        const text = fs.readFileSync(r.path, 'utf8').split('\n')[r.line - 1];
        assert.ok(/\w+\(0\);|->\w+\(0\)/.test(text) || text.trim() !== '' , `${variant}: ${frame.function}:${frame.line} → ${r.line}: ${text}`);
        assert.doesNotMatch(text, /\/\* … \*\/|new in this version/, `${variant}: ${frame.function}:${frame.line} is exact on a padding line`);
      }
    }
  });
});
