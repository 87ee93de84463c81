// `npm run qemu-build`: a debug qemu-storage-daemon and qemu-img built from Debian's QEMU 7.2 source
// (scripts/qemuSource.mjs) into the git-ignored `.qemu-cache/`, once per machine, for the tests that
// record real sessions with `qemu-block-trace record` (issue 15). About two minutes on two cores.
// Installing the build tools needs root (apt-get); without it, or offline, it says so and the
// recording tests are skipped. QBT_QEMU_BUILD=DIR uses a build of your own instead.
// ensureDebugQemu('10.0') (ensureDebugQemu10()) builds the same two from Debian trixie's QEMU 10.0
// into `.qemu-cache/qemu-10.0.x/build` (under a minute on two cores, once; QBT_QEMU10_BUILD=DIR
// uses your own). Its Meson comes from bookworm-backports, extracted into the cache, not installed.
// `node scripts/qemuBuild.mjs` builds both and prints both build directories; `... 10` only 10.0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ensureBackportsMeson, ensureQemu10Source, ensureQemuSource, findQemu10Tree, run } from './qemuSource.mjs';

const TOOLS = ['ninja-build', 'meson', 'pkg-config', 'libglib2.0-dev', 'python3-venv', 'flex', 'bison', 'gdb'];
const CONFIGURE_FLAGS = ['--target-list=', '--disable-system', '--disable-user', '--enable-tools', '--disable-docs', '--enable-debug', '--disable-werror', '--disable-install-blobs', '--disable-guest-agent', '--disable-slirp', '--disable-capstone'];
const TARGETS = ['storage-daemon/qemu-storage-daemon', 'qemu-img'];
// QEMU 10's configure with the system's Python, not a pyenv shim first on PATH
const PYTHON = '/usr/bin/python3';

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const seconds = (t0) => `${Math.round((Date.now() - t0) / 1000)} s`;
const built = (build) => existsSync(join(build, 'storage-daemon', 'qemu-storage-daemon')) && existsSync(join(build, 'qemu-img'));

function ensureTools() {
  if (['ninja', 'meson', 'pkg-config', 'flex', 'bison', 'gdb'].every(have)) return;
  if (process.getuid?.() !== 0) throw new Error(`the build tools (${TOOLS.join(' ')}) are missing and installing them needs root`);
  process.stdout.write('[qemu-build] installing the build tools with apt-get (once)\n');
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...TOOLS]);
}

/**
 * The build directory of a debug QEMU (build/storage-daemon/qemu-storage-daemon, build/qemu-img):
 * `version` '7.2' (the default, Debian bookworm's) or '10.0' (Debian trixie's).
 */
export function ensureDebugQemu(version = '7.2') {
  if (version === '10' || version === '10.0') return ensureDebugQemu10();
  if (version !== '7.2') throw new Error(`no debug QEMU ${version}: 7.2 or 10.0`);
  if (process.env.QBT_QEMU_BUILD) {
    const b = process.env.QBT_QEMU_BUILD;
    if (!existsSync(join(b, 'storage-daemon', 'qemu-storage-daemon'))) throw new Error(`QBT_QEMU_BUILD=${b} has no storage-daemon/qemu-storage-daemon`);
    return b;
  }
  const tree = ensureQemuSource();
  const build = join(tree, 'build');
  const qsd = join(build, 'storage-daemon', 'qemu-storage-daemon');
  if (existsSync(qsd) && existsSync(join(build, 'qemu-img')) && have('gdb')) return build;
  const t0 = Date.now();
  ensureTools();
  process.stdout.write('[qemu-build] building a debug qemu-storage-daemon and qemu-img from Debian\'s QEMU 7.2 (about 2 minutes, once)\n');
  mkdirSync(build, { recursive: true });
  if (!existsSync(join(build, 'build.ninja'))) {
    run(join(tree, 'configure'), CONFIGURE_FLAGS, build);
  }
  run('ninja', ['-C', build, `-j${Math.max(1, cpus().length)}`, ...TARGETS]);
  if (!existsSync(qsd)) throw new Error(`the build gave no ${qsd}`);
  process.stdout.write(`[qemu-build] built in ${Math.round((Date.now() - t0) / 1000)} s: ${build}\n`);
  return build;
}

/** The build directory of a debug QEMU 10.0 from Debian trixie's source, built once per machine. */
export function ensureDebugQemu10() {
  if (process.env.QBT_QEMU10_BUILD) {
    const b = process.env.QBT_QEMU10_BUILD;
    if (!existsSync(join(b, 'storage-daemon', 'qemu-storage-daemon'))) throw new Error(`QBT_QEMU10_BUILD=${b} has no storage-daemon/qemu-storage-daemon`);
    return b;
  }
  const cached = findQemu10Tree();
  if (cached && built(join(cached, 'build')) && have('gdb')) return join(cached, 'build');
  ensureTools();
  if (!existsSync(PYTHON)) throw new Error(`no ${PYTHON}: QEMU 10's configure runs with the system's Python 3`);
  let t0 = Date.now();
  const tree = ensureQemu10Source();
  const mesonSite = ensureBackportsMeson();
  process.stdout.write(`[qemu-build] source and Meson ready in ${seconds(t0)}\n`);
  const build = join(tree, 'build');
  process.stdout.write(`[qemu-build] building a debug qemu-storage-daemon and qemu-img from Debian's QEMU ${tree.split('qemu-').at(-1)} (about a minute, once)\n`);
  mkdirSync(build, { recursive: true });
  if (!existsSync(join(build, 'build.ninja'))) {
    t0 = Date.now();
    // mkvenv takes a Meson it can import over the wheel it would install (the `+ds` tarball has none)
    run(join(tree, 'configure'), [`--python=${PYTHON}`, ...CONFIGURE_FLAGS], build, { PYTHONPATH: mesonSite });
    process.stdout.write(`[qemu-build] configured in ${seconds(t0)}\n`);
  }
  // ... and the venv keeps importing it without PYTHONPATH, for ninja's own Meson runs (also by hand)
  const lib = join(build, 'pyvenv', 'lib');
  const site = existsSync(lib) && readdirSync(lib).find((d) => /^python3\.\d+$/.test(d));
  if (!site) throw new Error(`configure left no ${lib}/python3.*: cannot point its venv at ${mesonSite}`);
  writeFileSync(join(lib, site, 'site-packages', 'qbt-backports-meson.pth'), `${mesonSite}\n`);
  t0 = Date.now();
  run('ninja', ['-C', build, `-j${Math.max(1, cpus().length)}`, ...TARGETS]);
  if (!built(build)) throw new Error(`the build gave no ${join(build, TARGETS[0])} or qemu-img`);
  process.stdout.write(`[qemu-build] built in ${seconds(t0)}: ${build}\n`);
  return build;
}

if (process.argv[1]?.endsWith('qemuBuild.mjs')) {
  try {
    if (process.argv[2] !== '10') process.stdout.write(`${ensureDebugQemu()}\n`);
    process.stdout.write(`${ensureDebugQemu10()}\n`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
