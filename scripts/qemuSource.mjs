// `npm run qemu-source`: QEMU's own source tree (Debian's `qemu` source package, 7.2) in the
// git-ignored cache `.qemu-cache/`, for the tests that hold source navigation against a real tree
// of another version than the sample's binary (7.1). Debian's source lists are derived from the
// machine's own, in a private folder: the system's apt configuration is not changed.
// `node scripts/qemuSource.mjs 10`: QEMU 10.0 from Debian trixie's source package instead, with the
// Meson it needs (bookworm's is too old) downloaded, not installed, from bookworm-backports; both
// through another private apt folder (`.qemu-cache/apt-qemu10/`), for scripts/qemuBuild.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/testEnv.mjs';

export const QEMU_CACHE = join(ROOT, '.qemu-cache');
export const QEMU_TREE = join(QEMU_CACHE, 'qemu-7.2.0');

/** Run a command quietly (with extra environment variables `env`); a failure throws with its last lines. */
export function run(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', ...env } });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status}`}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-5).join('\n')}`);
  return r.stdout;
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

// QEMU 10.0: Debian trixie's source, and bookworm-backports' Meson (QEMU 10 wants >= 1.5, bookworm
// has 1.0.1; the `+ds` orig tarball drops QEMU's vendored wheels), through a private apt folder
const APT10 = join(QEMU_CACHE, 'apt-qemu10');
const APT10_SOURCES = ['Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie', 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports']
  .map((s) => `${s}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`)
  .join('\n');
export const MESON_DIR = join(QEMU_CACHE, 'meson-bookworm-backports');
/** Where the extracted Meson and pycotap are importable from (a PYTHONPATH entry). */
export const MESON_SITE = join(MESON_DIR, 'root', 'usr', 'lib', 'python3', 'dist-packages');
let apt10Updated = false;

/** apt-get options for the private QEMU 10 folder, its lists fetched once per process. */
function apt10() {
  const o = ['-o', 'Dir::Etc::sourcelist=/dev/null', '-o', `Dir::Etc::sourceparts=${join(APT10, 'parts')}`, '-o', `Dir::State::Lists=${join(APT10, 'lists')}`, '-o', `Dir::Cache=${join(APT10, 'cache')}`];
  if (apt10Updated) return o;
  if (!existsSync('/usr/share/keyrings/debian-archive-keyring.gpg')) throw new Error('no /usr/share/keyrings/debian-archive-keyring.gpg: QEMU 10 comes from Debian\'s archive, which this machine does not use');
  for (const d of ['parts', join('lists', 'partial'), join('cache', 'archives', 'partial')]) mkdirSync(join(APT10, d), { recursive: true });
  writeFileSync(join(APT10, 'parts', 'qemu10.sources'), APT10_SOURCES);
  try {
    run('apt-get', [...o, 'update', '-qq', '--error-on=any'], QEMU_CACHE);
  } catch (e) {
    throw new Error(`cannot fetch Debian's trixie and bookworm-backports lists from deb.debian.org (offline?)\n${e.message}`, { cause: e });
  }
  apt10Updated = true;
  return o;
}

const versionOf = (name) => name.match(/(\d+(?:\.\d+)+)/)?.[1].split('.').map(Number) ?? [];
const byVersion = (a, b) => {
  const [x, y] = [versionOf(a), versionOf(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
  return 0;
};

/** The newest unpacked QEMU 10 tree in the cache (`.qemu-cache/qemu-10.0.x`), if any. */
export function findQemu10Tree() {
  if (!existsSync(QEMU_CACHE)) return undefined;
  const trees = readdirSync(QEMU_CACHE).filter((f) => /^qemu-10\.\d+\.\d+$/.test(f) && existsSync(join(QEMU_CACHE, f, 'block.c')));
  return trees.length ? join(QEMU_CACHE, trees.sort(byVersion).at(-1)) : undefined;
}

/** QEMU 10.0's source tree from Debian trixie (whichever 10.x it has), downloaded once. */
export function ensureQemu10Source() {
  const found = findQemu10Tree();
  if (found) return found;
  mkdirSync(QEMU_CACHE, { recursive: true });
  const o = apt10();
  process.stdout.write('[qemu-source] downloading Debian trixie\'s qemu source package (about 40 MB, once)\n');
  run('apt-get', [...o, 'source', '--download-only', 'qemu'], QEMU_CACHE);
  const origs = readdirSync(QEMU_CACHE).filter((f) => /^qemu_\d+\.\d+\.\d+[^_]*\.orig\.tar\.xz$/.test(f) && !f.startsWith('qemu_7.2')).sort(byVersion);
  const orig = origs.at(-1);
  if (!orig) throw new Error('the trixie qemu source package was not downloaded');
  const version = versionOf(orig).join('.');
  if (!version.startsWith('10.')) throw new Error(`Debian trixie gave qemu ${version}, not 10.x (${orig})`);
  run('tar', ['xf', orig], QEMU_CACHE);
  const tree = join(QEMU_CACHE, `qemu-${version}`);
  if (!existsSync(join(tree, 'block.c'))) throw new Error(`${orig} did not unpack to ${tree}`);
  return tree;
}

/** Meson >= 1.5 and pycotap from bookworm-backports, extracted (not installed); returns MESON_SITE. */
export function ensureBackportsMeson() {
  const egg = () => (existsSync(MESON_SITE) ? readdirSync(MESON_SITE).find((f) => /^meson-[\d.]+\.(egg|dist)-info$/.test(f)) : undefined);
  const ok = () => egg() && existsSync(join(MESON_SITE, 'mesonbuild', 'mesonmain.py')) && existsSync(join(MESON_SITE, 'pycotap'));
  if (ok()) return MESON_SITE;
  const debs = join(MESON_DIR, 'debs');
  mkdirSync(debs, { recursive: true });
  const o = apt10();
  process.stdout.write('[qemu-source] downloading Meson and pycotap from bookworm-backports (about 2 MB, once; extracted, not installed)\n');
  run('apt-get', [...o, 'download', 'meson/bookworm-backports', 'python3-pycotap/bookworm-backports'], debs);
  for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) run('dpkg-deb', ['-x', join(debs, deb), join(MESON_DIR, 'root')]);
  if (!ok()) throw new Error(`the bookworm-backports meson and python3-pycotap packages did not give ${MESON_SITE}/mesonbuild and pycotap`);
  const [major, minor] = versionOf(egg());
  if (major < 1 || (major === 1 && minor < 5)) throw new Error(`bookworm-backports gave ${egg()}; QEMU 10 needs Meson >= 1.5`);
  return MESON_SITE;
}

if (process.argv[1]?.endsWith('qemuSource.mjs')) {
  try {
    process.stdout.write(`${process.argv[2] === '10' ? ensureQemu10Source() : ensureQemuSource()}\n`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
