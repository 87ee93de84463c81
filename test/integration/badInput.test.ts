import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SummaryResult } from '../../src/summary';
import { eventually, ui } from './ui';

// out/test/integration → the repository's fixtures
const DAMAGED = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'malformed', 'damaged.gdb.log');

describe('A damaged log', () => {
  let original: Buffer;
  let doc: vscode.TextDocument;

  before(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    original = fs.readFileSync(DAMAGED);
    doc = await vscode.workspace.openTextDocument(DAMAGED);
    await vscode.window.showTextDocument(doc);
  });

  it('still opens as a trace, and the status bar says parts were not understood', async function () {
    assert.equal(doc.languageId, 'gdb-trace');
    if (!ui.available) this.skip();
    const status = await eventually(async () => (await ui.texts('.statusbar-item')).find((t) => t.includes('26 hits')), 'status bar entry');
    assert.match(status, /26 hits · 3 commands/);
    const icon = await ui.attributes('.statusbar-item:has-text("26 hits") .codicon', 'class');
    assert.ok(icon.some((c) => c?.includes('codicon-warning')), `warning icon, got ${icon.join(' | ')}`);
  });

  it('the summary keeps every good hit and lists each problem with its line', async () => {
    const result = await vscode.commands.executeCommand<SummaryResult>('qemuBlockTrace.showSummary');
    assert.ok(result);
    assert.equal(result.hits, 26);
    const notes = result.lines.filter((l) => l.trim().startsWith('note '));
    assert.deepEqual(
      notes.map((n) => n.trim()),
      [
        'note (1): lines hold binary data (control characters) and were skipped (line 101)',
        'note (1): frames break off before they are complete (the log is cut off) (line 693)',
        'note (1): the log ends inside a hit, before its backtrace was complete (line 688)',
        'note (1): lines start like a frame (#N) but could not be read as one (line 57)',
      ],
    );
    if (ui.available) {
      // the view lists them with links to their lines
      const text = await eventually(async () => {
        const t = await ui.screenText('body', 'webview');
        return t.includes('could not be read as one — line 57') ? t : undefined;
      }, 'notes on screen');
      assert.match(text, /Not understood 1 × lines hold binary data \(control characters\) and were skipped — line 101/);
      await ui.screenshot('damaged-log-summary');
    }
  });

  it('never changes the log', async () => {
    assert.equal(doc.isDirty, false);
    assert.ok(fs.readFileSync(DAMAGED).equals(original));
  });
});
