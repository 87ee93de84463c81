import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { eventually, reportFigure, ui } from './ui';

// the debug QEMU the test set-up builds once per machine (scripts/qemuBuild.mjs)
const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUILD = process.env.QBT_QEMU_BUILD ?? path.join(ROOT, '.qemu-cache', 'qemu-7.2.0', 'build');
const QSD = path.join(BUILD, 'storage-daemon', 'qemu-storage-daemon');
const ROWS = '.pane:has(.pane-header:has-text("Hits")) .monaco-list-row';

interface RecordingState {
  log?: string;
  running: boolean;
  commands: number;
  terminal?: string;
}
const state = () => vscode.commands.executeCommand<RecordingState>('qemuBlockTrace.recordingState');

describe('Record Session… on a real debug QEMU: the QMP terminal, the log followed live, the graph as QEMU had it', () => {
  const images = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-record-ui-'));

  before(function () {
    if (!ui.available || !fs.existsSync(QSD) || spawnSync('gdb', ['--version']).status !== 0) {
      process.stdout.write(`      skipped: ${!ui.available ? 'no UI driver' : `no debug QEMU at ${BUILD} or no gdb (npm test builds it: npm run qemu-build)`}\n`);
      this.skip();
    }
    for (const img of ['base.qcow2', 'over.qcow2']) assert.equal(spawnSync(path.join(BUILD, 'qemu-img'), ['create', '-q', '-f', 'qcow2', path.join(images, img), '64M']).status, 0);
  });

  after(async () => {
    if ((await state())?.running) await vscode.commands.executeCommand('qemuBlockTrace.stopRecording');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.terminal.killAll');
  });

  it('records three commands typed in the QMP terminal; the Hits tree grows and the graph says it is QEMU’s', async function () {
    this.timeout(240_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const t0 = Date.now();
    await vscode.commands.executeCommand('qemuBlockTrace.recordSession', { binary: QSD, args: [] });
    const started = await eventually(async () => {
      const s = await state();
      return s?.running && s.log ? s : undefined;
    }, 'the recording running', 60_000);
    reportFigure(`Record Session: QEMU under gdb and its QMP connected ${Date.now() - t0} ms after the command`);
    const log = vscode.Uri.parse(started.log!).fsPath;
    assert.ok(log.includes(`${path.sep}recordings${path.sep}`), `the log goes into the workspace's recordings/ (${log})`);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, log, 'the log is open');
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'gdb-trace');
    // the QMP terminal, typed into as a person does
    await ui.click('.terminal-wrapper .xterm');
    const typed = [
      `blockdev-add driver=file node-name=file0 filename=${images}/base.qcow2`,
      'blockdev-add driver=qcow2 node-name=base0 file=file0',
      `blockdev-add driver=qcow2 node-name=over0 file.driver=file file.filename=${images}/over.qcow2 backing=base0`,
    ];
    // the first as a person waits for its reply; the other two typed ahead while QEMU works
    await ui.type(typed[0]);
    await ui.press('Enter');
    await eventually(() => ((fs.readFileSync(log, 'utf8').match(/^\{"return"/gm)?.length ?? 0) >= 1 ? true : undefined), 'the reply to command 1 in the log', 60_000);
    for (const line of typed.slice(1)) {
      await ui.type(line);
      await ui.press('Enter');
    }
    await eventually(() => ((fs.readFileSync(log, 'utf8').match(/^\{"return"/gm)?.length ?? 0) >= 3 ? true : undefined), 'the replies to all three commands in the log', 60_000);
    // each typed line is in the log as qmp-shell shows it, before its hits (the terminal draws on a canvas)
    const written = fs.readFileSync(log, 'utf8');
    for (const line of typed) assert.ok(written.includes(`\n(QEMU) ${line}\n`), line);
    // the Hits tree follows the log as it grows
    const rows = await eventually(async () => {
      const r = await ui.rows(ROWS);
      return r.some((x) => x.label.startsWith('blockdev-add driver=qcow2 node-name=over0') && /\d+ hits/.test(x.description)) ? r : undefined;
    }, 'the three commands in the Hits tree', 60_000);
    assert.deepEqual(
      rows.filter((r) => r.level === 1).map((r) => [r.label.split(' ').slice(0, 3).join(' '), r.description]),
      [
        ['blockdev-add driver=file node-name=file0', '0 hits'],
        ['blockdev-add driver=qcow2 node-name=base0', '3 hits'],
        ['blockdev-add driver=qcow2 node-name=over0', rows.find((r) => r.label.startsWith('blockdev-add driver=qcow2 node-name=over0'))!.description],
      ],
    );
    // the graph panel, on the last hit but one: the state QEMU recorded at the last stop
    await vscode.commands.executeCommand('qemuBlockTrace.showGraph');
    await eventually(async () => {
      const s = await vscode.commands.executeCommand<{ drawn: { hit: number } | null }>('qemuBlockTrace.graphPanelState');
      return s?.drawn ? s : undefined;
    }, 'the graph drawn', 60_000);
    const hits = Number(/(\d+) hits/.exec(await ui.screenText('.statusbar-item:has-text("hits")'))?.[1]);
    assert.ok(hits >= 6, `hits: ${hits}`);
    await ui.click('button[data-action="last"]', { frame: 'webview' });
    await eventually(async () => {
      const s = await vscode.commands.executeCommand<{ drawn: { hit: number } | null }>('qemuBlockTrace.graphPanelState');
      return s?.drawn?.hit === hits ? true : undefined;
    }, 'the last hit drawn');
    const last = hits;
    await ui.click('button[data-action="previous"]', { frame: 'webview' });
    await eventually(async () => {
      const s = await vscode.commands.executeCommand<{ drawn: { hit: number } | null }>('qemuBlockTrace.graphPanelState');
      return s?.drawn?.hit === last - 1 ? true : undefined;
    }, 'the previous hit drawn');
    const note = await eventually(async () => {
      const t = await ui.screenText('#recorded', 'webview');
      return t.includes('Recorded from QEMU’s memory') ? t : undefined;
    }, 'the note on QEMU’s recorded graph');
    assert.match(note, new RegExp(`Recorded from QEMU’s memory as hit ${last} stopped: the replay agrees, as at ${hits}/${hits} recorded stops\\.`));
    await ui.screenshot('recording');
    // QEMU's own graph at that stop, drawn instead of the replay: the same nodes and edges, nothing marked
    await ui.click('button[data-action="recorded"]', { frame: 'webview' });
    const qemuNote = await eventually(async () => {
      const t = await ui.screenText('#recorded', 'webview');
      return t.includes('QEMU’s own graph') ? t : undefined;
    }, 'QEMU’s graph drawn');
    assert.match(qemuNote, new RegExp(`QEMU’s own graph, read from its memory as hit ${last} stopped: the replay agrees\\.`));
    const labels = await eventually(async () => {
      const l = await ui.svgLabels('#canvas svg g.node');
      return l.some((x) => x.includes('over0')) ? l : undefined;
    }, 'QEMU’s nodes in the drawing');
    assert.ok(labels.some((x) => x.includes('base0')) && labels.some((x) => x.includes('file0')), labels.join(' | '));
    assert.deepEqual(await ui.svgLabels('#canvas svg g.edge.bg-added, #canvas svg g.edge.bg-removed'), [], 'no difference marked');
    await ui.screenshot('recording-qemu-graph');
    await ui.click('button[data-action="recorded"]', { frame: 'webview' });
    // Stop: QEMU is asked to quit, and the log is complete
    await vscode.commands.executeCommand('qemuBlockTrace.stopRecording');
    await eventually(async () => ((await state())?.running === false ? true : undefined), 'the recording stopped', 60_000);
    const text = fs.readFileSync(log, 'utf8');
    assert.match(text, /^\(QEMU\) quit$/m);
    assert.match(text, /\[Inferior 1 \(process \d+\) exited normally\]/);
    assert.equal((await state())?.commands, 4);
  });
});
