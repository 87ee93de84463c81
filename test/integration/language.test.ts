import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, ui } from './ui';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');

describe('The log as a language', () => {
  before(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a gdb trace saved as .log opens as GDB Trace; another .log does not', async () => {
    const trace = await vscode.workspace.openTextDocument(path.join(FIXTURES, 'traces', 'snapshot-commit-complete.log'));
    await vscode.window.showTextDocument(trace);
    await eventually(() => (vscode.window.activeTextEditor?.document.languageId === 'gdb-trace' ? true : undefined), 'gdb-trace language on the .log');
    const other = await vscode.workspace.openTextDocument(path.join(FIXTURES, 'detect', 'application.log'));
    await vscode.window.showTextDocument(other);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'log');
  });

  it('the outline has the 3 commands and the 34 hits', async () => {
    const doc = await vscode.workspace.openTextDocument(path.join(FIXTURES, 'traces', 'snapshot-commit-complete.log'));
    const editor = await vscode.window.showTextDocument(doc);
    await eventually(() => (editor.document.languageId === 'gdb-trace' || vscode.window.activeTextEditor?.document.languageId === 'gdb-trace' ? true : undefined), 'language');
    const uri = vscode.window.activeTextEditor!.document.uri;
    const symbols = await eventually(async () => {
      const s = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
      return s && s.length > 0 ? s : undefined;
    }, 'document symbols');
    assert.deepEqual(
      symbols.map((s) => s.name.split(' ')[0]),
      ['blockdev-snapshot-sync', 'block-commit', 'block-job-complete'],
    );
    assert.equal(symbols.reduce((n, s) => n + s.children.length, 0), 34);
    assert.equal(symbols[0].children[18].name, '#19 bdrv_replace_child_noperm — block.c:2843');
  });

  it('folding ranges cover every hit, and Fold Plumbing Frames folds the event loop away', async function () {
    const doc = vscode.window.activeTextEditor!.document;
    const ranges = await vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', doc.uri);
    const headers = doc
      .getText()
      .split('\n')
      .flatMap((l, i) => (/ hit Breakpoint \d+, /.test(l) ? [i] : []));
    assert.equal(headers.length, 34);
    for (const h of headers) assert.ok(ranges.some((r) => r.start === h && r.end > h), `a fold starts at hit header line ${h + 1}`);
    if (!ui.available) this.skip();
    await vscode.commands.executeCommand('qemuBlockTrace.foldPlumbingFrames');
    // line 11 of hit 1 is `#8 coroutine_trampoline`: folded, the lines below it are hidden
    await eventually(async () => ((await ui.editorText()).includes('#8 0x0000555555f09ab8 in coroutine_trampoline') && !(await ui.editorText()).includes('#9 0x00007ffff5043190 in __start_context') ? true : undefined), 'plumbing folded');
    await ui.screenshot('folded-plumbing');
    await vscode.commands.executeCommand('editor.unfoldAll');
  });
});
