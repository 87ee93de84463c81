// Record Session…: run QEMU under gdb with the companion from VS Code, with a QMP terminal to type
// commands into and the log open beside it, followed live by the Hits view, the code lenses and
// the graph panel as hits arrive (the store reads only what the recording appended). What to run
// comes from the command's argument, else `.vscode/qemu-block-trace.json`, else the
// `qemuBlockTrace.record.*` settings, else it is asked for.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Session } from '../record';
import { LANGUAGE_ID } from '../traceStore';
import { readProfile, resolveProfile, type RecordProfile } from './profile';
import { QmpTerminal } from './qmpTerminal';

const PROFILE_FILE = path.join('.vscode', 'qemu-block-trace.json');

function profileFromFile(folder: vscode.WorkspaceFolder | undefined): RecordProfile {
  if (!folder) return {};
  const file = path.join(folder.uri.fsPath, PROFILE_FILE);
  if (!fs.existsSync(file)) return {};
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} cannot be read ({1}); it was not used.', PROFILE_FILE, (e as Error).message));
    return {};
  }
  const { profile, problems } = readProfile(text);
  if (problems.length > 0) void vscode.window.showWarningMessage(vscode.l10n.t('{0}: {1}.', PROFILE_FILE, problems.join('; ')));
  return profile;
}

function profileFromSettings(): RecordProfile {
  const c = vscode.workspace.getConfiguration('qemuBlockTrace.record');
  const out: RecordProfile = {};
  const binary = c.get<string>('binary', '');
  if (binary) out.binary = binary;
  const args = c.get<string[]>('args', []);
  if (args.length > 0) out.args = args;
  const bps = c.get<string[]>('breakpoints', []);
  if (bps.length > 0) out.breakpoints = bps;
  const gdb = c.get<string>('gdb', '');
  if (gdb) out.gdb = gdb;
  return out;
}

/** `--blockdev driver=file,filename="a b"` → words, as a shell would split them (quotes kept out). */
export function shellWords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
}

class Recordings implements vscode.Disposable {
  private session: Session | undefined;
  private log: vscode.Uri | undefined;
  private terminal: vscode.Terminal | undefined;
  private readonly status = vscode.window.createStatusBarItem('qemuBlockTrace.recording', vscode.StatusBarAlignment.Left, 90);

  constructor(private readonly context: vscode.ExtensionContext) {
    this.status.name = vscode.l10n.t('QEMU Block Trace: recording');
    this.status.command = 'qemuBlockTrace.stopRecording';
  }

  get state() {
    return { log: this.log?.toString(), running: this.session?.running ?? false, commands: this.session?.commands ?? 0, terminal: this.terminal?.name };
  }

  async start(given: RecordProfile | undefined): Promise<void> {
    if (this.session?.running) {
      void vscode.window.showInformationMessage(vscode.l10n.t('A recording is running: stop it first.'));
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    // relative paths are the workspace's, not the extension host's working directory
    const merged: RecordProfile = { ...profileFromSettings(), ...profileFromFile(folder), ...(given ?? {}) };
    const p = folder ? resolveProfile(merged, folder.uri.fsPath) : merged;
    if (!p.binary) {
      const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectMany: false, title: vscode.l10n.t('QEMU binary to record (qemu-storage-daemon, qemu-system-…), built with debug info'), openLabel: vscode.l10n.t('Record It') });
      if (!picked?.[0]) return;
      p.binary = picked[0].fsPath;
      const args = await vscode.window.showInputBox({ title: vscode.l10n.t('Arguments for QEMU'), prompt: vscode.l10n.t('The recorder adds its own QMP monitor socket; leave empty for none'), placeHolder: '--blockdev driver=file,node-name=f0,filename=/tmp/a.qcow2' });
      if (args === undefined) return;
      p.args = shellWords(args);
    }
    const dir = folder ? path.join(folder.uri.fsPath, 'recordings') : path.join(os.tmpdir(), 'qemu-block-trace-recordings');
    const out = p.out ?? path.join(dir, `${timestamp()}.log`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const started = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Starting {0} under gdb…', path.basename(p.binary)) }, () =>
      Session.start({
        out,
        binary: p.binary!,
        args: p.args ?? [],
        breakpoints: p.breakpoints ?? [],
        gdb: p.gdb ?? 'gdb',
        gdbFiles: p.gdbFiles ?? [],
        companion: this.context.asAbsolutePath(path.join('resources', 'gdb', 'qemu_block_trace.py')),
      }),
    );
    this.log = vscode.Uri.file(out);
    if (!(started instanceof Session)) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not record: {0}', started.problem ?? ''));
      if (fs.existsSync(out) && fs.statSync(out).size > 0) await this.openLog();
      return;
    }
    this.session = started;
    await this.openLog();
    // the hits as they arrive
    void vscode.commands.executeCommand('workbench.view.extension.qemuBlockTrace');
    const pty = new QmpTerminal(started, path.basename(p.binary));
    this.terminal = vscode.window.createTerminal({ name: vscode.l10n.t('QMP: {0}', path.basename(p.binary)), pty, iconPath: new vscode.ThemeIcon('record') });
    this.terminal.show();
    void vscode.commands.executeCommand('setContext', 'qemuBlockTrace.recording', true);
    this.status.text = `$(record) ${vscode.l10n.t('Recording {0}', path.basename(out))}`;
    this.status.tooltip = vscode.l10n.t('Recording QEMU under gdb into {0}. Click to stop (QEMU is asked to quit).', out);
    this.status.show();
    void started.ended.then((r) => {
      void vscode.commands.executeCommand('setContext', 'qemuBlockTrace.recording', false);
      this.status.hide();
      if (r.problem) void vscode.window.showWarningMessage(vscode.l10n.t('The recording ended: {0}. The log so far is in {1}.', r.problem, path.basename(out)));
    });
  }

  private async openLog(): Promise<void> {
    if (!this.log) return;
    const doc = await vscode.workspace.openTextDocument(this.log);
    const shown = doc.languageId === LANGUAGE_ID ? doc : await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
    await vscode.window.showTextDocument(shown, { preview: false });
  }

  async stop(): Promise<void> {
    const s = this.session;
    if (!s?.running) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Stopping the recording (QEMU is asked to quit)…') }, () => s.quit());
  }

  dispose(): void {
    this.session?.kill();
    this.status.dispose();
  }
}

export function registerRecording(context: vscode.ExtensionContext): vscode.Disposable {
  const r = new Recordings(context);
  return vscode.Disposable.from(
    r,
    vscode.commands.registerCommand('qemuBlockTrace.recordSession', (profile?: RecordProfile) => r.start(profile)),
    vscode.commands.registerCommand('qemuBlockTrace.stopRecording', () => r.stop()),
    vscode.commands.registerCommand('qemuBlockTrace.recordingState', () => r.state),
  );
}
