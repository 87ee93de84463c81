import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, reportFigure, ui } from './ui';
import { openSample, screenshotInThemes } from './workbench';

interface PanelState {
  uri?: string;
  hit?: number;
  drawn: { hit: number; layoutMs: number; nodes: number } | null;
  loads: number;
}

const panelState = () => vscode.commands.executeCommand<PanelState | undefined>('qemuBlockTrace.graphPanelState');

/** Wait until the webview has drawn hit `n`, and give back the text of its SVG. */
async function drawnHit(n: number): Promise<string> {
  await eventually(async () => ((await panelState())?.drawn?.hit === n ? true : undefined), `the panel to draw hit ${n}`);
  return eventually(async () => {
    const title = await ui.screenText('#title', 'webview');
    if (n > 0 && !title.startsWith(`Hit ${n} of`)) return undefined;
    return (await ui.svgTexts('#canvas svg text')).join(' ');
  }, `hit ${n} on screen`);
}

/** Each node's text lines joined by a space; each edge label's lines likewise. */
const joinLines = (selector: string) => ui.svgLabels(selector);
const svgNodes = () => joinLines('#canvas svg g.node');
const svgEdges = () => joinLines('#canvas svg g.edge');

describe('The block graph panel on the sample trace', () => {
  let doc: vscode.TextDocument;

  before(async function () {
    if (!ui.available) this.skip();
    ({ doc } = await openSample());
  });

  after(async () => {
    // leave the log as found: cursor before the first hit, no panel
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    if (editor) editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Show Block Graph opens beside the log and draws the hit at the cursor', async () => {
    const editor = vscode.window.activeTextEditor!;
    // the cursor inside hit 19 (its header is on line 461)
    const line19 = doc.getText().split('\n').findIndex((l, i) => i > 0 && /hit Breakpoint 1, bdrv_replace_child_noperm \(childp=0x7fffffffd5e8/.test(l));
    editor.selection = new vscode.Selection(line19 + 3, 0, line19 + 3, 0);
    const started = Date.now();
    await vscode.commands.executeCommand('qemuBlockTrace.showGraph');
    const svg = await drawnHit(19);
    reportFigure(`graph panel: opened and drew hit 19 in ${Date.now() - started} ms (webview load, Graphviz WASM load, layout)`);
    assert.ok(svg.includes('over01 [qcow2]'), svg);
    assert.ok(svg.includes('drive01'), svg);
    assert.ok(svg.includes('guest device'), svg);
    const explanation = await ui.screenText('#explanation', 'webview');
    assert.equal(explanation, 'guest device —root→ moved from drive01 to over01 (bdrv_append)');
    // the moved edge is marked, and drawn in the theme's colour for moves
    assert.equal((await ui.attributes('#canvas svg g.edge.bg-moved', 'id', 'webview')).length, 1);
    assert.equal(vscode.window.tabGroups.all.length, 2, 'the panel opens beside the log');
  });

  it('stepping to hit 25 shows over01, drive01, the filter and job jobA with its three edges', async () => {
    await ui.click('#slider', { frame: 'webview' });
    // from wherever the click put it, go to the first hit, then step with the keyboard
    await ui.press('Home');
    await drawnHit(1);
    await ui.click('button[data-action="nextCommand"]', { frame: 'webview' });
    const svg20 = await drawnHit(20);
    assert.ok(svg20.includes('[mirror_top]'), svg20);
    for (let i = 0; i < 5; i++) await ui.press('ArrowRight');
    const svg = await drawnHit(25);
    const nodes = await svgNodes();
    for (const want of ['over01 [qcow2] 0x5555578ddc80', 'drive01 0x555556a7ae40', '[mirror_top] 0x5555578d7870', 'commit job (jobA) 0x555556f9acd0', "jobA's BlockBackend 0x555557363a80"]) assert.ok(nodes.includes(want), `${want} in ${nodes.join(' | ')}`);
    const edges = await svgEdges();
    for (const want of ['main node', 'source', 'target', 'backing', 'file', 'root']) assert.ok(edges.some((e) => e.startsWith(want)), `${want} in ${edges.join(' | ')}`);
    assert.ok(svg.includes('target ____ / wrus'), svg);
    assert.equal(await ui.screenText('#explanation', 'webview'), 'attach job jobA —target→ drive01');
    // stepping drove the editor: the cursor is on hit 25's header
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc)!;
    assert.match(doc.lineAt(editor.selection.active.line).text, /hit Breakpoint 1, bdrv_replace_child_noperm \(childp=0x7fffffffd358, new_bs=0x555556a7ae40/);
    await vscode.commands.executeCommand('notifications.clearAll');
    await ui.screenshot('graph-panel-hit25');
  });

  it('clicking a node shows its details and highlights its pointer in the log', async () => {
    await ui.click('#canvas svg g.node:has-text("over01")', { frame: 'webview' });
    const details = await eventually(async () => {
      const t = await ui.screenText('#details', 'webview');
      return t.includes('over01') ? t : undefined;
    }, 'node details');
    assert.match(details, /Driver qcow2/);
    assert.match(details, /Address 0x5555578ddc80/);
    assert.match(details, /Parents .*mirror_top —backing→/);
    await vscode.commands.executeCommand('notifications.clearAll');
    await ui.screenshot('graph-panel-details');
  });

  it('stepping to hit 34 leaves only the device’s root edge to drive01', async () => {
    await ui.click('button[data-action="last"]', { frame: 'webview' });
    await drawnHit(34);
    const edges = await svgEdges();
    // the edge hit 34 removed is drawn dashed; one edge stays
    assert.deepEqual(await ui.svgTexts('#canvas svg g.edge:not(.bg-removed) text'), ['root']);
    assert.ok(edges.some((e) => e.startsWith('file')), 'the removed file edge is still drawn, dashed');
    assert.equal((await ui.attributes('#canvas svg g.edge.bg-removed', 'id', 'webview')).length, 1);
    assert.deepEqual((await joinLines('#canvas svg g.node:not(.bg-probably-freed)')).sort(), ['drive01 0x555556a7ae40', 'guest device (before the log)']);
  });

  it('a reloaded page comes back at its hit (setState)', async () => {
    const before = (await panelState())!.loads;
    await vscode.commands.executeCommand('workbench.action.webview.reloadWebviewAction');
    await eventually(async () => ((await panelState())!.loads > before ? true : undefined), 'the page to load again');
    await drawnHit(34);
    const title = await eventually(async () => {
      const t = await ui.screenText('#title', 'webview');
      return t.startsWith('Hit 34 of 34') ? t : undefined;
    }, 'the reloaded page at hit 34');
    assert.match(title, /^Hit 34 of 34 · block-job-complete device=jobA/);
  });

  it('exports the state as DOT and as the SVG drawn', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const window = vscode.window as unknown as { showSaveDialog: typeof vscode.window.showSaveDialog };
    const original = window.showSaveDialog;
    const saved: vscode.Uri[] = [];
    try {
      window.showSaveDialog = async (o) => {
        const uri = o!.defaultUri!;
        saved.push(uri);
        return uri;
      };
    } catch {
      return; // the API object is read-only in this VS Code: nothing to stub the dialog with
    }
    try {
      await ui.click('button[data-action="exportDot"]', { frame: 'webview' });
      await ui.click('button[data-action="exportSvg"]', { frame: 'webview' });
      const files = await eventually(async () => {
        if (saved.length < 2) return undefined;
        try {
          return await Promise.all(saved.map(async (u) => new TextDecoder().decode(await vscode.workspace.fs.readFile(u))));
        } catch {
          return undefined;
        }
      }, 'both files written');
      assert.deepEqual(saved.map((u) => path.basename(u.fsPath)).sort(), ['snapshot-commit-complete-hit34.dot', 'snapshot-commit-complete-hit34.svg']);
      assert.ok(saved.every((u) => u.fsPath.startsWith(folder.fsPath)));
      const dot = files[saved.findIndex((u) => u.fsPath.endsWith('.dot'))];
      const svg = files[saved.findIndex((u) => u.fsPath.endsWith('.svg'))];
      assert.match(dot, /^digraph "block graph after hit 34" \{/);
      assert.match(dot, /label="root", .*class="bg-edge bg-pre-existing"/);
      assert.match(svg, /<svg [^>]*viewBox=/);
      assert.ok(svg.includes('>drive01<'));
    } finally {
      window.showSaveDialog = original;
      await vscode.commands.executeCommand('notifications.clearAll');
    }
  });

  it('draws in the theme’s colours, dark and light', async () => {
    await ui.click('button[data-action="previousCommand"]', { frame: 'webview' });
    await drawnHit(26);
    await ui.click('button[data-action="previousCommand"]', { frame: 'webview' });
    await drawnHit(20);
    await ui.click('button[data-action="previous"]', { frame: 'webview' });
    await drawnHit(19);
    await screenshotInThemes('graph-panel');
  });

  it('the panel follows the editor cursor and the Hits tree', async () => {
    const editor = await vscode.window.showTextDocument(doc, { preserveFocus: false, viewColumn: vscode.ViewColumn.One });
    const line = doc.getText().split('\n').findIndex((l) => /hit Breakpoint 1, bdrv_replace_child_noperm \(childp=0x7fffffffd798, new_bs=0x555556a7ae40/.test(l));
    editor.selection = new vscode.Selection(line + 2, 0, line + 2, 0);
    await drawnHit(27);
    assert.equal(await ui.screenText('#explanation', 'webview'), 'mirror_top —backing→ moved from over01 to drive01');
    await vscode.commands.executeCommand('qemuBlockTrace.revealHit', 22);
    await drawnHit(22);
  });

  it('the overview a user sees: the Hits view, the log at hit 19, and its graph beside it', async () => {
    const VIEW = '.pane:has(.pane-header:has-text("Hits"))';
    await vscode.commands.executeCommand('qemuBlockTrace.revealHit', 19);
    if (!(await panelState())) await vscode.commands.executeCommand('qemuBlockTrace.showGraph');
    await drawnHit(19);
    // the tree has the hit selected under its command, the editor shows its header, the panel its change
    const selected = await eventually(async () => (await ui.rows(`${VIEW} .monaco-list-row`)).find((r) => r.selected), 'a selected row');
    assert.match(`${selected.label} ${selected.description}`, /^#19 /);
    assert.match(await ui.editorText(), /hit Breakpoint 1, bdrv_replace_child_noperm \(childp=0x7fffffffd5e8/);
    assert.equal(await ui.screenText('#explanation', 'webview'), 'guest device —root→ moved from drive01 to over01 (bdrv_append)');
    await eventually(async () => ((await ui.screenText('.editor-group-container.active .breadcrumbs-control')).includes('#19 ') ? true : undefined), 'the breadcrumb at hit 19');
    await vscode.commands.executeCommand('notifications.clearAll');
    await ui.screenshot('overview');
  });

  it('a hit’s tooltip in the Hits view says what it did to the graph', async () => {
    const VIEW = '.pane:has(.pane-header:has-text("Hits"))';
    await vscode.commands.executeCommand('qemuBlockTrace.revealHit', 21);
    const row = `${VIEW} .monaco-list-row:has-text("#21 ")`;
    await ui.waitFor(row);
    await ui.hover(row);
    const hover = '.monaco-hover:has-text("Block graph:"), .workbench-hover:has-text("Block graph:")';
    await ui.waitFor(hover);
    assert.match(await ui.screenText(hover), /Block graph: guest device —root→ moved from over01 to mirror_top \(bdrv_append\) — Show graph/);
    await ui.press('Escape');
  });

  it('the Show graph code lens opens the graph at its hit', async () => {
    const editor = await vscode.window.showTextDocument(doc, { preserveFocus: false, viewColumn: vscode.ViewColumn.One });
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    editor.revealRange(new vscode.Range(0, 0, 0, 0), vscode.TextEditorRevealType.AtTop);
    await eventually(() => (editor.visibleRanges[0]?.start.line === 0 ? true : undefined), 'the log at its top');
    // the lens above hit 1, once the editor has stopped scrolling and drawn it
    const lens = '.contentWidgets .codelens-decoration a:has-text("Show graph") >> visible=true';
    await eventually(async () => {
      try {
        await ui.click(lens, { timeout: 2_000 });
        return true;
      } catch {
        return undefined;
      }
    }, 'a Show graph lens to click', 20_000);
    await drawnHit(1);
    assert.match(await ui.screenText('#explanation', 'webview'), /^attach BlockBackend 0x555557158250 —root→ /);
  });
});
