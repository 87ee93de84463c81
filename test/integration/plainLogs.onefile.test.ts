// Logs as users have them, in a window with no folder (as `code trace.log` opens one): a `.log`
// named anything, a `.txt`, a file with no extension, several traces open at once. Each is checked
// on its first open, without switching tabs: the Hits view's rows, the status bar, the palette.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as vscode from 'vscode';
import { withoutTerminalCodes } from '../../src/model/terminal';
import { eventually, ui } from './ui';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');
const VIEW = '.pane:has(.pane-header:has-text("Hits"))';
const ROWS = `${VIEW} .monaco-list-row`;

/** The user's files: the fixtures copied under the names people give their logs. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-logs-'));
const FILES: Record<string, string> = {
  'trace.log': 'traces/snapshot-commit-complete.log',
  'stream.log': 'traces/v7.1.0-stream.log',
  'mirror.log': 'traces/v10.2.0-mirror.log',
  'failures.log': 'traces/v10.2.0-failures.log',
  'session.txt': 'traces/v10.2.0-mirror.log',
  'gdb-output': 'traces/v7.1.0-stream.log',
  'application.log': 'detect/application.log',
  'undetected.log': 'traces/snapshot-commit-complete.log',
  'drain-threads.log': 'traces/v7.2.0-drain-threads.log',
  'mail.txt': 'mail/mojibake-threads.txt',
  'session.log': 'traces/v7.2.0-styled.log',
  'capture.log': 'traces/v7.2.0-failed-add.tmux-100.log',
};
for (const [name, fixture] of Object.entries(FILES)) fs.copyFileSync(path.join(FIXTURES, fixture), path.join(dir, name));

/** What each trace is, as its summary says (and the shared traces' READMEs). */
const EXPECTED: Record<string, { hits: number; commands: number; firstGroup: RegExp }> = {
  'trace.log': { hits: 34, commands: 3, firstGroup: /^blockdev-snapshot-sync node-name=drive01 .* 19 hits$/ },
  'stream.log': { hits: 46, commands: 10, firstGroup: /^nbd-server-start .* 0 hits$/ },
  'mirror.log': { hits: 23, commands: 8, firstGroup: /^nbd-server-start .* 0 hits$/ },
  'failures.log': { hits: 43, commands: 12, firstGroup: /^nbd-server-start .* 0 hits$/ },
  'session.txt': { hits: 23, commands: 8, firstGroup: /^nbd-server-start .* 0 hits$/ },
  'gdb-output': { hits: 46, commands: 10, firstGroup: /^nbd-server-start .* 0 hits$/ },
  'session.log': { hits: 40, commands: 10, firstGroup: /^blockdev-add driver=file node-name=file0 .* 0 hits$/ },
  'mirror.log.gz': { hits: 23, commands: 8, firstGroup: /^nbd-server-start .* 0 hits$/ },
};

async function rowTexts(): Promise<string[]> {
  return (await ui.rows(ROWS)).map((r) => (r.description ? `${r.label} ${r.description}` : r.label));
}

async function open(name: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(path.join(dir, name));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

/** The Hits view's title shows the file name; its rows are that trace's commands with their hit counts. */
async function treeShows(name: string): Promise<string[]> {
  const want = EXPECTED[name];
  return eventually(async () => {
    // as it reads on screen: the side bar's title, in capitals
    const title = (await ui.screenText('.part.sidebar .composite.title')).toLowerCase();
    const rows = await rowTexts();
    const total = rows.reduce((n, r) => n + Number(/ (\d+) hits?$/.exec(r)?.[1] ?? 0), 0);
    return title.includes(name.toLowerCase()) && rows.length === want.commands && total === want.hits && want.firstGroup.test(rows[0]) ? rows : undefined;
  }, `the Hits view showing ${name}`);
}

async function statusSays(name: string): Promise<void> {
  const want = EXPECTED[name];
  const text = `${want.hits} hits · ${want.commands} commands`;
  await eventually(async () => ((await ui.texts('.statusbar-item')).some((t) => t.includes(text)) ? true : undefined), `status bar “${text}” for ${name}`);
}

/** The palette lists these commands now (their `when` clauses hold). */
async function paletteHas(titles: string[]): Promise<void> {
  await ui.press('Control+Shift+P');
  try {
    await ui.waitFor('.quick-input-widget .monaco-list-row');
    await ui.type('QEMU Block Trace: ');
    const rows = await eventually(async () => {
      const r = await ui.texts('.quick-input-widget .monaco-list-row .label-name');
      return titles.every((t) => r.some((x) => x.includes(t))) ? r : undefined;
    }, `palette entries ${titles.join(', ')}`);
    assert.ok(rows.length > 0);
  } finally {
    await ui.press('Escape');
  }
}

describe('Logs opened as files, as users have them (a window with no folder)', () => {
  before(async function () {
    if (!ui.available) this.skip();
    assert.equal(vscode.workspace.workspaceFolders, undefined, 'a window with no folder');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.view.extension.qemuBlockTrace');
    await ui.waitFor('.part.sidebar');
    await ui.dragEdge('.part.sidebar', 260);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trace.log (the sample renamed), on first open: GDB Trace, its commands in the Hits view, the status bar, the palette', async () => {
    const doc = await open('trace.log');
    await eventually(() => (doc.languageId === 'gdb-trace' ? true : undefined), 'detected as a gdb trace');
    await treeShows('trace.log');
    await statusSays('trace.log');
    await paletteHas(['Group Hits By…', 'Filter Hits…', 'Show Block Graph', 'Show Summary']);
    await ui.screenshot('onefile-trace-log');
  });

  for (const name of ['stream.log', 'mirror.log', 'failures.log', 'session.txt', 'gdb-output']) {
    it(`${name}, opened while another trace is open: the tree and the status bar follow it at once`, async () => {
      const doc = await open(name);
      await eventually(() => (doc.languageId === 'gdb-trace' ? true : undefined), `${name} detected`);
      await treeShows(name);
      await statusSays(name);
    });
  }

  it('with two traces open, the tree follows the active one', async () => {
    const first = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path.join(dir, 'trace.log'))!;
    await vscode.window.showTextDocument(first, { preview: false });
    await treeShows('trace.log');
    await statusSays('trace.log');
    const second = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path.join(dir, 'failures.log'))!;
    await vscode.window.showTextDocument(second, { preview: false });
    await treeShows('failures.log');
    await statusSays('failures.log');
  });

  it('filtering failures.log by s0 lists hits 26–30, where only s0’s pointer is printed', async () => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path.join(dir, 'failures.log'))!;
    await vscode.window.showTextDocument(doc, { preview: false });
    await treeShows('failures.log');
    await vscode.commands.executeCommand('qemuBlockTrace.filterHits', 's0');
    try {
      await ui.click(`${ROWS}:has-text("transaction:")`);
      const rows = await eventually(async () => {
        const r = await rowTexts();
        return r.some((x) => x.startsWith('#30 ')) ? r : undefined;
      }, 'hits of the transaction');
      for (const n of [9, 26, 27, 28, 29, 30]) assert.ok(rows.some((r) => r.startsWith(`#${n} `)), `hit ${n} listed: ${rows.join(' | ')}`);
      await eventually(async () => (/Filter “s0”: \d+ of 43 hits\./.test(await ui.screenText(`${VIEW} .pane-body`)) ? true : undefined), 'the filter’s message');
    } finally {
      await vscode.commands.executeCommand('qemuBlockTrace.clearHitsFilter');
      await vscode.commands.executeCommand('workbench.actions.treeView.qemuBlockTrace.hits.collapseAll');
    }
  });

  it('a trace switched back to Log leaves the Hits view and the status bar; switched again, it is back', async () => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path.join(dir, 'failures.log'))!;
    await vscode.window.showTextDocument(doc, { preview: false });
    await treeShows('failures.log');
    const asLog = await vscode.languages.setTextDocumentLanguage(doc, 'log');
    await eventually(async () => ((await ui.screenText(`${VIEW} .pane-body`)).includes('No gdb trace is open') ? true : undefined), 'the welcome again');
    await eventually(async () => (!(await ui.texts('.statusbar-item')).some((t) => / hits · /.test(t)) ? true : undefined), 'no hit count');
    await vscode.languages.setTextDocumentLanguage(asLog, 'gdb-trace');
    await treeShows('failures.log');
    await statusSays('failures.log');
  });

  it('a .log that is not a trace stays Log: no tree change, no notification', async () => {
    const before = await treeShows('failures.log');
    // the traces before may have offered to choose a source folder: only what this log brings counts
    await vscode.commands.executeCommand('notifications.clearAll');
    await new Promise((r) => setTimeout(r, 300));
    const doc = await open('application.log');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(doc.languageId, 'log');
    assert.equal((await ui.texts('.notification-toast')).length, 0, 'no notification');
    // the Hits view keeps the last trace, so its frames stay a click away
    assert.deepEqual(await rowTexts(), before);
    assert.ok(!(await ui.texts('.statusbar-item')).some((t) => / hits · /.test(t)), 'no hit count for a plain log');
  });

  it('with detection switched off, a trace saved as .log is left alone', async () => {
    const detection = vscode.workspace.getConfiguration('qemuBlockTrace.detection');
    await detection.update('enabled', false, vscode.ConfigurationTarget.Global);
    try {
      const doc = await open('undetected.log');
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(doc.languageId, 'log');
    } finally {
      await detection.update('enabled', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a thread apply all bt in the middle of a session: its threads under Backtraces, frames clickable, plumbing folded', async () => {
    const doc = await open('drain-threads.log');
    await eventually(() => (doc.languageId === 'gdb-trace' ? true : undefined), 'detected');
    await vscode.commands.executeCommand('workbench.actions.treeView.qemuBlockTrace.hits.collapseAll');
    const groups = await eventually(async () => {
      const r = await rowTexts();
      return r.some((x) => x.startsWith('Backtraces')) ? r : undefined;
    }, 'the Backtraces group');
    assert.equal(groups[groups.length - 1], 'Backtraces 5 backtraces', groups.join(' | '));
    await ui.click(`${ROWS}:has-text("Backtraces")`);
    const threads = await eventually(async () => {
      const r = await rowTexts();
      return r.filter((x) => x.startsWith('Thread ')).length === 5 ? r.filter((x) => x.startsWith('Thread ')) : undefined;
    }, 'five threads');
    assert.deepEqual(threads, [
      'Thread 5 "qemu-storage-da": worker_thread thread-pool.c:90 · during hit #17',
      'Thread 4 "qemu-storage-da": worker_thread thread-pool.c:90 · during hit #17',
      'Thread 3 "qemu-storage-da": iothread_run iothread.c:74 · during hit #17',
      'Thread 2 "qemu-storage-da": call_rcu_thread rcu.c:261 · during hit #17',
      'Thread 1 "qemu-storage-da": bdrv_replace_child_noperm block.c:2832 · during hit #17',
    ]);
    // clicking a thread's row shows its first frame in the log, and the row stays selected
    await ui.click(`${ROWS}:has-text("Thread 3 ")`);
    const t3 = doc.getText().split('\n').findIndex((l) => l.startsWith('Thread 3 (Thread '));
    await eventually(() => (vscode.window.activeTextEditor?.selection.start.line === t3 + 1 ? true : undefined), 'the log at thread 3');
    await new Promise((r) => setTimeout(r, 500));
    assert.match((await ui.rows(ROWS)).find((r) => r.selected)?.label ?? '', /^Thread 3 /, 'the thread stays selected, not the hit it was printed during');
    await ui.click(`${ROWS}:has-text("Thread 2 ") .monaco-tl-twistie`);
    const frames = await eventually(async () => {
      const r = await rowTexts();
      return r.includes('#3 call_rcu_thread rcu.c:261') ? r : undefined;
    }, 'thread 2 frames');
    assert.ok(frames.includes('#3 call_rcu_thread rcu.c:261'), frames.join(' | '));
    assert.ok(frames.includes('… 3 event-loop frames'), frames.join(' | '));
    await ui.screenshot('hits-backtraces');
    await ui.click(`${ROWS}:has-text("#3 call_rcu_thread")`);
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('#3  0x0000555555750371 in call_rcu_thread'));
    await eventually(() => (vscode.window.activeTextEditor?.document === doc && vscode.window.activeTextEditor.selection.start.line === line ? true : undefined), `the log at line ${line + 1}`);
    await vscode.commands.executeCommand('workbench.actions.treeView.qemuBlockTrace.hits.collapseAll');
  });

  it('Show graph on a hit of another breakpoint opens the graph as that hit sees it', async () => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path.join(dir, 'drain-threads.log'))!;
    await vscode.window.showTextDocument(doc, { preview: false });
    const header = doc.getText().split('\n').findIndex((l) => l.includes('hit Breakpoint 2, bdrv_drain_all_end'));
    const lens = await eventually(async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 500);
      return lenses.find((l) => l.range.start.line === header && l.command?.title === 'Show graph' && /as hit 8 sees it/.test(l.command.tooltip ?? ''));
    }, 'Show graph on hit 8 (breakpoint 2)');
    await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
    const text = await eventually(async () => {
      const t = await ui.screenText('body', 'webview');
      return /5 nodes, \d+ edges/.test(t) ? t : undefined;
    }, 'the graph at hit 8');
    assert.match(text, /no graph change: stopped in bdrv_drain_all_end \(breakpoint 2\)/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a mail paste with mojibake (#0Â + NBSP): every frame of both threads read, linked and in the outline', async () => {
    const doc = await open('mail.txt');
    await eventually(() => (doc.languageId === 'gdb-trace' ? true : undefined), 'detected as a gdb trace');
    const lines = doc.getText().split('\n');
    const mojibake = lines.flatMap((l, i) => (/^#\d\u00c2\u00a0/.test(l) ? [i] : []));
    assert.ok(mojibake.length >= 40, `${mojibake.length} damaged frame lines`);
    const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', doc.uri, 200);
    for (const l of mojibake) {
      if (/ from \/lib/.test(lines[l])) continue; // a library frame has no file:line to link
      assert.ok(links.some((k) => k.range.start.line === l), `a link on line ${l + 1}: ${lines[l].slice(0, 60)}`);
    }
    const symbols = await eventually(async () => {
      const s = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
      return s && s.length > 0 ? s : undefined;
    }, 'the outline');
    // the threads are inside the hit they were printed during
    const names = symbols.flatMap((s) => [s.name, ...s.children.map((c) => c.name)]);
    assert.equal(names.filter((n) => n.startsWith('Thread ')).length, 5, names.join(' | '));
    await statusSays2('mail.txt', 1);
    await ui.screenshot('mail-mojibake');
  });

  it('two logs both named trace.log (run1/, run2/), side by side: the Hits view and the graph say which is which', async () => {
    // two runs of a session, each saved as trace.log in a folder of its own, compared side by side
    const runs = ['run1', 'run2'].map((r) => path.join(dir, r, 'trace.log'));
    fs.mkdirSync(path.dirname(runs[0]), { recursive: true });
    fs.mkdirSync(path.dirname(runs[1]), { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, 'traces/v10.2.0-failures.log'), runs[0]);
    fs.copyFileSync(path.join(FIXTURES, 'traces/v10.2.0-mirror.log'), runs[1]);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const one = await vscode.workspace.openTextDocument(runs[0]);
    await vscode.window.showTextDocument(one, { preview: false, viewColumn: vscode.ViewColumn.One });
    const two = await vscode.workspace.openTextDocument(runs[1]);
    await vscode.window.showTextDocument(two, { preview: false, viewColumn: vscode.ViewColumn.Two });
    // the side bar's title, as it shows the view alone there
    const header = '.part.sidebar .composite.title';
    // its title, and its rows: that run's commands and hits (failures: 43 hits, mirror: 23)
    const viewSays = (text: string, hits: number) =>
      eventually(async () => {
        const total = (await rowTexts()).reduce((n, r) => n + Number(/ (\d+) hits?$/.exec(r)?.[1] ?? 0), 0);
        return (await ui.screenText(header)).toLowerCase().includes(text.toLowerCase()) && total === hits ? true : undefined;
      }, `the Hits view titled “${text}”, listing ${hits} hits`);
    await viewSays('trace.log — run2', 23);
    assert.ok(!(await ui.screenText(header)).toLowerCase().includes('run1'));
    await vscode.commands.executeCommand('qemuBlockTrace.showGraph');
    const tabSays = (text: string) => eventually(async () => ((await ui.texts('.tab .label-name')).some((t) => t === `Block Graph: ${text}`) ? true : undefined), `the graph's tab “Block Graph: ${text}”`);
    await tabSays('trace.log — run2');
    // the other run's editor, clicked: the view and the graph go to it, and say so
    await vscode.window.showTextDocument(one, { preview: false, viewColumn: vscode.ViewColumn.One });
    await viewSays('trace.log — run1', 43);
    await tabSays('trace.log — run1');
    await ui.screenshot('onefile-two-trace-logs');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('closed (Close All Editors) and opened again by Quick Open, trace.log is a trace each time', async () => {
    for (let round = 1; round <= 3; round++) {
      const first = await open('stream.log');
      await eventually(() => (first.languageId === 'gdb-trace' ? true : undefined), `stream.log detected (round ${round})`);
      await open('trace.log');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      // as a person reopens it: Quick Open, its name, Enter
      await ui.press('Control+P');
      await ui.waitFor('.quick-input-widget .quick-input-box input');
      await ui.type('trace.log');
      await ui.waitFor('.quick-input-widget .monaco-list-row:has-text("trace.log")');
      await ui.press('Enter');
      await eventually(async () => ((await ui.texts('.statusbar-item')).some((t) => t.trim() === 'GDB Trace') && vscode.window.activeTextEditor?.document.uri.fsPath === path.join(dir, 'trace.log') ? true : undefined), `trace.log reopened as GDB Trace, in the status bar (round ${round}; it says ${(await ui.texts('.statusbar-item')).filter((t) => /^(Log|GDB Trace|Plain Text)$/.test(t.trim())).join(', ')})`);
      await treeShows('trace.log');
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('with the graph open, switching between two logs side by side shows the hit at each one’s cursor', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const headers = (doc: vscode.TextDocument) => doc.getText().split('\n').flatMap((l, i) => (/hit Breakpoint/.test(l) ? [i] : []));
    const a = await vscode.workspace.openTextDocument(path.join(dir, 'trace.log'));
    const b = await vscode.workspace.openTextDocument(path.join(dir, 'session.txt'));
    const ea = await vscode.window.showTextDocument(a, { preview: false, viewColumn: vscode.ViewColumn.One });
    const eb = await vscode.window.showTextDocument(b, { preview: false, viewColumn: vscode.ViewColumn.Two });
    // the cursor in each log on a hit of its own: hit 4 of trace.log, hit 2 of session.txt
    eb.selection = new vscode.Selection(headers(b)[1] + 1, 0, headers(b)[1] + 1, 0);
    ea.selection = new vscode.Selection(headers(a)[3] + 1, 0, headers(a)[3] + 1, 0);
    await vscode.window.showTextDocument(a, { preview: false, viewColumn: ea.viewColumn });
    await vscode.commands.executeCommand('qemuBlockTrace.showGraph');
    const shows = (doc: vscode.TextDocument, hit: number) =>
      eventually(async () => {
        const s = await vscode.commands.executeCommand<{ uri?: string; hit?: number; drawn: { hit: number } | null } | undefined>('qemuBlockTrace.graphPanelState');
        return s?.uri === doc.uri.toString() && s.hit === hit && s.drawn?.hit === hit ? true : undefined;
      }, `the graph of ${path.basename(doc.uri.fsPath)} at hit ${hit}`);
    await shows(a, 4);
    await vscode.window.showTextDocument(b, { preview: false, viewColumn: eb.viewColumn });
    await shows(b, 2);
    await vscode.window.showTextDocument(a, { preview: false, viewColumn: ea.viewColumn });
    await shows(a, 4);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a summary in view follows the log made active beside it', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const a = await vscode.workspace.openTextDocument(path.join(dir, 'session.txt'));
    const b = await vscode.workspace.openTextDocument(path.join(dir, 'trace.log'));
    await vscode.window.showTextDocument(b, { preview: false, viewColumn: vscode.ViewColumn.One });
    await vscode.window.showTextDocument(a, { preview: false, viewColumn: vscode.ViewColumn.Two });
    await vscode.commands.executeCommand('qemuBlockTrace.showSummary');
    const tabSays = (title: string) => eventually(async () => ((await ui.texts('.tab .label-name')).includes(title) ? true : undefined), `the summary's tab “${title}”`);
    await tabSays('Summary: session.txt');
    await vscode.window.showTextDocument(b, { preview: false, viewColumn: vscode.ViewColumn.One });
    await tabSays('Summary: trace.log');
    assert.ok(!(await ui.texts('.tab .label-name')).includes('Summary: session.txt'));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the same script run twice (two logs alike, row for row): a click on hit 5 in each moves that log', async () => {
    const runs = ['again1', 'again2'].map((r) => path.join(dir, r, 'trace.log'));
    for (const f of runs) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.copyFileSync(path.join(FIXTURES, 'traces/v10.2.0-mirror.log'), f);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('qemuBlockTrace.groupHitsBy', 'flat');
    try {
      const docs = await Promise.all(runs.map((f) => vscode.workspace.openTextDocument(f)));
      const hit5 = docs[0].getText().split('\n').findIndex((l, i, all) => /hit Breakpoint/.test(l) && all.slice(0, i).filter((x) => /hit Breakpoint/.test(x)).length === 4);
      const editors = [];
      for (const [i, doc] of docs.entries()) editors.push(await vscode.window.showTextDocument(doc, { preview: false, viewColumn: i === 0 ? vscode.ViewColumn.One : vscode.ViewColumn.Two }));
      for (const [i, doc] of docs.entries()) {
        const editor = await vscode.window.showTextDocument(doc, { preview: false, viewColumn: editors[i].viewColumn });
        editor.selection = new vscode.Selection(0, 0, 0, 0);
        await eventually(async () => ((await ui.screenText('.part.sidebar .composite.title')).toLowerCase().includes(`trace.log — again${i + 1}`) && (await rowTexts()).some((r) => r.startsWith('#5 ')) ? true : undefined), `the Hits view on again${i + 1}/trace.log`);
        await ui.click(`${ROWS}:has-text("#5 ")`);
        await eventually(() => (editor.selection.active.line === hit5 ? true : undefined), `again${i + 1}/trace.log at hit 5 (line ${hit5 + 1}), after a click on its row (at line ${editor.selection.active.line + 1})`);
      }
    } finally {
      await vscode.commands.executeCommand('qemuBlockTrace.groupHitsBy', 'command');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });

  it('session.log saved from a terminal with script (gdb\'s colours in every frame): a trace, its links and hovers on the right characters, and as gdb printed it', async () => {
    const doc = await open('session.log');
    await eventually(() => (doc.languageId === 'gdb-trace' ? true : undefined), 'detected as a gdb trace');
    await treeShows('session.log');
    await statusSays('session.log');
    const told = await eventually(async () => {
      const t = await ui.screenText('.notifications-toasts');
      return t.includes('was saved from a terminal') ? t : undefined;
    }, 'the notification about terminal codes');
    assert.match(told, /session\.log was saved from a terminal: \d+ of its lines hold terminal codes/);
    await ui.screenshot('onefile-styled-session');
    await vscode.commands.executeCommand('notifications.clearAll');
    // the frame #1 of the first hit: `#1  ESC[34m0x…ESC[m in ESC[33mbdrv_attach_child_commonESC[m (ESC[36mchild_bsESC[m=0x5555558b8970, …`
    const lines = doc.getText().split('\n');
    const line = lines.findIndex((l) => l.startsWith('#1  \x1b[34m0x00005555555e9135'));
    assert.ok(line > 0, 'the styled frame is in the log');
    const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', doc.uri);
    const link = links.find((l) => l.range.start.line === line + 1);
    assert.ok(link, `a link on line ${line + 2} (the wrapped frame's location)`);
    const linked = doc.getText(link.range);
    assert.equal(withoutTerminalCodes(linked), '../block.c:3029', `the link covers ${JSON.stringify(linked)}`);
    assert.ok(linked.startsWith('../block.c'), 'and starts on the location, not on a colour code');
    const col = lines[line].indexOf('0x5555558b8970');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, col + 3));
    const said = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')).join('\n');
    assert.match(said, /node \(BlockDriverState\) file0 \(file\)/);
    assert.equal(doc.getText(hovers[0].range), '0x5555558b8970', 'the hover is on the pointer');
    const highlights = await vscode.commands.executeCommand<vscode.DocumentHighlight[]>('vscode.executeDocumentHighlights', doc.uri, new vscode.Position(line, col + 3));
    assert.ok(highlights.length > 3);
    for (const h of highlights) assert.equal(doc.getText(h.range), '0x5555558b8970');
    // a frame row of the Hits view selects the frame's lines in the log, to its last character
    await ui.click(`${ROWS}:has-text("blockdev-add driver=qcow2 node-name=d0 file=file0")`);
    await ui.click(`${ROWS}:has-text("#1 ")`);
    await ui.click(`${ROWS}:has-text("#1 bdrv_attach_child_common")`);
    const selected = await eventually(() => {
      const e = vscode.window.visibleTextEditors.find((x) => x.document === doc);
      return e && e.selection.start.line === line && !e.selection.isEmpty ? doc.getText(e.selection) : undefined;
    }, 'frame #1 selected in the log');
    assert.ok(withoutTerminalCodes(selected).endsWith('errp=0x7fffffffdcd0) at ../block.c:3029'), JSON.stringify(selected.slice(-60)));

    // opened beside itself as gdb printed it: the same lines, no codes, a trace of its own
    await vscode.commands.executeCommand('qemuBlockTrace.openAsPrinted', doc.uri);
    const plain = await eventually(() => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.scheme === 'qemu-block-trace-plain' && e.document.languageId === 'gdb-trace' ? e.document : undefined;
    }, 'the log as gdb printed it, as a trace');
    assert.equal(plain.lineCount, doc.lineCount);
    assert.ok(!plain.getText().includes('\x1b'), 'no terminal codes');
    assert.ok(plain.lineAt(line).text.startsWith('#1  0x00005555555e9135 in bdrv_attach_child_common (child_bs=0x5555558b8970, '), plain.lineAt(line).text);
    await treeShows('session.log');
    const plainLinks = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', plain.uri);
    assert.equal(plainLinks.length, links.length, 'as many links as in the log itself');
    await ui.screenshot('onefile-styled-as-shown');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('capture.log, a tmux pane saved without -J (every long line cut at 100 columns): it says so, and as gdb printed it the session is whole', async () => {
    const doc = await open('capture.log');
    await eventually(() => (doc.languageId === 'gdb-trace' ? true : undefined), 'detected as a gdb trace');
    const told = await eventually(async () => {
      const t = await ui.screenText('.notifications-toasts');
      return t.includes('looks cut where') ? t : undefined;
    }, 'the notification about cut lines');
    assert.match(told, /capture\.log looks cut where a terminal's screen wrapped it: 449 of its lines are exactly 100 characters/);
    await ui.screenshot('onefile-cut-capture');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('qemuBlockTrace.openAsPrinted', doc.uri);
    const plain = await eventually(() => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.uri.scheme === 'qemu-block-trace-plain' && e.document.languageId === 'gdb-trace' ? e.document : undefined;
    }, 'the capture as gdb printed it, as a trace');
    assert.ok(plain.lineCount < doc.lineCount, `${plain.lineCount} lines joined from ${doc.lineCount}`);
    // the session's ten commands and forty hits, as in the log gdb wrote (failures.log's neighbour fixture)
    await eventually(async () => {
      const rows = await rowTexts();
      const total = rows.reduce((n, r) => n + Number(/ (\d+) hits?$/.exec(r)?.[1] ?? 0), 0);
      return rows.length === 10 && total === 40 && /^blockdev-add driver=file node-name=file0 .* 0 hits$/.test(rows[0]) ? rows : undefined;
    }, 'the Hits view with the whole session');
    await ui.screenshot('onefile-cut-as-printed');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('mirror.log.gz, a log compressed as large logs are passed around: opened as any file, it is read from disk decompressed', async () => {
    const gz = path.join(dir, 'mirror.log.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(path.join(FIXTURES, 'traces/v10.2.0-mirror.log'))));
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(gz), { preview: false });
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.fsPath === gz), 'VS Code hands no document of a compressed file');
    const toast = await eventually(async () => {
      const t = await ui.screenText('.notification-toast:has-text("is compressed")');
      return t === '' ? undefined : t;
    }, 'the notification that the log was read decompressed');
    assert.match(toast, /mirror\.log\.gz is compressed \(gzip\): its 23 hits were read from disk/);
    await treeShows('mirror.log.gz');
    assert.match(await ui.screenText(`${VIEW} .pane-body`), /Read from disk: mirror\.log\.gz is compressed\./);
    await statusSays('mirror.log.gz');
    await ui.screenshot('onefile-compressed');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});

/** The status bar counts, with the icon that says everything was understood (not the warning). */
async function statusSays2(name: string, hits: number): Promise<void> {
  const text = `${hits} hit${hits === 1 ? '' : 's'} · 0 commands`;
  await eventually(async () => ((await ui.texts('.statusbar-item')).some((t) => t.includes(text)) ? true : undefined), `status bar “${text}” for ${name}`);
  const icon = await ui.attributes(`.statusbar-item:has-text("${text}") .codicon`, 'class');
  assert.ok(icon.some((c) => c?.includes('codicon-debug-breakpoint')), `no warning icon, got ${icon.join(' | ')}`);
}
