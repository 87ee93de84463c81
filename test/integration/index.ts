// Entry point loaded by VS Code's extension host (code-server or desktop): runs every
// *.test.js beside it with mocha and reports the counts through $QBT_RESULTS.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { ui } from './ui';

export async function run(): Promise<void> {
  const lines: string[] = [`VS Code ${vscode.version} (${vscode.env.appName}, ${vscode.env.appHost}), extension host node ${process.version}`];
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const original = base.consoleLog;
  base.consoleLog = (...args: unknown[]) => {
    lines.push(stripAnsi(format(...args)));
    original(...args);
  };
  // QBT_GREP=text runs only the tests whose title contains it (while working on one feature)
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 120_000, ...(process.env.QBT_GREP ? { grep: process.env.QBT_GREP } : {}) });
  mocha.rootHooks({
    // a failing UI test leaves a picture of what the workbench showed
    async afterEach(this: Mocha.Context) {
      const t = this.currentTest;
      if (ui.available && t?.state === 'failed') await ui.screenshot(`failed-${t.fullTitle()}`).catch(() => undefined);
    },
  });
  // two sessions: a window on the examples folder runs *.test.js; a window with no folder (logs
  // opened one by one, as `code trace.log` does) runs *.onefile.test.js
  const onefile = process.env.QBT_SUITE === 'onefile';
  const mine = (n: string) => n.endsWith('.onefile.test.js') === onefile && n.endsWith('.test.js');
  for (const f of fs.readdirSync(__dirname).filter(mine).sort()) mocha.addFile(path.join(__dirname, f));
  const stats = await new Promise<Mocha.Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats!));
  });
  base.consoleLog = original;
  // figures the tests measured (timings), printed after the results
  const figures = ((globalThis as Record<string, unknown>).__qbtFigures as string[] | undefined) ?? [];
  if (figures.length > 0) lines.push('', 'measured:', ...figures.map((f) => `  ${f}`));
  const out = process.env.QBT_RESULTS;
  if (out) fs.writeFileSync(out, JSON.stringify({ passed: stats.passes, failed: stats.failures, pending: stats.pending, lines }));
  if (stats.failures > 0) throw new Error(`${stats.failures} integration tests failed`);
}

const ESC = String.fromCharCode(27);
function stripAnsi(s: string): string {
  return s.split(ESC).map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, ''))).join('');
}
