// Source navigation across versions: a synthetic QEMU-like tree with every kind of drift, with and
// without git; the binary's revision detected from the trace's call sites; lines mapped through
// git's hunks.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CSourceParser } from '../../src/model/cSource';
import { callSitesOf, detectRevision, mapLine, parseHunks, revisionMapping } from '../../src/model/revision';
import { buildTreeIndex, frameContext, resolveFrameLocation, type FrameLocation, type SourceConfig } from '../../src/model/source';
import { parseTrace } from '../../src/model/parser';
import { type Frame } from '../../src/model/trace';
import { CheckoutGit, isSafeRevision } from '../../src/gitReader';
import { diskLister, diskReader } from '../../src/sourceFiles';
import { writeQemuGitRepo } from '../support/qemuGitRepo';
import { DRIFT, writeQemuTree } from '../support/qemuTree';
import { ROOT, readFixture } from './helpers';

const parser = new CSourceParser({
  runtimeWasm: path.join(ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'),
  grammarWasm: path.join(ROOT, 'node_modules', 'tree-sitter-c', 'tree-sitter-c.wasm'),
  cacheSize: 64,
});
const trace = parseTrace(readFixture('traces/snapshot-commit-complete.log'));
const hasGit = (() => {
  try {
    execFileSync('git', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

/** Every frame of the sample with what its line must hold. */
function stacks(): { frame: Frame; ctx: ReturnType<typeof frameContext>; hit: number }[] {
  return trace.hits.flatMap((h) => h.frames.map((frame, i) => ({ frame, ctx: frameContext(h.frames, i, h.source?.text), hit: h.index })));
}

/** Whether the resolved line holds what the frame executed, in whatever form the drifted tree has it. */
function holdsTheCall(r: FrameLocation, frame: Frame, ctx: ReturnType<typeof frameContext>): boolean {
  if (r.path === null) return false;
  const text = fs.readFileSync(r.path, 'utf8').split('\n')[r.line - 1] ?? '';
  if (!ctx.callee) return ctx.text !== undefined && text.trim() === ctx.text.trim();
  const names = [ctx.callee, DRIFT.renames[ctx.callee]].filter(Boolean);
  if (names.some((n) => text.includes(`${n}(0);`))) return true;
  // the callbacks the drift makes through a driver's field, and the lines that call different functions in different hits
  const field = DRIFT.fields.find((f) => f.callee === ctx.callee && (f.caller === frame.function || DRIFT.renames[f.caller] !== undefined));
  if (field && text.includes(`${field.call}(0);`)) return true;
  if (text.includes('data->cmd->fn(0);')) return true;
  // the inlined helper, and its caller: the call of what the helper called
  return (frame.function === DRIFT.inlined.fn || ctx.callee === DRIFT.inlined.fn) && text.includes('bdrv_replace_child_noperm(0);');
}

describe('hunks and line mapping', () => {
  it('reads unified diff headers, and maps lines outside hunks exactly, inside them as changed', () => {
    const hunks = parseHunks('diff --git a/x b/x\n@@ -3,0 +4,2 @@\n+a\n+b\n@@ -10,2 +12 @@\n-x\n-y\n+z\n@@ -20 +21 @@\n-q\n+r\n');
    assert.deepEqual(hunks, [
      { oldStart: 3, oldCount: 0, newStart: 4, newCount: 2 },
      { oldStart: 10, oldCount: 2, newStart: 12, newCount: 1 },
      { oldStart: 20, oldCount: 1, newStart: 21, newCount: 1 },
    ]);
    assert.deepEqual(mapLine(hunks, 3), { line: 3, changed: false });
    assert.deepEqual(mapLine(hunks, 4), { line: 6, changed: false });
    assert.deepEqual(mapLine(hunks, 11), { line: 12, changed: true });
    assert.deepEqual(mapLine(hunks, 15), { line: 16, changed: false });
    assert.deepEqual(mapLine(hunks, 20), { line: 21, changed: true });
    assert.deepEqual(mapLine(hunks, 30), { line: 31, changed: false });
  });

  it('only plain revisions reach git', () => {
    for (const ok of ['v7.1.0', 'HEAD~3', 'a1b2c3d', 'stable-7.2', 'origin/master']) assert.ok(isSafeRevision(ok), ok);
    for (const bad of ['--output=/tmp/x', '-p', 'a..b', 'x\ny', '', 'a b']) assert.ok(!isSafeRevision(bad), JSON.stringify(bad));
  });
});

describe('a tree with every kind of drift (no git)', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-drift-'));
  const root = path.join(base, 'drifted');
  before(() => writeQemuTree(root, trace, 'drifted'));
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('every frame of the sample lands on the line that makes its call, and exact is never claimed elsewhere', async () => {
    const config: SourceConfig = { root, buildDir: null, pathMappings: [], workspaceFiles: [] };
    const index = buildTreeIndex([root, path.join(root, 'build')], diskLister, diskReader);
    const seen = new Set<string>();
    const methods = new Map<string, number>();
    for (const { frame, ctx } of stacks()) {
      if (!frame.file || frame.library) continue;
      const key = `${frame.function}:${frame.line}:${ctx.callee}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const r = await resolveFrameLocation(frame, ctx, config, diskReader, parser, index);
      assert.ok(holdsTheCall(r, frame, ctx), `${key} → ${r.path === null ? r.reason : `${r.method} ${r.line}: ${r.note}`}`);
      if (r.path !== null) methods.set(r.method, (methods.get(r.method) ?? 0) + 1);
    }
    // each kind of drift was met, and named
    for (const m of ['relocated-call', 'relocated-text', 'indirect', 'renamed', 'inlined', 'moved']) assert.ok(methods.has(m), `${m}: ${[...methods].join(', ')}`);
  });

  it('names what it did: renamed to …?, now inside …, moved to …', async () => {
    const config: SourceConfig = { root, buildDir: null, pathMappings: [], workspaceFiles: [] };
    const index = buildTreeIndex([root, path.join(root, 'build')], diskLister, diskReader);
    const find = (fn: string) => stacks().find((s) => s.frame.function === fn)!;
    const resolve = async (fn: string) => {
      const s = find(fn);
      return (await resolveFrameLocation(s.frame, s.ctx, config, diskReader, parser, index)) as Extract<FrameLocation, { path: string }>;
    };
    assert.match((await resolve('job_prepare')).note, /^renamed to job_prepare_locked\? the call to mirror_prepare through job->driver->prepare, line \d+$/);
    assert.match((await resolve('bdrv_detach_child')).note, /^bdrv_detach_child is now inside bdrv_root_unref_child: the call to bdrv_replace_child_noperm, line \d+$/);
    const moved = await resolve('qemu_main_loop');
    assert.equal(moved.path, path.join(root, 'system', 'runstate.c'));
    assert.match(moved.note, /^moved to system\/runstate\.c: /);
    const generated = await resolve('bdrv_create_co_entry');
    assert.equal(generated.path, path.join(root, 'build', 'block', 'block-gen.c'));
    assert.match(generated.note, /^moved to build\/block\/block-gen\.c: /);
  });
});

describe('a git checkout: the binary’s revision, and lines mapped from it', function () {
  this.timeout(60_000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-git-'));
  let repo: ReturnType<typeof writeQemuGitRepo>;
  before(function () {
    if (!hasGit) this.skip();
    repo = writeQemuGitRepo(path.join(base, 'qemu'), trace, { olderTags: 3, laterCommits: 2 });
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  const sites = () => callSitesOf(stacks().map(({ frame, ctx }) => ({ file: frame.file, line: frame.line, function: frame.function, ctx })));

  it('detects the traced release among older releases and later commits: every call site holds', async () => {
    const git = (await CheckoutGit.open(repo.dir))!;
    try {
      assert.deepEqual(await git.releaseTags(), ['v6.0.0', 'v6.1.0', 'v6.2.0', 'v7.1.0']);
      const d = (await detectRevision(sites(), git, parser))!;
      assert.equal(d.rev, 'v7.1.0');
      assert.equal(d.matching, d.total);
      assert.ok(d.tried.every((t) => t.rev === 'v7.1.0' || t.matching < d.matching));
      assert.equal(await git.commitsSince('v7.1.0'), 2);
    } finally {
      git.dispose();
    }
  });

  it('a binary built between releases: the first-parent commit whose lines hold', async () => {
    const git = (await CheckoutGit.open(repo.dir))!;
    try {
      // lines as the first drifted commit has them: no release has them
      const drifted = stacks().map(({ frame, ctx }) => ({ frame, ctx }));
      const atLater: { file: string | null; line: number | null; function: string; ctx: typeof drifted[0]['ctx'] }[] = [];
      const config: SourceConfig = { root: repo.dir, buildDir: null, pathMappings: [], workspaceFiles: [] };
      execFileSync('git', ['checkout', '-q', repo.later[0]], { cwd: repo.dir });
      try {
        for (const { frame, ctx } of drifted.slice(0, 40)) {
          if (!frame.file || frame.library) continue;
          const r = await resolveFrameLocation(frame, ctx, config, diskReader, parser, buildTreeIndex([repo.dir], diskLister, diskReader));
          if (r.path === null || r.method === 'moved' || r.method === 'inlined' || r.method === 'renamed') continue;
          atLater.push({ file: path.relative(repo.dir, r.path), line: r.line, function: frame.function, ctx });
        }
      } finally {
        execFileSync('git', ['checkout', '-q', 'master'], { cwd: repo.dir });
      }
      const d = (await detectRevision(callSitesOf(atLater), git, parser))!;
      assert.equal(d.rev, repo.later[0]);
    } finally {
      git.dispose();
    }
  });

  it('at the traced release itself (checked out), every frame is exact, or a call through a pointer on its printed line', async () => {
    execFileSync('git', ['checkout', '-q', 'v7.1.0'], { cwd: repo.dir });
    try {
      const config: SourceConfig = { root: repo.dir, buildDir: null, pathMappings: [], workspaceFiles: [] };
      const index = buildTreeIndex([repo.dir], diskLister, diskReader);
      for (const { frame, ctx } of stacks()) {
        if (!frame.file || frame.library) continue;
        const r = await resolveFrameLocation(frame, ctx, config, diskReader, parser, index);
        assert.ok(r.path !== null && r.line === frame.line && ['exact', 'indirect'].includes(r.method), `${frame.function}:${frame.line} → ${r.path === null ? r.reason : `${r.method} ${r.line}`}`);
      }
    } finally {
      execFileSync('git', ['checkout', '-q', 'master'], { cwd: repo.dir });
    }
  });

  it('with the revision known, every frame lands on its call in the working tree; unchanged lines map exactly', async () => {
    const git = (await CheckoutGit.open(repo.dir))!;
    try {
      const config: SourceConfig = { root: repo.dir, buildDir: null, pathMappings: [], workspaceFiles: [] };
      const index = buildTreeIndex([repo.dir], diskLister, diskReader);
      const mapping = revisionMapping(git, 'v7.1.0');
      const seen = new Set<string>();
      let mapped = 0;
      for (const { frame, ctx } of stacks()) {
        if (!frame.file || frame.library) continue;
        const key = `${frame.function}:${frame.line}:${ctx.callee}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const r = await resolveFrameLocation(frame, ctx, config, diskReader, parser, index, mapping);
        assert.ok(holdsTheCall(r, frame, ctx), `${key} → ${r.path === null ? r.reason : `${r.method} ${r.line}: ${r.note}`}`);
        // the note says how the line was found: through git's hunks, then checked
        if (r.path !== null) assert.match(r.note, /^line \d+ of v7\.1\.0 (is line \d+ here \(unchanged since\)|is in a changed part)|^moved to /, key);
        if (r.path !== null && (r.method === 'mapped' || r.method === 'exact') && r.note.includes('(unchanged since)')) mapped++;
      }
      assert.ok(mapped > 0, 'some lines are unchanged since the release and map through the hunks');
    } finally {
      git.dispose();
    }
  });
});

describe('qemu-block-trace resolve in a git checkout', function () {
  this.timeout(60_000);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-cli-git-'));
  let repo: ReturnType<typeof writeQemuGitRepo>;
  const CLI = path.join(ROOT, 'dist', 'cli.js');
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  before(function () {
    if (!hasGit) this.skip();
    repo = writeQemuGitRepo(path.join(base, 'qemu'), trace, { olderTags: 2, laterCommits: 1 });
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('detects the revision, says so first, and maps every frame from it', () => {
    const r = run('resolve', path.join(ROOT, 'test', 'fixtures', 'traces', 'snapshot-commit-complete.log'), '--source-root', repo.dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^# trace matches v7\.1\.0 \((\d+)\/\1 call sites\); the tree is 1 commit later$/);
    assert.equal(lines.length, 664);
    assert.ok(lines.some((l) => /of v7\.1\.0 is line \d+ here \(unchanged since\)/.test(l)));
  });

  it('--json gains the revision; --revision names it; --no-git leaves git out', () => {
    const j = JSON.parse(run('resolve', path.join(ROOT, 'test', 'fixtures', 'traces', 'snapshot-commit-complete.log'), '--source-root', repo.dir, '--json', '--revision', 'v7.1.0').stdout);
    assert.deepEqual([j.revision.rev, j.revision.given, j.revision.commitsLater], ['v7.1.0', true, 1]);
    assert.equal(j.frames.length, 663);
    const plain = JSON.parse(run('resolve', path.join(ROOT, 'test', 'fixtures', 'traces', 'snapshot-commit-complete.log'), '--source-root', repo.dir, '--json', '--no-git').stdout);
    assert.ok(Array.isArray(plain));
    const bad = run('resolve', path.join(ROOT, 'test', 'fixtures', 'traces', 'snapshot-commit-complete.log'), '--source-root', repo.dir, '--revision', '--output=/tmp/x');
    assert.equal(bad.code, 2);
    const missing = run('resolve', path.join(ROOT, 'test', 'fixtures', 'traces', 'snapshot-commit-complete.log'), '--source-root', repo.dir, '--revision', 'v9.9.9');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--revision v9\.9\.9 is not a revision of/);
  });
});
