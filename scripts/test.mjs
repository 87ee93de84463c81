// `npm test`: type-check, lint, build, unit tests in Node, integration tests inside a real VS Code;
// ends with one line `N passed, N failed` over both suites.
//
//   npm test                        everything (integration in code-server + Chromium, offline)
//   npm test -- --unit              unit tests only
//   npm test -- --integration       integration tests only
//   npm test -- --electron          integration tests in desktop VS Code via @vscode/test-electron
//                                   (downloads VS Code: needs network)
//   npm test -- --verbose           workbench log lines, and keep the code-server log
//   npm test -- --integration --suite=onefile   one integration session only (folder or onefile)
import { spawnSync } from 'node:child_process';
import { readdirSync, mkdtempSync, readFileSync, existsSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Mocha from 'mocha';
import { ROOT, ensureTestEnv, versionLine } from './lib/testEnv.mjs';
import { ensureQemuSource } from './qemuSource.mjs';
import { ensureDebugQemu, ensureDebugQemu10 } from './qemuBuild.mjs';

const argv = process.argv.slice(2);
const electron = argv.includes('--electron');
const onlyUnit = argv.includes('--unit');
const onlyIntegration = argv.includes('--integration') || electron;
const verbose = argv.includes('--verbose');
// --suite=folder or --suite=onefile: only that integration session (while working on one)
const onlySuite = argv.find((a) => a.startsWith('--suite='))?.slice('--suite='.length);
const INTEGRATION_TIMEOUT_MS = 15 * 60_000;

let passed = 0;
let failed = 0;

function step(name, cmd, args) {
  process.stdout.write(`\n> ${name}\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`${name} failed\n`);
    failed++;
    return false;
  }
  return true;
}

function jsFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => join(dir, f));
}

async function unit() {
  // Debian's QEMU 7.2 source, once per machine, for the tests that resolve frames in a real tree
  // of another version; when it cannot be had those tests say so and skip
  if (!process.env.QBT_QEMU_TREE) {
    try {
      ensureQemuSource();
    } catch (e) {
      process.stdout.write(`[qemu-source] not available (${e.message.split('\n')[0]}): the real-tree tests will be skipped\n`);
    }
  }
  // a debug QEMU built from that source, once per machine, for the tests that record real sessions
  try {
    process.env.QBT_QEMU_BUILD = ensureDebugQemu();
  } catch (e) {
    process.stdout.write(`[qemu-build] no debug QEMU (${e.message.split('\n')[0]}): the recording tests will be skipped\n`);
  }
  // and QEMU 10.0 from trixie's source, to hold the recorder and the companion against a recent QEMU
  try {
    process.env.QBT_QEMU10_BUILD = ensureDebugQemu10();
  } catch (e) {
    process.stdout.write(`[qemu-build] no debug QEMU 10 (${e.message.split('\n')[0]}): the recording tests on QEMU 10 will be skipped\n`);
  }
  process.stdout.write('\n> unit tests (mocha, Node)\n');
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', timeout: 20_000 });
  for (const f of jsFiles(join(ROOT, 'out', 'test', 'unit'), '.test.js')) mocha.addFile(f);
  const stats = await new Promise((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats));
  });
  passed += stats.passes;
  failed += stats.failures;
  if (stats.tests === 0) {
    process.stdout.write('no unit tests ran\n');
    failed++;
  }
}

function reportIntegration(outcome, runnerName) {
  const r = outcome.results;
  if (r) {
    for (const line of r.lines) process.stdout.write(`${line}\n`);
    passed += r.passed;
    failed += r.failed;
    if (r.passed + r.failed === 0) {
      process.stdout.write('no integration tests ran\n');
      failed++;
    }
  }
  if (outcome.error) {
    process.stdout.write(`integration (${runnerName}): ${outcome.error}\n`);
    const errors = (outcome.workbenchErrors ?? []).map((e) => e.split('\n')[0]);
    if (errors.length) process.stdout.write(`last workbench errors:\n  ${errors.slice(-10).join('\n  ')}\n`);
    failed++;
  }
}

async function integrationCodeServer() {
  process.stdout.write('\n> integration tests (real VS Code: code-server + Chromium)\n');
  try {
    ensureTestEnv();
  } catch (e) {
    process.stdout.write(`${e.message}\n`);
    failed++;
    return;
  }
  const { runInCodeServer } = await import('./lib/codeServerRunner.mjs');
  // a window on the examples folder, then a window with no folder where logs are opened one by one
  for (const [suite, workspace] of [
    ['folder', join(ROOT, 'examples')],
    ['onefile', null],
  ]) {
    if (onlySuite && suite !== onlySuite) continue;
    process.stdout.write(`\n> ${suite === 'folder' ? 'a window on a folder (examples/)' : 'a window with no folder: logs opened as files'}\n`);
    const outcome = await runInCodeServer({
      extensionDir: ROOT,
      testsModule: join(ROOT, 'out', 'test', 'integration', 'index.js'),
      workspace,
      suite,
      timeoutMs: INTEGRATION_TIMEOUT_MS,
      screenshotDir: join(ROOT, 'test-results', 'screenshots'),
      verbose,
    });
    process.stdout.write(`code-server: ${versionLine(outcome.codeServer)}\n`);
    reportIntegration(outcome, `code-server, ${suite}`);
  }
  if (!onlySuite || onlySuite === 'install') await installTests(runInCodeServer);
}

/** The packages as users install them: the .vsix into a fresh VS Code, the CLI into a fresh npm prefix. */
async function installTests(runInCodeServer) {
  process.stdout.write('\n> the packages as users install them (npm run package)\n');
  let vsix;
  let cli;
  try {
    const { packageExtension, packageCli } = await import('./package.mjs');
    vsix = packageExtension();
    cli = packageCli();
    process.stdout.write(`${vsix.path}: ${(vsix.size / 1e6).toFixed(2)} MB; ${cli.path}: ${(cli.size / 1e6).toFixed(2)} MB\n`);
    // the .vsix holds exactly the allow-list (plus what vsce adds: its manifest and content types), packs without a warning, and is small
    const { VSIX_FILES } = await import('./package.mjs');
    const { zipEntries } = await import('./lib/zipList.mjs');
    const want = ['extension.vsixmanifest', '[Content_Types].xml', 'extension/package.json', 'extension/readme.md', 'extension/changelog.md', 'extension/LICENSE.txt', ...VSIX_FILES.filter((f) => f !== 'CHANGELOG.md' && f !== 'LICENSE').map((f) => `extension/${f}`)].sort();
    const got = zipEntries(vsix.path).sort();
    const problems = [];
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`files differ from the allow-list: extra ${got.filter((f) => !want.includes(f)).join(', ') || 'none'}; missing ${want.filter((f) => !got.includes(f)).join(', ') || 'none'}`);
    if (/WARNING/i.test(vsix.out)) problems.push(`vsce warned: ${vsix.out}`);
    if (vsix.size > 2.5e6) problems.push(`${(vsix.size / 1e6).toFixed(2)} MB is over 2.5 MB`);
    if (problems.length > 0) {
      process.stdout.write(`  ✘ the .vsix: ${problems.join('; ')}\n`);
      failed++;
    } else {
      process.stdout.write(`  ✔ the .vsix holds the ${got.length} files of the allow-list, packed with no warning, ${(vsix.size / 1e6).toFixed(2)} MB (at most 2.5)\n`);
      passed++;
    }
  } catch (e) {
    process.stdout.write(`packaging failed: ${e.message}\n`);
    failed++;
    return;
  }
  // the CLI: npm install -g of the package into a temporary prefix, then the sample's summary
  const prefix = mkdtempSync(join(tmpdir(), 'qbt-prefix-'));
  const inst = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', cli.path], { encoding: 'utf8' });
  const bin = join(prefix, 'bin', 'qemu-block-trace');
  const run = inst.status === 0 ? spawnSync(bin, ['summary', join(ROOT, 'examples', 'snapshot-commit-complete.gdb.log')], { encoding: 'utf8' }) : null;
  if (run?.status === 0 && /34 hits \(663 frames\), 3 commands/.test(run.stdout)) {
    process.stdout.write(`  ✔ npm install -g of the CLI package; qemu-block-trace summary on the sample: ${run.stdout.split('\n')[0]}\n`);
    passed++;
  } else {
    process.stdout.write(`  ✘ the installed CLI: ${inst.stderr || ''}${run ? `${run.stdout}${run.stderr}` : ''}\n`);
    failed++;
  }
  const outcome = await runInCodeServer({
    extensionDir: ROOT,
    testsModule: join(ROOT, 'out', 'test', 'install', 'index.js'),
    workspace: join(ROOT, 'examples'),
    suite: 'install',
    installVsix: vsix.path,
    timeoutMs: INTEGRATION_TIMEOUT_MS,
    screenshotDir: join(ROOT, 'test-results', 'screenshots'),
    verbose,
  });
  reportIntegration(outcome, 'code-server, installed .vsix');
}

async function integrationElectron() {
  process.stdout.write('\n> integration tests (desktop VS Code via @vscode/test-electron)\n');
  const { runTests } = await import('@vscode/test-electron');
  const tmp = mkdtempSync(join(tmpdir(), 'qbt-electron-'));
  const ws = join(tmp, 'workspace');
  cpSync(join(ROOT, 'examples'), ws, { recursive: true });
  const resultsFile = join(tmp, 'results.json');
  let error = null;
  try {
    await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: join(ROOT, 'out', 'test', 'integration', 'index.js'),
      launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust'],
      extensionTestsEnv: { QBT_RESULTS: resultsFile, QBT_TEST_WORKSPACE: ws },
    });
  } catch (e) {
    error = String(e?.message ?? e);
  }
  const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : null;
  reportIntegration({ results, error: results ? (results.failed > 0 ? null : error) : (error ?? 'no results') }, 'electron');
}

async function main() {
  step('type-check (tsc --noEmit)', process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.', '--noEmit']);
  step('type-check the graph panel page (tsc --noEmit)', process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'src/graphPanel/webview', '--noEmit']);
  step('lint (eslint)', process.execPath, [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.']);
  const built = step('build (esbuild)', process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--tests']);
  if (built) {
    if (!onlyIntegration) await unit();
    if (!onlyUnit) await (electron ? integrationElectron() : integrationCodeServer());
  }
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((e) => {
  process.stdout.write(`${e?.stack ?? e}\n${passed} passed, ${failed + 1} failed\n`);
  process.exitCode = 1;
});
