import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseTrace } from '../../src/model/parser';
import { writeQemuGitRepo } from '../support/qemuGitRepo';
import { MOVED_BY, RENAMED, writeQemuTree } from '../support/qemuTree';
import { eventually, ui } from './ui';
import { openAsTrace } from './workbench';

const SAMPLE = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'traces', 'snapshot-commit-complete.log');
const TOKEN = '../block.c:2843';

describe('From a frame to the QEMU checkout', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-qemu-'));
  let doc: vscode.TextDocument;
  const config = () => vscode.workspace.getConfiguration('qemuBlockTrace.source');

  before(async () => {
    const trace = parseTrace(fs.readFileSync(SAMPLE, 'utf8'));
    writeQemuTree(path.join(base, 'exact'), trace, 'exact');
    writeQemuTree(path.join(base, 'moved'), trace, 'moved');
    writeQemuTree(path.join(base, 'renamed'), trace, 'renamed');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await config().update('root', path.join(base, 'exact'), vscode.ConfigurationTarget.Workspace);
    doc = await openAsTrace(SAMPLE);
  });

  after(async () => {
    await config().update('root', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(base, { recursive: true, force: true });
  });

  /** Line 9 of the sample: `#0  bdrv_replace_child_noperm (…) at ../block.c:2843`. */
  const tokenPos = () => new vscode.Position(8, doc.lineAt(8).text.indexOf(TOKEN) + 3);

  it('go to definition on ../block.c:2843 opens block.c of the checkout at line 2843; Ctrl+click on a location opens it', async function () {
    const locs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', doc.uri, tokenPos());
    const loc = locs[0] as vscode.Location;
    assert.equal(loc.uri.fsPath, path.join(base, 'exact', 'block.c'));
    assert.equal(loc.range.start.line + 1, 2843);
    if (!ui.available) this.skip();
    // as a person: Ctrl+click the `../block.c:3159` on line 14 (frame #2, bdrv_root_attach_child)
    const editor = await vscode.window.showTextDocument(doc);
    editor.revealRange(new vscode.Range(0, 0, 0, 0), vscode.TextEditorRevealType.AtTop);
    await ui.click('.editor-instance .view-line:has-text("at ../block.c:3159") span:text-is("../block.c:3159")', { modifiers: ['Control'] });
    const opened = await eventually(() => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.fsPath === path.join(base, 'exact', 'block.c') ? e : undefined;
    }, 'block.c opened');
    await eventually(() => (opened.selection.active.line + 1 === 3159 ? true : undefined), 'at line 3159');
    assert.match(opened.document.lineAt(3158).text, /bdrv_attach_child_common\(0\);/);
    await ui.screenshot('definition-exact');
  });

  it('go to definition on a frame’s function name opens where the checkout defines it', async () => {
    await vscode.window.showTextDocument(doc);
    const text = doc.lineAt(14).text; // #3 blk_insert_bs (…) at ../block/block-backend.c:907
    const locs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, new vscode.Position(14, text.indexOf('blk_insert_bs') + 2));
    assert.equal(locs[0].uri.fsPath, path.join(base, 'exact', 'block', 'block-backend.c'));
    const file = fs.readFileSync(locs[0].uri.fsPath, 'utf8').split('\n');
    assert.match(file[locs[0].range.start.line], /^void blk_insert_bs\(/);
  });

  it('with a checkout of another version, it lands on the relocated line and says by how much', async () => {
    await config().update('root', path.join(base, 'moved'), vscode.ConfigurationTarget.Workspace);
    await vscode.window.showTextDocument(doc);
    const locs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, tokenPos());
    assert.equal(locs[0].uri.fsPath, path.join(base, 'moved', 'block.c'));
    const line = locs[0].range.start.line + 1;
    assert.ok(line >= 2843 + MOVED_BY, `relocated to ${line}`);
    assert.match(fs.readFileSync(path.join(base, 'moved', 'block.c'), 'utf8').split('\n')[line - 1], /BdrvChild \*child = \*childp;/);
    // the link's tooltip says where it goes and how far it moved
    const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', doc.uri, 50);
    const link = links.find((l) => l.range.start.line === 8 && doc.getText(l.range) === TOKEN)!;
    assert.ok(link, 'a link on the token');
    assert.equal(link.target?.fsPath, path.join(base, 'moved', 'block.c'));
    assert.match(link.tooltip ?? '', new RegExp(`block\\.c:${line} — line moved 2843 → ${line} \\(\\+${line - 2843}\\)`));
    // the frame hover says it too
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(8, doc.lineAt(8).text.indexOf('bdrv_replace_child_noperm') + 2));
    const text = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n');
    assert.match(text, new RegExp(`line moved 2843 → ${line}`));
  });

  it('with a checkout where the function was renamed, F12 lands on the call in the renamed function, and the tooltip says so', async () => {
    await config().update('root', path.join(base, 'renamed'), vscode.ConfigurationTarget.Workspace);
    try {
      const lines = doc.getText().split('\n');
      const at = lines.findIndex((l) => /^#1 .* in bdrv_replace_child_tran \(/.test(l));
      const tokenAt = lines.findIndex((l, i) => i >= at && l.includes('../block.c:2444'));
      const pos = new vscode.Position(tokenAt, lines[tokenAt].indexOf('../block.c:2444') + 3);
      const locs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, pos);
      const file = fs.readFileSync(locs[0].uri.fsPath, 'utf8').split('\n');
      assert.match(file[locs[0].range.start.line], /bdrv_replace_child_noperm\(0\);/, 'on the call of the next frame’s function');
      const fn = file.slice(0, locs[0].range.start.line).reverse().find((l) => /^void \w+\(/.test(l));
      assert.equal(fn, `void ${RENAMED.to}(int unused)`);
      const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', doc.uri, 0);
      const link = links.find((l) => l.range.start.line === tokenAt)!;
      assert.match(link.tooltip ?? '', new RegExp(`^Open .*block\\.c:${locs[0].range.start.line + 1} — renamed to ${RENAMED.to}\\?`));
    } finally {
      await config().update('root', path.join(base, 'moved'), vscode.ConfigurationTarget.Workspace);
    }
  });

  it('in a git checkout of a later version: the status bar names the detected revision; F12 lands on moved, renamed and inlined frames’ calls', async function () {
    this.timeout(120_000);
    const repo = writeQemuGitRepo(path.join(base, 'git'), parseTrace(fs.readFileSync(SAMPLE, 'utf8')), { olderTags: 2, laterCommits: 1 });
    await config().update('root', repo.dir, vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.window.showTextDocument(doc);
      if (ui.available) {
        const status = await eventually(async () => (await ui.texts('.statusbar-item')).find((t) => /v7\.1\.0 · \d+\/\d+/.test(t)), 'the revision in the status bar', 60_000);
        const [, n, m] = /(\d+)\/(\d+)/.exec(status)!;
        assert.equal(n, m, 'every call site holds at v7.1.0');
        await ui.screenshot('revision-status');
      }
      const lines = doc.getText().split('\n');
      /** F12 on the file:line of the first frame of `fn`; the line it lands on. */
      const land = async (fn: string) => {
        const at = lines.findIndex((l) => new RegExp(`^#\\d+ .*\\b${fn} \\(`).test(l));
        const tokenAt = lines.findIndex((l, i) => i >= at && / at \.\.\/[\w/.-]+:\d+/.test(l));
        const m = / at (\.\.\/[\w/.-]+:\d+)/.exec(lines[tokenAt])!;
        const locs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, new vscode.Position(tokenAt, lines[tokenAt].indexOf(m[1]) + 3));
        return { file: locs[0].uri.fsPath, text: fs.readFileSync(locs[0].uri.fsPath, 'utf8').split('\n')[locs[0].range.start.line] };
      };
      assert.match((await land('bdrv_detach_child')).text, /^ {4}bdrv_replace_child_noperm\(0\);$/, 'inlined into bdrv_root_unref_child');
      if (ui.available) {
        // and as a person does it: Ctrl+click on the inlined frame's location (line 31, `../block.c:3118`)
        const editor = await vscode.window.showTextDocument(doc);
        editor.revealRange(new vscode.Range(20, 0, 20, 0), vscode.TextEditorRevealType.AtTop);
        await eventually(async () => ((await ui.screenText('.editor-instance')).includes('../block.c:3118') ? true : undefined), 'line 31 on screen');
        await ui.click('.editor-instance .view-line:has-text("bdrv_detach_child") span:text-is("../block.c:3118")', { modifiers: ['Control'] });
        const opened = await eventually(() => {
          const e = vscode.window.activeTextEditor;
          return e?.document.uri.fsPath === path.join(repo.dir, 'block.c') ? e : undefined;
        }, 'block.c of the git checkout opened');
        await eventually(() => (/^ {4}bdrv_replace_child_noperm\(0\);$/.test(opened.document.lineAt(opened.selection.active.line).text) ? true : undefined), 'at the inlined call');
        await vscode.window.showTextDocument(doc);
      }
      assert.match((await land('job_prepare')).text, /^ {4}job->driver->prepare\(0\);$/, 'renamed to job_prepare_locked, calling through the JobDriver');
      const moved = await land('qemu_main_loop');
      assert.equal(moved.file, path.join(repo.dir, 'system', 'runstate.c'));
      assert.match(moved.text, /^ {4}main_loop_wait\(0\);$/);
    } finally {
      await config().update('root', path.join(base, 'moved'), vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a QMP command in the log: F12 goes to its qmp_ handler, the hover shows its documentation from qapi/*.json', async () => {
    await vscode.window.showTextDocument(doc);
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('(QEMU) block-commit '));
    const pos = new vscode.Position(line, '(QEMU) block-'.length);
    const locs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, pos);
    assert.equal(locs[0].uri.fsPath, path.join(base, 'moved', 'blockdev.c'));
    assert.match(fs.readFileSync(locs[0].uri.fsPath, 'utf8').split('\n')[locs[0].range.start.line], /^void qmp_block_commit\(/);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
    const text = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n');
    assert.match(text, /\*\*block-commit\*\* \(since 1\.3\)/);
    assert.match(text, /Handler: \[qmp_block_commit\]/);
    assert.match(text, /Synthetic: merge an overlay into its backing node\./);
    assert.match(text, /`job-id`: the new job's identifier/);
  });

  it('hovering a frame’s file:line shows where the link goes, before anything else', async function () {
    if (!ui.available) this.skip();
    const editor = await vscode.window.showTextDocument(doc);
    editor.revealRange(new vscode.Range(0, 0, 0, 0), vscode.TextEditorRevealType.AtTop);
    const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', doc.uri, 0);
    const onLine14 = links.find((l) => l.range.start.line === 13 && doc.getText(l.range) === '../block.c:3159');
    assert.ok(onLine14?.tooltip?.startsWith(`Open ${path.join(base, 'moved', 'block.c')}:`), `unresolved links already name their destination: ${onLine14?.tooltip}`);
    await ui.hover('.editor-instance .view-line:has-text("at ../block.c:3159") span:text-is("../block.c:3159")');
    const hover = await eventually(async () => {
      const t = await ui.screenText('.monaco-hover');
      return t.includes('Open ') ? t : undefined;
    }, 'the link’s hover');
    assert.match(hover, new RegExp(`Open ${path.join(base, 'moved', 'block.c').replace(/[.]/g, '\\.')}:\\d+ — `));
    assert.doesNotMatch(hover, /^Follow link/);
    await ui.screenshot('link-tooltip');
    await ui.press('Escape');
  });

  it('with no source folder known, it offers to choose one; Don’t Ask Again holds; the lens links to the setting', async function () {
    if (!ui.available) this.skip();
    await config().update('root', undefined, vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, tokenPos());
      const toast = await eventually(async () => {
        const t = await ui.screenText('.notification-toast');
        return t.includes('Choose QEMU Source Folder') ? t : undefined;
      }, 'the offer');
      assert.match(toast, /frames open in your QEMU checkout once it knows where it is/);
      await ui.screenshot('choose-source-folder');
      await ui.click('.notification-toast .monaco-button:has-text("Don\'t Ask Again")');
      await eventually(async () => ((await ui.texts('.notification-toast')).length === 0 ? true : undefined), 'the offer gone');
      // a change of the source settings would offer again in this window, but not after Don't Ask Again
      await config().update('buildDir', '/nonexistent', vscode.ConfigurationTarget.Workspace);
      await config().update('buildDir', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, tokenPos());
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await ui.texts('.notification-toast')).length, 0, 'not offered again');
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
      const source = lenses.find((l) => l.range.start.line === 5 && l.command?.title.includes('(source not found)'))!;
      assert.ok(source, lenses.map((l) => l.command?.title).join(' | '));
      assert.equal(source.command!.command, 'workbench.action.openSettings');
      assert.deepEqual(source.command!.arguments, ['qemuBlockTrace.source.root']);
    } finally {
      await config().update('root', path.join(base, 'moved'), vscode.ConfigurationTarget.Workspace);
    }
  });

  it('the code lens above the hit opens the same place, and tells the hit’s place in its command', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
    const onHit1 = lenses.filter((l) => l.range.start.line === 5);
    const source = onHit1.find((l) => l.command?.title.startsWith('block.c:'))!;
    assert.ok(source, onHit1.map((l) => l.command?.title).join(' | '));
    assert.match(source.command!.title, /^block\.c:\d+ bdrv_replace_child_noperm \(moved \+\d+\)$/);
    const locs = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, tokenPos());
    assert.equal(Number(/^block\.c:(\d+) /.exec(source.command!.title)![1]), locs[0].range.start.line + 1, 'the lens names the line definition goes to');
    const target = source.command!.arguments?.[0] as vscode.Uri;
    assert.equal(target.fsPath, locs[0].uri.fsPath);
    assert.ok(onHit1.some((l) => l.command?.title === 'hit 1 of 19 · blockdev-snapshot-sync'));
    if (ui.available) {
      const editor = await vscode.window.showTextDocument(doc);
      editor.revealRange(new vscode.Range(490, 0, 490, 0), vscode.TextEditorRevealType.AtTop);
      await eventually(async () => ((await ui.screenText('.editor-instance .codelens-decoration')).includes('hit 1 of 6 · block-commit') ? true : undefined), 'lenses on screen');
      await ui.screenshot('code-lenses');
    }
  });
});
