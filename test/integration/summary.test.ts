import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SummaryResult } from '../../src/summary';
import { eventually, ui } from './ui';
import { openSample } from './workbench';

const EXTENSION_ID = 'qemu-block-trace.qemu-block-trace';

describe('Show Summary on the sample trace', () => {
  let result: SummaryResult | undefined;

  before(async () => {
    await openSample();
  });

  it('opens the sample as a gdb trace and activates the extension', async () => {
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'gdb-trace');
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'extension is installed for development');
    await eventually(() => (ext.isActive ? true : undefined), 'activation on opening a trace');
  });

  it('reports 34 hits under the three commands with their hit ranges', async () => {
    result = await vscode.commands.executeCommand<SummaryResult>('qemuBlockTrace.showSummary');
    assert.ok(result, 'the command returns what it showed');
    assert.equal(result.hits, 34);
    assert.equal(result.commands, 3);
    const body = result.lines.slice(1).join('\n');
    assert.match(body, /hits 1-19 +\(19\) +blockdev-snapshot-sync node-name=drive01 snapshot-file=\/tmp\/overlay01\.qcow2 snapshot-node-name=over01 +\[inferred from qmp_marshal_blockdev_snapshot_sync/);
    assert.match(body, /hits 20-25 +\(6\) +block-commit device=over01 job-id=jobA +\[qmp-shell, line 488\]/);
    assert.match(body, /hits 26-34 +\(9\) +block-job-complete device=jobA +\[qmp-shell, line 684\]/);
    assert.match(result.lines[0], /34 hits \(663 frames\), 3 commands/);
  });

  it('shows the summary in an editor beside the log', async () => {
    const editor = await eventually(
      () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'qemu-block-trace-summary'),
      'the summary editor',
    );
    assert.equal(editor.document.getText().trimEnd().split('\n').length, result!.lines.length);
    assert.match(editor.document.getText(), /block-commit device=over01 job-id=jobA/);
  });

  it('is what a person sees in the workbench: the summary text and the status bar counts', async function () {
    if (!ui.available) this.skip();
    let seen = '';
    await eventually(async () => {
      seen = await ui.editorText();
      return seen.includes('block-job-complete device=jobA') ? true : undefined;
    }, 'summary text on screen').catch(() => assert.fail(`summary text not on screen; saw: ${seen.slice(0, 2000)}`));
    assert.match(seen, /hits 20-25 \(6\) block-commit device=over01 job-id=jobA \[qmp-shell, line 488\]/);
    const status = await eventually(async () => (await ui.texts('.statusbar-item')).find((t) => t.includes('34 hits')), 'status bar entry');
    assert.match(status, /34 hits · 3 commands/);
    await ui.screenshot('summary');
  });
});
