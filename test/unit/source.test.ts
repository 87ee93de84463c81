import * as assert from 'node:assert/strict';
import { looksLikeQemuTree, normalizePath, resolveSourcePath, type SourceConfig, type SourceFiles } from '../../src/model/source';

/** An in-memory tree: every listed file, and every folder above one, exists. */
function tree(...paths: string[]): SourceFiles & { files: string[] } {
  const all = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 2; i <= parts.length; i++) all.add(parts.slice(0, i).join('/'));
  }
  return { exists: (p) => all.has(p), files: paths };
}

const QEMU = tree('/src/qemu/block.c', '/src/qemu/block/mirror.c', '/src/qemu/include/block/block.h', '/src/qemu/util/async.c', '/src/qemu/build/qapi/qapi-commands-block-core.c', '/src/qemu/qapi/qmp-dispatch.c');
const config = (over: Partial<SourceConfig> = {}): SourceConfig => ({ root: '/src/qemu', buildDir: null, pathMappings: [], workspaceFiles: [], ...over });

describe('resolving a frame’s file to the user’s QEMU checkout (design.md §6)', () => {
  it('normalises paths', () => {
    assert.equal(normalizePath('/a/build/../block.c'), '/a/block.c');
    assert.equal(normalizePath('../block/./mirror.c'), '../block/mirror.c');
    assert.equal(normalizePath('a//b/'), 'a/b');
  });

  it('`../x` (meson) is relative to the build directory, so it is `<root>/x`', () => {
    assert.deepEqual(resolveSourcePath('../block.c', config(), QEMU), { path: '/src/qemu/block.c', via: 'root' });
    assert.deepEqual(resolveSourcePath('../block/mirror.c', config(), QEMU), { path: '/src/qemu/block/mirror.c', via: 'root' });
    assert.deepEqual(resolveSourcePath('../qapi/qmp-dispatch.c', config(), QEMU), { path: '/src/qemu/qapi/qmp-dispatch.c', via: 'root' });
  });

  it('plain relative paths (make builds) are in the root', () => {
    assert.deepEqual(resolveSourcePath('block.c', config(), QEMU), { path: '/src/qemu/block.c', via: 'root' });
  });

  it('generated files are in the build directory (default <root>/build, or the setting)', () => {
    assert.deepEqual(resolveSourcePath('qapi/qapi-commands-block-core.c', config(), QEMU), { path: '/src/qemu/build/qapi/qapi-commands-block-core.c', via: 'build-dir' });
    const other = tree('/src/qemu/block.c', '/out/b1/qapi/qapi-commands-block-core.c');
    assert.deepEqual(resolveSourcePath('qapi/qapi-commands-block-core.c', config({ buildDir: '/out/b1' }), other), { path: '/out/b1/qapi/qapi-commands-block-core.c', via: 'build-dir' });
  });

  it('absolute paths from another machine, by their longest suffix under the root', () => {
    assert.deepEqual(resolveSourcePath('/home/x/qemu/build/../block.c', config(), QEMU), { path: '/src/qemu/block.c', via: 'absolute-suffix' });
    assert.deepEqual(resolveSourcePath('/usr/src/qemu/block/mirror.c', config(), QEMU), { path: '/src/qemu/block/mirror.c', via: 'absolute-suffix' });
  });

  it('path mappings come first, longest prefix first', () => {
    const t = tree('/src/qemu/block.c', '/mnt/other/block.c');
    const c = config({ pathMappings: [{ from: '/home/dev', to: '/nowhere' }, { from: '/home/dev/src/qemu-10.2.0', to: '/mnt/other' }] });
    assert.deepEqual(resolveSourcePath('/home/dev/src/qemu-10.2.0/block.c', c, t), { path: '/mnt/other/block.c', via: 'mapping' });
  });

  it('with no root: an absolute path that exists, else a unique suffix match among workspace files', () => {
    const t = tree('/ws/q/block.c', '/ws/q/block/mirror.c', '/ws/other/mirror.c');
    const c = config({ root: null, workspaceFiles: ['/ws/q/block.c', '/ws/q/block/mirror.c', '/ws/other/mirror.c'] });
    assert.deepEqual(resolveSourcePath('/ws/q/block.c', c, t), { path: '/ws/q/block.c', via: 'as-printed' });
    assert.deepEqual(resolveSourcePath('../block.c', c, t), { path: '/ws/q/block.c', via: 'workspace-suffix' });
    assert.deepEqual(resolveSourcePath('../block/mirror.c', c, t), { path: '/ws/q/block/mirror.c', via: 'workspace-suffix' });
    const amb = resolveSourcePath('mirror.c', c, t);
    assert.equal(amb.path, null);
    assert.match((amb as { reason: string }).reason, /2 files of the workspace end in mirror\.c/);
  });

  it('says why when nothing is found', () => {
    assert.match((resolveSourcePath('../nbd/server.c', config(), QEMU) as { reason: string }).reason, /not in the QEMU source folder \/src\/qemu/);
    assert.match((resolveSourcePath('../block.c', config({ root: null }), tree()) as { reason: string }).reason, /no QEMU source folder is known/);
    assert.match((resolveSourcePath('??', config(), QEMU) as { reason: string }).reason, /names no source file/);
  });

  it('recognises a QEMU tree', () => {
    assert.ok(looksLikeQemuTree('/src/qemu', QEMU));
    assert.ok(!looksLikeQemuTree('/src', QEMU));
  });
});
