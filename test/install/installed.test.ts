// The extension as a user installs it: from the .vsix, into a fresh extensions folder, with no
// development path. Opens the example workspace and uses it as a new user would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseTrace } from '../../src/model/parser';
import { eventually, ui } from '../integration/ui';
import { writeQemuTree } from '../support/qemuTree';

const ID = 'qemu-block-trace.qemu-block-trace';

describe('The installed extension (from the .vsix)', () => {
  it('is installed from the package, not from the development folder', () => {
    const ext = vscode.extensions.getExtension(ID);
    assert.ok(ext, 'installed');
    assert.ok(!ext.extensionPath.startsWith(path.resolve(__dirname, '..', '..', '..')), `installed copy at ${ext.extensionPath}`);
    assert.equal(ext.packageJSON.version, JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version);
  });

  it('opens the example as a gdb trace, fills the Hits view, goes to definition, draws the graph', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const doc = await vscode.workspace.openTextDocument(path.join(folder, 'snapshot-commit-complete.gdb.log'));
    await vscode.window.showTextDocument(doc);
    await eventually(() => (doc.languageId === 'gdb-trace' ? true : undefined), 'the GDB Trace language');
    await eventually(() => (vscode.extensions.getExtension(ID)!.isActive ? true : undefined), 'activation');
    // the outline (the same model the tree uses) has the three commands
    const symbols = await eventually(async () => {
      const s = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
      return s && s.length > 0 ? s : undefined;
    }, 'symbols');
    assert.deepEqual(symbols.map((s) => s.name.split(' ')[0]), ['blockdev-snapshot-sync', 'block-commit', 'block-job-complete']);
    // the Hits view, as a person sees it
    if (ui.available) {
      await vscode.commands.executeCommand('workbench.view.extension.qemuBlockTrace');
      const rows = await eventually(async () => {
        const r = (await ui.rows('.pane:has(.pane-header:has-text("Hits")) .monaco-list-row')).map((x) => `${x.label} ${x.description}`);
        return r.length === 3 ? r : undefined;
      }, 'the three commands in the Hits view');
      assert.match(rows[1], /^block-commit device=over01 job-id=jobA 6 hits$/);
      await ui.screenshot('installed-hits');
    }
    // go to definition in a checkout: tree-sitter's WASM from the package
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-installed-tree-'));
    writeQemuTree(tree, parseTrace(doc.getText()), 'moved');
    await vscode.workspace.getConfiguration('qemuBlockTrace.source').update('root', tree, vscode.ConfigurationTarget.Global);
    try {
      const line = doc.lineAt(8).text;
      const locs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, new vscode.Position(8, line.indexOf('../block.c:2843') + 3));
      assert.equal(locs[0]?.uri.fsPath, path.join(tree, 'block.c'));
      assert.match(fs.readFileSync(locs[0].uri.fsPath, 'utf8').split('\n')[locs[0].range.start.line], /BdrvChild \*child = \*childp;/);
    } finally {
      await vscode.workspace.getConfiguration('qemuBlockTrace.source').update('root', undefined, vscode.ConfigurationTarget.Global);
    }
    // the graph panel: Graphviz's WASM and the page's CSS from the package
    await vscode.commands.executeCommand('qemuBlockTrace.showGraph', doc.uri, 19);
    const state = await eventually(async () => {
      const s = await vscode.commands.executeCommand<{ drawn: { hit: number; nodes: number } | null } | undefined>('qemuBlockTrace.graphPanelState');
      return s?.drawn?.hit === 19 ? s : undefined;
    }, 'the graph drawn at hit 19', 30_000);
    assert.ok(state.drawn!.nodes >= 4);
  });

  it('has a details page, as the Extensions view shows it: name, icon, description, README', async function () {
    if (!ui.available) this.skip();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // offline: the @installed list is local, while extension.open asks the gallery first
    await vscode.commands.executeCommand('workbench.extensions.search', '@installed QEMU Block Trace');
    await eventually(async () => ((await ui.screenText('.extensions-viewlet .monaco-list-row')).includes('QEMU Block Trace') ? true : undefined), 'the installed list');
    await ui.click('.extensions-viewlet .monaco-list-row:has-text("QEMU Block Trace")');
    const text = await eventually(async () => {
      const t = await ui.screenText('.extension-editor');
      return t.includes('QEMU Block Trace') && t.includes('Read gdb traces') ? t : undefined;
    }, 'the details page', 30_000);
    assert.match(text, /Read gdb traces of QEMU's block layer/);
    // the README, rendered in the page's own webview, as packed (no broken images)
    const readme = await eventually(async () => {
      const t = await ui.screenText('body', 'webview');
      return t.includes('Install') && t.includes('Commands and settings') ? t : undefined;
    }, 'the README on the details page', 30_000);
    assert.match(readme, /QEMU Block Trace/);
    const images = await ui.attributes('img', 'src', 'webview');
    assert.ok(images.every((src) => src !== null && !src.startsWith('media/')), `no relative images: ${images.join(', ')}`);
    await ui.screenshot('installed-details');
  });
});
