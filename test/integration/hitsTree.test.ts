import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, ui } from './ui';
import { openSample, SAMPLE_NAME } from './workbench';

const VIEW = '.pane:has(.pane-header:has-text("Hits"))';
const ROWS = `${VIEW} .monaco-list-row`;
const row = (text: string) => `${ROWS}:has-text("${text}")`;

/** Each row as `label description`, as it reads on screen. */
async function rowTexts(): Promise<string[]> {
  return (await ui.rows(ROWS)).map((r) => (r.description ? `${r.label} ${r.description}` : r.label));
}

describe('The Hits tree on the sample trace', () => {
  let doc: vscode.TextDocument;

  before(async function () {
    if (!ui.available) this.skip();
    const opened = await openSample();
    doc = opened.doc;
    const editor = opened.editor;
    // the cursor before the first hit, so the tree has nothing to follow yet
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('qemuBlockTrace.groupHitsBy', 'command');
    await vscode.commands.executeCommand('workbench.view.extension.qemuBlockTrace');
    // earlier suites (the graph panel follows hits) may have left groups expanded
    await new Promise((r) => setTimeout(r, 500));
    await vscode.commands.executeCommand('workbench.actions.treeView.qemuBlockTrace.hits.collapseAll');
    // a side bar wide enough to read: drag its edge, as a person would
    await ui.waitFor('.part.sidebar');
    await ui.dragEdge('.part.sidebar', 260);
  });

  it('lists the 3 commands with 19, 6 and 9 hits, the first marked inferred', async () => {
    // the rows of this grouping (an earlier suite may have left another, regrouped asynchronously)
    const rows = await eventually(async () => {
      const r = await rowTexts();
      if (r.length === 3 && r[0].startsWith('blockdev-snapshot-sync')) return r;
      throw new Error(`rows: ${r.join(' | ')}`);
    }, 'the tree grouped by command');
    assert.equal(rows.length, 3, rows.join(' | '));
    assert.match(rows[0], /^blockdev-snapshot-sync node-name=drive01 .* 19 hits$/);
    assert.match(rows[1], /^block-commit device=over01 job-id=jobA 6 hits$/);
    assert.match(rows[2], /^block-job-complete device=jobA 9 hits$/);
    const icons = (await ui.rows(ROWS)).map((r) => r.icon);
    assert.deepEqual(icons, ['lightbulb', 'terminal', 'terminal'], 'inferred, then typed commands');
  });

  it('expanding block-commit and clicking hit 21 moves the editor selection to log line 525', async () => {
    await ui.click(row('block-commit device=over01'));
    // each hit says what it did to the block graph (the replay), its caller beside it
    await eventually(async () => ((await rowTexts()).some((r) => r.startsWith('#21 root: over01 → mirror_top')) ? true : undefined), 'hits of block-commit');
    const rows = await rowTexts();
    assert.ok(rows.includes('#21 root: over01 → mirror_top ← bdrv_replace_child_tran'), rows.join(' | '));
    assert.ok(rows.includes('#20 + mirror_top —backing→ over01 ← bdrv_attach_child_common'), rows.join(' | '));
    assert.ok(rows.includes('#22 + job jobA —main node→ mirror_top ← bdrv_attach_child_common'), rows.join(' | '));
    await ui.click(row('#21 root: over01'));
    const editor = await eventually(() => {
      const e = vscode.window.visibleTextEditors.find((x) => x.document === doc);
      return e && e.selection.active.line === 524 ? e : undefined;
    }, 'editor selection on line 525');
    assert.equal(editor.selection.start.line, 524);
    assert.match(editor.document.lineAt(editor.selection.start.line).text, /hit Breakpoint 1, bdrv_replace_child_noperm \(childp=0x7fffffffd498/);
    await ui.screenshot('hits-tree');
  });

  it('a click just after the tree was rebuilt (relabelled, regrouped) still moves the editor', async () => {
    // The tree rebuilds when a replay ends (its rows relabelled), when a filter's names resolve, and
    // when regrouped; a rebuilt tree announces the selection it restores, which is not a choice.
    // A person's click that lands right after must still count (one was lost in a large log
    // when its replay ended as the row was clicked).
    const hits = [20, 22, 23];
    for (const n of hits) {
      await vscode.commands.executeCommand('qemuBlockTrace.groupHitsBy', 'command');
      await ui.click(row(`#${n} `));
      const line = await eventually(() => {
        const e = vscode.window.visibleTextEditors.find((x) => x.document === doc);
        const at = e?.selection.active.line;
        return at !== undefined && /hit Breakpoint/.test(doc.lineAt(at).text) && e!.document.getText().split('\n').slice(0, at).filter((l) => /hit Breakpoint/.test(l)).length === n - 1 ? at : undefined;
      }, `the editor at hit #${n} after a click right after the tree was rebuilt`, 10_000);
      assert.match(doc.lineAt(line).text, /hit Breakpoint 1, bdrv_replace_child_noperm/);
    }
  });

  it('expanding a hit shows its frames, with the event-loop frames folded', async () => {
    // clicking the hit may have expanded it already (the workbench's single-click expand)
    const hit21 = (await ui.rows(ROWS)).find((r) => r.label.startsWith('#21 '));
    if (!hit21?.expanded) await ui.click(`${row('#21 root: over01')} .monaco-tl-twistie`);
    const rows = await eventually(async () => {
      const r = await rowTexts();
      return r.some((x) => x.includes('event-loop frames')) ? r : undefined;
    }, 'frames of hit 21');
    assert.ok(rows.includes('#1 bdrv_replace_child_tran block.c:2444'), rows.join(' | '));
    assert.ok(rows.includes('#3 bdrv_append block.c:5343'), rows.join(' | '));
    assert.ok(rows.includes('… 12 event-loop frames'), rows.join(' | '));
  });

  it('putting the cursor on line 700 selects hit 26 in the tree', async () => {
    await vscode.window.showTextDocument(doc, { preserveFocus: false });
    await ui.press('Control+g');
    await ui.type('700');
    await ui.press('Enter');
    await eventually(() => (vscode.window.activeTextEditor?.selection.active.line === 699 ? true : undefined), 'cursor on line 700');
    const selected = await eventually(async () => {
      const r = (await ui.rows(ROWS)).find((x) => x.selected);
      return r?.label.startsWith('#26 ') ? `${r.label} ${r.description}` : undefined;
    }, 'hit 26 selected');
    assert.match(selected, /^#26 − jobA's BlockBackend —root→ drive01 ← bdrv_detach_child · job jobA$/);
    assert.equal(vscode.window.activeTextEditor?.selection.active.line, 699, 'the cursor stays where the user put it');
  });

  it('grouping by frame #1 (from the view title) shows the callers with their counts', async () => {
    // one view in the container: its actions sit in the side bar's title
    await ui.hover('.part.sidebar .composite.title');
    await ui.click('.part.sidebar .title-actions .action-label[aria-label^="Group Hits By"]');
    await ui.waitFor('.quick-input-widget .monaco-list-row:has-text("Caller")');
    await ui.click('.quick-input-widget .monaco-list-row:has-text("Caller")');
    const rows = await eventually(async () => {
      const r = await rowTexts();
      // only once the list is rebuilt: while it changes, old and new rows can be read together
      return r.length > 0 && r.every((x) => /^bdrv_\w+ \d+ hits?$/.test(x)) ? r : undefined;
    }, 'caller groups');
    assert.deepEqual(rows, ['bdrv_attach_child_common 15 hits', 'bdrv_detach_child 15 hits', 'bdrv_replace_child_tran 4 hits']);
    await ui.screenshot('hits-tree-by-caller');
  });

  it('the filter keeps the hits that mention a pointer, and says so', async () => {
    const pointer = '0x5555578d7870';
    // which hits print the pointer, read straight from the log's text: hit sections start at headers
    const sections = doc.getText().split(/\n(?=Thread \d+ "[^"]*" hit Breakpoint)/).slice(1);
    const mentioning = sections.map((s, i) => (s.includes(pointer) ? i + 1 : 0)).filter((i) => i > 0);
    const inCommit = mentioning.filter((i) => i >= 20 && i <= 25).length;
    const inComplete = mentioning.filter((i) => i >= 26).length;
    assert.equal(mentioning.length, inCommit + inComplete, 'the filter node appears only after block-commit');
    await vscode.commands.executeCommand('qemuBlockTrace.groupHitsBy', 'command');
    await vscode.commands.executeCommand('qemuBlockTrace.filterHits', pointer);
    const rows = await eventually(async () => {
      const r = await rowTexts();
      return r.some((x) => x.startsWith('block-commit')) && !r.some((x) => x.startsWith('blockdev-snapshot-sync')) ? r : undefined;
    }, 'filtered rows');
    assert.deepEqual(rows.filter((r) => !r.startsWith('#')), [`block-commit device=over01 job-id=jobA ${inCommit} hits`, `block-job-complete device=jobA ${inComplete} hits`]);
    const message = await ui.screenText(`${VIEW} .pane-body`);
    assert.match(message, new RegExp(`Filter “${pointer}”: ${mentioning.length} of 34 hits\\.`));
    await vscode.commands.executeCommand('qemuBlockTrace.clearHitsFilter');
    await eventually(async () => ((await rowTexts()).length === 3 ? true : undefined), 'all commands again');
  });

  it('expansion and selection survive re-reading the log after an edit', async () => {
    await eventually(async () => ((await rowTexts()).length >= 3 ? true : undefined), 'rows');
    if (!(await ui.rows(ROWS)).find((r) => r.label.startsWith('block-commit'))?.expanded) await ui.click(row('block-commit device=over01'));
    await ui.click(row("#23 + jobA's BlockBackend"));
    await eventually(async () => ((await ui.rows(ROWS)).find((r) => r.selected)?.label.startsWith('#23 ') ? true : undefined), 'hit 23 selected');
    const editor = await vscode.window.showTextDocument(doc, { preserveFocus: true });
    try {
      await editor.edit((e) => e.insert(new vscode.Position(doc.lineCount, 0), '\n(gdb) info threads\n'));
      await new Promise((r) => setTimeout(r, 600)); // past the re-parse delay
      const rows = await ui.rows(ROWS);
      assert.ok(rows.find((r) => r.label.startsWith('block-commit'))?.expanded, 'block-commit still expanded');
      assert.ok(rows.find((r) => r.selected)?.label.startsWith('#23 '), 'hit 23 still selected');
    } finally {
      await vscode.window.showTextDocument(doc, { preserveFocus: false });
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    assert.equal(doc.isDirty, false);
  });

  it('Next Hit and Previous Hit move between hit headers', async () => {
    await vscode.window.showTextDocument(doc, { preserveFocus: false });
    await ui.press('Control+g');
    await ui.type('525');
    await ui.press('Enter');
    await eventually(() => (vscode.window.activeTextEditor?.selection.active.line === 524 ? true : undefined), 'cursor on line 525');
    await ui.press('Alt+BracketRight');
    await eventually(() => (vscode.window.activeTextEditor?.selection.active.line === 553 ? true : undefined), 'next hit (22) on line 554');
    await ui.press('Alt+BracketLeft');
    await eventually(() => (vscode.window.activeTextEditor?.selection.active.line === 524 ? true : undefined), 'back to hit 21 on line 525');
    await ui.press('Alt+BracketLeft');
    await eventually(() => (vscode.window.activeTextEditor?.selection.active.line === 493 ? true : undefined), 'back to hit 20 on line 494');
  });
});

describe('The Hits view with no trace open', () => {
  it('welcomes with a way to open a trace and the bundled example', async function () {
    if (!ui.available) this.skip();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.view.extension.qemuBlockTrace');
    const text = await eventually(async () => {
      const t = await ui.screenText(`${VIEW} .pane-body`);
      return t.includes('Open the Bundled Example') ? t : undefined;
    }, 'welcome view');
    assert.match(text, /No gdb trace is open/);
    assert.match(text, /Open a gdb Trace…/);
    await ui.screenshot('hits-welcome');
    await ui.click(`${VIEW} .pane-body a:has-text("Open the Bundled Example")`);
    const editor = await eventually(() => vscode.window.visibleTextEditors.find((e) => e.document.uri.path.endsWith(SAMPLE_NAME)), 'the example opened');
    assert.equal(editor.document.languageId, 'gdb-trace');
    await eventually(async () => ((await rowTexts()).length === 3 ? true : undefined), 'its commands in the tree');
    // it is the extension's own file: read-only, so typing into it changes nothing
    await ui.click('.editor-instance .view-lines');
    await ui.type('x');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(editor.document.isDirty, false, 'the example is not edited');
    await eventually(async () => ((await ui.screenText('.monaco-editor-overlaymessage, .editor-instance')).includes('Editor is read-only') ? true : undefined), 'the read-only message');
  });
});
