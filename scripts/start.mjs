// `npm start`: build, then open VS Code on examples/ with this extension loaded.
// Desktop VS Code (`code` on PATH) gets --extensionDevelopmentPath; otherwise the code-server set
// up for the tests serves VS Code on loopback and this prints the address to open in a browser.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_SERVER_ENTRY, ROOT, ensureCodeServer, ensureDebianPackages } from './lib/testEnv.mjs';

const EXAMPLES = join(ROOT, 'examples');
const PORT = Number(process.env.QBT_PORT ?? 8080);

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
  const profile = join(ROOT, '.vscode-test', 'start-profile');
  mkdirSync(profile, { recursive: true });
  const remote = (p) => `vscode-remote://127.0.0.1:${PORT}${p}`;
  const payload = [['extensionDevelopmentPath', remote(ROOT)], ['skipWelcome', 'true']];
  const url = `http://127.0.0.1:${PORT}/?folder=${encodeURIComponent(EXAMPLES)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const server = spawn(
    process.execPath,
    [CODE_SERVER_ENTRY, '--auth', 'none', '--bind-addr', `127.0.0.1:${PORT}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
      '--user-data-dir', join(profile, 'user-data'), '--extensions-dir', join(profile, 'extensions'), EXAMPLES],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
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
