import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, ui } from './ui';

const HIT = (n: number) =>
  [
    `Thread 1 "qemu-system-x86" hit Breakpoint 1, bdrv_replace_child_noperm (childp=0x7ffd3ebf2b7${n}, new_bs=0x5555578ddc80, free_empty_child=true) at ../block.c:2843`,
    '2843\t    BdrvChild *child = *childp;',
    '(gdb) bt',
    '#0  bdrv_replace_child_noperm (childp=0x7ffd3ebf2b78, new_bs=0x5555578ddc80, free_empty_child=true) at ../block.c:2843',
    '#1  0x0000555555d68e99 in bdrv_detach_child (childp=0x7ffd3ebf2ca8) at ../block.c:3118',
    '(gdb) c',
    '',
  ].join('\n');

describe('Editing a trace', () => {
  let editor: vscode.TextEditor;

  before(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const doc = await vscode.workspace.openTextDocument({ language: 'gdb-trace', content: HIT(1) });
    editor = await vscode.window.showTextDocument(doc);
  });

  after(async () => {
    // leave no dirty editor behind: a save prompt would block the next suite
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('re-reads the log after an edit (debounced) and what is shown follows', async function () {
    if (!ui.available) this.skip();
    await eventually(async () => ((await ui.screenText('.statusbar-item')).includes('1 hit · 0 commands') ? true : undefined), 'status for one hit');
    await editor.edit((e) => e.insert(new vscode.Position(editor.document.lineCount, 0), `(QEMU) block-commit device=over01 job-id=jobA\n${HIT(2)}`));
    await eventually(async () => ((await ui.screenText('.statusbar-item')).includes('2 hits · 1 command') ? true : undefined), 'status after the edit');
    const result = await vscode.commands.executeCommand<{ lines: string[] }>('qemuBlockTrace.showSummary');
    assert.match(result!.lines.join('\n'), /hits 2 +\(1\) +block-commit device=over01 job-id=jobA/);
    assert.match(result!.lines.join('\n'), /hits 1 \(1\) {2}before any command/);
  });
});
