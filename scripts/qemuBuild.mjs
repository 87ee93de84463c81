// `npm run qemu-build`: a debug qemu-storage-daemon and qemu-img built from Debian's QEMU 7.2 source
// (scripts/qemuSource.mjs) into the git-ignored `.qemu-cache/`, once per machine, for the tests that
// record real sessions with `qemu-block-trace record` (issue 15). About two minutes on two cores.
// Installing the build tools needs root (apt-get); without it, or offline, it says so and the
// recording tests are skipped. QBT_QEMU_BUILD=DIR uses a build of your own instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ensureQemuSource, run } from './qemuSource.mjs';

const TOOLS = ['ninja-build', 'meson', 'pkg-config', 'libglib2.0-dev', 'python3-venv', 'flex', 'bison', 'gdb'];

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** The build directory of a debug QEMU (build/storage-daemon/qemu-storage-daemon, build/qemu-img). */
export function ensureDebugQemu() {
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
  if (!['ninja', 'meson', 'pkg-config', 'flex', 'bison', 'gdb'].every(have)) {
    if (process.getuid?.() !== 0) throw new Error(`the build tools (${TOOLS.join(' ')}) are missing and installing them needs root`);
    process.stdout.write('[qemu-build] installing the build tools with apt-get (once)\n');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...TOOLS]);
  }
  process.stdout.write('[qemu-build] building a debug qemu-storage-daemon and qemu-img from Debian\'s QEMU 7.2 (about 2 minutes, once)\n');
  mkdirSync(build, { recursive: true });
  if (!existsSync(join(build, 'build.ninja'))) {
    run(
      join(tree, 'configure'),
      ['--target-list=', '--disable-system', '--disable-user', '--enable-tools', '--disable-docs', '--enable-debug', '--disable-werror', '--disable-install-blobs', '--disable-guest-agent', '--disable-slirp', '--disable-capstone'],
      build,
    );
  }
  run('ninja', ['-C', build, `-j${Math.max(1, cpus().length)}`, 'storage-daemon/qemu-storage-daemon', 'qemu-img']);
  if (!existsSync(qsd)) throw new Error(`the build gave no ${qsd}`);
  process.stdout.write(`[qemu-build] built in ${Math.round((Date.now() - t0) / 1000)} s: ${build}\n`);
  return build;
}

if (process.argv[1]?.endsWith('qemuBuild.mjs')) {
  try {
    process.stdout.write(`${ensureDebugQemu()}\n`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
