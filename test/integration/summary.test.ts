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

  it('shows the summary in a view beside the log: commands, their hits as links, what they did to the graph', async function () {
    if (!ui.available) this.skip();
    const text = await eventually(async () => {
      const t = await ui.screenText('body', 'webview');
      // the graph changes come with the replay
      return t.includes('root: over01 → mirror_top') ? t : undefined;
    }, 'the summary view with graph changes');
    assert.match(text, /snapshot-commit-complete\.gdb\.log 34 hits · 663 frames · 3 commands · 0 other backtraces/);
    assert.match(text, /block-commit device=over01 job-id=jobA qmp-shell, line 488 · job jobA 6 hits: #20–#25/);
    assert.match(text, /#20 \+ mirror_top —backing→ over01 #21 root: over01 → mirror_top #22 \+ job jobA —main node→ mirror_top/);
    assert.match(text, /blockdev-snapshot-sync .* inferred No command line in the log: inferred from frame #10 qmp_marshal_blockdev_snapshot_sync of hit #15\. 19 hits: #1–#19/);
    assert.match(text, /#19 root: drive01 → over01/);
    assert.match(text, /Everything in this log was understood\./);
    await ui.screenshot('summary');
  });

  it('a hit in the summary is a link to its line in the log', async function () {
    if (!ui.available) this.skip();
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.path.endsWith('snapshot-commit-complete.gdb.log'))!;
    const header27 = doc.getText().split('\n').filter((l) => / hit Breakpoint 1, /.test(l))[26];
    const line27 = doc.getText().split('\n').indexOf(header27);
    await ui.click('a:text-is("#27")', { frame: 'webview' });
    const editor = await eventually(() => {
      const e = vscode.window.activeTextEditor;
      return e?.document === doc && e.selection.active.line === line27 ? e : undefined;
    }, `the log at hit 27's header (line ${line27 + 1})`);
    assert.match(editor.document.lineAt(editor.selection.start.line).text, /hit Breakpoint 1, bdrv_replace_child_noperm/);
  });

  it('is what a person sees in the workbench: the status bar counts', async function () {
    if (!ui.available) this.skip();
    const status = await eventually(async () => (await ui.texts('.statusbar-item')).find((t) => t.includes('34 hits')), 'status bar entry');
    assert.match(status, /34 hits · 3 commands/);
  });
});
