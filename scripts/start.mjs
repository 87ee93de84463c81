// `npm start`: build, then open VS Code on examples/ with this extension loaded.
// Desktop VS Code (`code` on PATH) gets --extensionDevelopmentPath; otherwise the code-server set
// up for the tests serves VS Code on loopback and this prints the address to open in a browser.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_SERVER_ENTRY, ROOT, ensureCodeServer, ensureDebianPackages } from './lib/testEnv.mjs';

const PORT = Number(process.env.QBT_PORT ?? 8080);
// the example opens in a folder of its own, outside this repository: no "git repository found in
// parent folders" prompt, and nothing the user does there touches the project
const EXAMPLES = join(tmpdir(), 'qemu-block-trace-example');
cpSync(join(ROOT, 'examples'), EXAMPLES, { recursive: true });

/** Whether something already listens on the port (then say so, with the fix, instead of a stack trace). */
function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Wait until code-server answers, so the address is printed only when it works. */
async function answers(url, server, ms = 90_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) return false;
    try {
      if ((await fetch(url)).status < 500) return true;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

// What code-server prints that is harmless here: no marketplace offline, optional native modules.
const HARMLESS = /open-vsx|marketplace|gallery|spdlog|native-watchdog|build\/Release|Could not locate the bindings file|ENOTFOUND|getaddrinfo|update check/i;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')]);

const code = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' }).stdout.trim();
if (code && !process.argv.includes('--code-server')) {
  process.stdout.write(`Opening ${EXAMPLES} in VS Code with the extension from ${ROOT}\n`);
  const child = spawn(code, ['--extensionDevelopmentPath', ROOT, EXAMPLES, join(EXAMPLES, 'snapshot-commit-complete.gdb.log')], { stdio: 'inherit' });
  child.on('exit', (c) => process.exit(c ?? 0));
} else {
  try {
    ensureDebianPackages({ forTests: false });
    ensureCodeServer();
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  if (!(await portIsFree(PORT))) {
    process.stderr.write(`Port ${PORT} on 127.0.0.1 is in use (another npm start?). Stop that, or run with another port: QBT_PORT=8081 npm start\n`);
    process.exit(1);
  }
  const profile = join(ROOT, '.vscode-test', 'start-profile');
  mkdirSync(join(profile, 'user-data', 'User'), { recursive: true });
  // a quiet profile: no prompts about git repositories, tips or updates
  writeFileSync(
    join(profile, 'user-data', 'User', 'settings.json'),
    JSON.stringify({ 'git.openRepositoryInParentFolders': 'never', 'workbench.startupEditor': 'none', 'extensions.ignoreRecommendations': true, 'telemetry.telemetryLevel': 'off', 'update.mode': 'none' }, null, 2),
  );
  const remote = (p) => `vscode-remote://127.0.0.1:${PORT}${p}`;
  const payload = [['extensionDevelopmentPath', remote(ROOT)], ['skipWelcome', 'true']];
  const url = `http://127.0.0.1:${PORT}/?folder=${encodeURIComponent(EXAMPLES)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const server = spawn(
    process.execPath,
    [CODE_SERVER_ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${PORT}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--disable-getting-started-override', '--user-data-dir', join(profile, 'user-data'), '--extensions-dir', join(profile, 'extensions'), EXAMPLES],
    // no marketplace (EXTENSIONS_GALLERY={}): offline, every lookup would fail
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EXTENSIONS_GALLERY: '{}' } },
  );
  // what it says on stderr, less what is harmless offline
  let pending = '';
  server.stderr.on('data', (d) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) if (l.trim() && !HARMLESS.test(l) && !/^\s+at /.test(l)) process.stderr.write(`code-server: ${l}\n`);
  });
  if (!(await answers(`http://127.0.0.1:${PORT}/healthz`, server))) {
    process.stderr.write(`code-server did not start on 127.0.0.1:${PORT}.\n`);
    server.kill('SIGTERM');
    process.exit(1);
  }
  process.stdout.write(
    `\nVS Code (code-server) with QEMU Block Trace loaded is serving ${EXAMPLES}.\n` +
      `Open this address in a browser on this machine (set QBT_PORT to use another port):\n\n  ${url}\n\n` +
      'Then open snapshot-commit-complete.gdb.log from the Explorer. Ctrl+C stops the server.\n',
  );
  const stop = () => server.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.on('exit', (c) => process.exit(c ?? 0));
}
