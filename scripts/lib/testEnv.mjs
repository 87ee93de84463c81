// Sets up what the integration tests need on a fresh machine: Debian's Chromium and ripgrep
// (installed when running as root, else named), and code-server in a git-ignored cache, installed
// from npm the way real-vscode-tests.md describes (its own install scripts download ripgrep and
// refuse root, so they are skipped and the native modules are rebuilt by hand).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CODE_SERVER_VERSION = '4.100.3';
export const CACHE_DIR = join(ROOT, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
export const CODE_SERVER_ENTRY = join(CACHE_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = '/usr/bin/chromium';

/** Debian packages and the command each provides. */
const DEBIAN_PACKAGES = [
  { pkg: 'chromium', has: () => existsSync(CHROMIUM) },
  { pkg: 'ripgrep', has: () => which('rg') !== undefined },
  // headers for VS Code's kerberos module, rebuilt below
  { pkg: 'libkrb5-dev', has: () => existsSync('/usr/include/gssapi/gssapi.h') || existsSync('/usr/include/krb5.h') },
];

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})\n${out}`);
  }
  return r.stdout;
}

function log(msg) {
  process.stdout.write(`[test-env] ${msg}\n`);
}

/** Install (as root) or name the Debian packages; `forTests` adds the browser the tests drive. */
export function ensureDebianPackages({ forTests = true } = {}) {
  const missing = DEBIAN_PACKAGES.filter((p) => (forTests || p.pkg !== 'chromium') && !p.has()).map((p) => p.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      `${forTests ? 'The integration tests' : 'code-server'} need${forTests ? '' : 's'} these Debian packages: ${missing.join(' ')}.\n` +
        `Install them with: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env });
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
}

function npm(args, cwd) {
  // npm_config_yes: npm rebuild may ask; the cache is ours, scripts are run on purpose.
  return run('npm', args, { cwd, env: { ...process.env, npm_config_yes: 'true', npm_config_fund: 'false', npm_config_audit: 'false' } });
}

/** `4.100.3 <commit> with Code 1.100.3` out of what `--version` prints (it may log first). */
export function versionLine(output) {
  return output?.split('\n').find((l) => l.includes('with Code')) ?? output ?? 'unknown';
}

export function codeServerVersion() {
  if (!existsSync(CODE_SERVER_ENTRY)) return undefined;
  const r = spawnSync(process.execPath, [CODE_SERVER_ENTRY, '--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function ensureCodeServer() {
  const stamp = join(CACHE_DIR, '.complete');
  if (existsSync(stamp) && codeServerVersion()) return;
  log(`installing code-server ${CODE_SERVER_VERSION} into ${CACHE_DIR} (once; a few minutes)`);
  rmSync(CACHE_DIR, { recursive: true, force: true });
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(join(CACHE_DIR, 'package.json'), JSON.stringify({ name: 'code-server-cache', private: true }));
  npm(['install', '--no-save', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`], CACHE_DIR);
  const vscodeDir = join(CACHE_DIR, 'node_modules', 'code-server', 'lib', 'vscode');
  npm(['install', '--omit=dev', '--ignore-scripts'], vscodeDir);
  const rgDir = join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  mkdirSync(rgDir, { recursive: true });
  rmSync(join(rgDir, 'rg'), { force: true });
  symlinkSync(which('rg'), join(rgDir, 'rg'));
  npm(['rebuild', 'kerberos', 'node-pty', '@parcel/watcher'], vscodeDir);
  rmSync(join(vscodeDir, 'node_modules.asar'), { force: true });
  symlinkSync('node_modules', join(vscodeDir, 'node_modules.asar'));
  npm(['rebuild', 'argon2'], CACHE_DIR);
  const version = codeServerVersion();
  if (!version) throw new Error('code-server was installed but does not start (node entry.js --version failed)');
  writeFileSync(stamp, version);
  log(`code-server ready: ${versionLine(version)}`);
}

/** Everything the offline integration runner needs; throws with a clear message otherwise. */
export function ensureTestEnv() {
  ensureDebianPackages();
  ensureCodeServer();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureTestEnv();
    log(versionLine(codeServerVersion()));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
