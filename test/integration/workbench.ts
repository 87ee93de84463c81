// What several suites do to the workbench: open the sample log on a clean editor area, and
// photograph a view in a dark and a light theme.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, ui } from './ui';

/** The sample session in the test workspace (a temporary copy of examples/). */
export const SAMPLE_NAME = 'snapshot-commit-complete.gdb.log';

/** Close every editor, then open the sample log and show it. */
export async function openSample(): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the test workspace is not open');
  const doc = await vscode.workspace.openTextDocument(path.join(folder.uri.fsPath, SAMPLE_NAME));
  const editor = await vscode.window.showTextDocument(doc);
  return { doc, editor };
}

/**
 * Close every editor, open the log at `file` and show it, and wait until it is a trace (detection
 * switches a `.log` to the GDB Trace language after it opens): the document as it is then.
 */
export async function openAsTrace(file: string): Promise<vscode.TextDocument> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  return eventually(() => (vscode.window.activeTextEditor?.document.languageId === 'gdb-trace' ? vscode.window.activeTextEditor.document : undefined), 'the trace language');
}

/** Screenshots `<name>-dark` and `<name>-light`, then the user's theme again. */
export async function screenshotInThemes(name: string): Promise<void> {
  const workbench = vscode.workspace.getConfiguration('workbench');
  try {
    for (const [theme, suffix] of [
      ['Default Dark Modern', 'dark'],
      ['Default Light Modern', 'light'],
    ]) {
      await workbench.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      await new Promise((r) => setTimeout(r, 800));
      await vscode.commands.executeCommand('notifications.clearAll');
      await ui.screenshot(`${name}-${suffix}`);
    }
  } finally {
    await workbench.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
  }
}
