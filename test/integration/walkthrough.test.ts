import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, ui } from './ui';

describe('The Get Started walkthrough', () => {
  it('opens with its four steps, and Copy gdb Capture Script puts the script on the clipboard', async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', 'qemu-block-trace.qemu-block-trace#qemuBlockTrace.getStarted', false);
    if (ui.available) {
      const text = await eventually(async () => {
        const t = await ui.screenText('.gettingStartedContainer');
        return t.includes('Capture your own session') ? t : undefined;
      }, 'the walkthrough on screen');
      for (const step of ['Open the bundled example', 'Choose your QEMU source folder', 'Show the block graph', 'Capture your own session']) assert.ok(text.includes(step), step);
      await ui.screenshot('walkthrough');
    }
    await vscode.commands.executeCommand('qemuBlockTrace.copyCaptureScript');
    const clip = await vscode.env.clipboard.readText();
    assert.match(clip, /^break bdrv_replace_child_noperm$/m);
    assert.match(clip, /^set logging file qemu-block-trace\.log$/m);
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
