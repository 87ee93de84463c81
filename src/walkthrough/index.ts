// The Get Started walkthrough's own command: the gdb command file that captures a session.

import * as vscode from 'vscode';
import { captureScript } from '../model/capture';

export function registerWalkthrough(): vscode.Disposable {
  return vscode.commands.registerCommand('qemuBlockTrace.copyCaptureScript', async () => {
    await vscode.env.clipboard.writeText(captureScript());
    void vscode.window.showInformationMessage(
      vscode.l10n.t('QEMU Block Trace: a gdb capture script is on the clipboard. Save it as qbt-capture.gdb and start QEMU with: gdb -x qbt-capture.gdb --args QEMU ARGS…, then type run. gdb logs to qemu-block-trace.log.'),
    );
  });
}
