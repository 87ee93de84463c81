// `npm run qemu-source`: QEMU's own source tree (Debian's `qemu` source package, 7.2) in the
// git-ignored cache `.qemu-cache/`, for the tests that hold source navigation against a real tree
// of another version than the sample's binary (7.1). Debian's source lists are derived from the
// machine's own, in a private folder: the system's apt configuration is not changed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/testEnv.mjs';

export const QEMU_CACHE = join(ROOT, '.qemu-cache');
export const QEMU_TREE = join(QEMU_CACHE, 'qemu-7.2.0');

/** Run a command quietly; a failure throws with its last lines. */
export function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status}`}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-5).join('\n')}`);
}

export function ensureQemuSource() {
  if (existsSync(join(QEMU_TREE, 'block.c'))) return QEMU_TREE;
  const sources = '/etc/apt/sources.list.d/debian.sources';
  if (!existsSync(sources)) throw new Error(`no ${sources}: QEMU's source comes from Debian's archive, which this machine does not use`);
  const apt = join(QEMU_CACHE, 'apt');
  mkdirSync(join(apt, 'parts'), { recursive: true });
  mkdirSync(join(apt, 'lists', 'partial'), { recursive: true });
  writeFileSync(join(apt, 'parts', 'src.sources'), readFileSync(sources, 'utf8').replace(/^Types: deb$/gm, 'Types: deb-src'));
  const o = ['-o', 'Dir::Etc::sourcelist=/dev/null', '-o', `Dir::Etc::sourceparts=${join(apt, 'parts')}`, '-o', `Dir::State::Lists=${join(apt, 'lists')}`];
  process.stdout.write('[qemu-source] downloading Debian\'s qemu source package (about 24 MB, once)\n');
  run('apt-get', [...o, 'update', '-qq'], QEMU_CACHE);
  run('apt-get', [...o, 'source', '--download-only', 'qemu'], QEMU_CACHE);
  const orig = readdirSync(QEMU_CACHE).find((f) => /^qemu_7\.2.*\.orig\.tar\.xz$/.test(f));
  if (!orig) throw new Error('the qemu 7.2 source package was not downloaded (is this Debian bookworm?)');
  run('tar', ['xf', orig], QEMU_CACHE);
  if (!existsSync(join(QEMU_TREE, 'block.c'))) throw new Error(`${orig} did not unpack to ${QEMU_TREE}`);
  return QEMU_TREE;
}

if (process.argv[1]?.endsWith('qemuSource.mjs')) {
  try {
    process.stdout.write(`${ensureQemuSource()}\n`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
