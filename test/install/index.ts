// Loaded by VS Code as the tests of a small harness extension, while the extension under test is
// the one installed from the .vsix (not the development folder): runs every *.test.js beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const lines: string[] = [];
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const original = base.consoleLog;
  base.consoleLog = (...args: unknown[]) => {
    // without the colour escapes
    lines.push(format(...args).split(String.fromCharCode(27)).map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, ''))).join(''));
    original(...args);
  };
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000 });
  for (const f of fs.readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  const stats = await new Promise<Mocha.Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats!));
  });
  base.consoleLog = original;
  if (process.env.QBT_RESULTS) fs.writeFileSync(process.env.QBT_RESULTS, JSON.stringify({ passed: stats.passes, failed: stats.failures, pending: stats.pending, lines }));
  if (stats.failures > 0) throw new Error(`${stats.failures} install tests failed`);
}
