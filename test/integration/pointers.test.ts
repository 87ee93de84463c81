import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, ui } from './ui';
import { openAsTrace, screenshotInThemes } from './workbench';

const SAMPLE = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'traces', 'snapshot-commit-complete.log');
const POINTER = '0x5555578ddc80';

/** The hover's text at a position, as the hover provider gives it. */
async function hoverAt(doc: vscode.TextDocument, line: number, col: number): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, col));
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

async function hoverText(doc: vscode.TextDocument, line1: number): Promise<string> {
  const col = doc.lineAt(line1 - 1).text.indexOf(POINTER);
  assert.ok(col >= 0, `${POINTER} is on line ${line1}`);
  return hoverAt(doc, line1 - 1, col + 4);
}

describe('What a pointer is', () => {
  let doc: vscode.TextDocument;

  before(async () => {
    doc = await openAsTrace(SAMPLE);
  });

  it('hovering 0x5555578ddc80 on line 369 says node over01 (qcow2)', async () => {
    const text = await hoverText(doc, 369);
    assert.match(text, /node \(BlockDriverState\) over01 \(qcow2\)/);
    assert.match(text, /\/tmp\/overlay01\.qcow2/);
    assert.match(text, /address was used before by another object/);
  });

  it('and on line 6 that it is an earlier, different node at the same address', async () => {
    const text = await hoverText(doc, 6);
    assert.match(text, /unnamed node \(BlockDriverState\)/);
    assert.match(text, /earlier, different node than the one it holds from line 360 on/);
    assert.match(text, /over01 \(qcow2\)/);
  });

  it('the hover widget shows it in the workbench', async function () {
    if (!ui.available) this.skip();
    const editor = vscode.window.activeTextEditor!;
    const col = doc.lineAt(368).text.indexOf(POINTER) + 3;
    editor.selection = new vscode.Selection(368, col, 368, col);
    editor.revealRange(new vscode.Range(368, 0, 368, 0), vscode.TextEditorRevealType.InCenter);
    await vscode.commands.executeCommand('editor.action.showHover');
    const shown = await eventually(async () => {
      const t = await ui.screenText('.monaco-hover');
      return t.includes('over01') ? t : undefined;
    }, 'hover widget');
    assert.match(shown, /over01 \(qcow2\)/);
    await ui.screenshot('pointer-hover');
    await ui.press('Escape');
  });

  it('highlights every occurrence of the same object, and only that incarnation', async () => {
    const col = doc.lineAt(368).text.indexOf(POINTER);
    const hl = await vscode.commands.executeCommand<vscode.DocumentHighlight[]>('vscode.executeDocumentHighlights', doc.uri, new vscode.Position(368, col + 2));
    const lines = new Set(hl.map((h) => h.range.start.line + 1));
    // the incarnation that is over01 runs from line 360; the earlier node at this address is not it
    const printed = doc
      .getText()
      .split('\n')
      .flatMap((l, i) => (l.includes(`=${POINTER}`) ? [i + 1] : []));
    assert.deepEqual([...lines].sort((a, b) => a - b), printed.filter((l) => l >= 360));
    assert.ok(printed.some((l) => l < 360) && !lines.has(6));
    for (const h of hl) assert.equal(doc.getText(h.range), POINTER);
  });

  it('names pointers inline: 0x5555578ddc80 ‹over01›, 0x555556a7ae40 ‹drive01›, jobs', async () => {
    // identities are built in the background on first use: the hints come once they are
    const hints = await eventually(async () => {
      const h = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, new vscode.Range(494, 0, 560, 0));
      return h.length > 0 ? h : undefined;
    }, 'inlay hints');
    const labels = hints.map((h) => `${doc.getText(new vscode.Range(h.position.translate(0, -14), h.position))} ${typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')}`);
    assert.ok(labels.includes('0x5555578ddc80 ‹over01›'), labels.slice(0, 10).join(' | '));
    assert.ok(labels.includes('0x555556a7ae40 ‹drive01›'), labels.slice(0, 10).join(' | '));
    assert.ok(labels.includes('0x5555578d7870 ‹mirror_top›'), labels.slice(0, 10).join(' | '));
  });

  it('hovering a frame function shows its arguments as a table', async () => {
    const line = doc.lineAt(530).text; // #3 bdrv_append (bs_new=…, bs_top=…)
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(530, line.indexOf('bdrv_append') + 2));
    const text = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n');
    assert.match(text, /#3 bdrv\\_append/);
    assert.match(text, /\| bs\\_new \| `0x5555578d7870` \|/);
  });

  it('looks right in a dark and a light theme', async function () {
    if (!ui.available) this.skip();
    const editor = vscode.window.activeTextEditor!;
    editor.revealRange(new vscode.Range(494, 0, 494, 0), vscode.TextEditorRevealType.AtTop);
    editor.selection = new vscode.Selection(527, 40, 527, 40);
    await screenshotInThemes('highlight');
  });
});

describe('What QEMU’s own trace lines say about a pointer (a recorded session, as a plain .log)', () => {
  const RECORDED = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'traces', 'v7.2.0-recorded-events.log');
  let doc: vscode.TextDocument;

  before(async () => {
    doc = await openAsTrace(RECORDED);
  });

  it('a job pointer on a job_state_transition line: the mirror job, its state there, and its states', async () => {
    const line = doc.getText().split('\n').findIndex((l) => l.includes('transition (running-->ready)'));
    assert.ok(line >= 0);
    const text = await eventually(async () => {
      const t = await hoverAt(doc, line, doc.lineAt(line).text.indexOf('0x') + 4);
      return /Job state here/.test(t) ? t : undefined;
    }, 'job hover');
    assert.match(text, /block job m0/);
    assert.match(text, new RegExp(`Job state here: \\*\\*ready\\*\\*, as QEMU's trace said on line ${line + 1}\\.`));
    assert.match(text, /States: created \(line \d+\) → running \(line \d+\) → ready/);
  });

  it('a node QEMU opened at a reused address inside the failed transaction: a new node, told by its bdrv_open_common line', async () => {
    const lines = doc.getText().split('\n');
    const line = lines.findIndex((l) => l.startsWith('bdrv_open_common ') && l.includes('/s2.qcow2') && l.endsWith('format_name "file"'));
    assert.ok(line >= 0);
    const text = await hoverAt(doc, line, lines[line].indexOf('0x') + 4);
    assert.match(text, /node \(BlockDriverState\) \(file\), \/tmp\/rx\/s2\.qcow2/);
    // and the node it was taken for before: s1's protocol node, freed earlier at the same address
    assert.match(text, /The address is reused/);
    assert.match(text, /- lines \d+–\d+: unnamed node \(BlockDriverState\) \(file\), \/tmp\/rx\/s1\.qcow2/);
  });
});
