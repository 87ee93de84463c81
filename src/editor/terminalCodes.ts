// A log saved from a terminal (`script`): gdb's colours and readline's prompt codes are in its
// lines. The model reads them without the codes and the providers map their columns back
// (logText.ts), so the log works as it is; VS Code still shows the codes, and its highlighting
// stumbles on them. The log can be opened beside itself as the terminal showed it: a read-only
// document of the same lines without the codes, where everything works as in any log. The user's
// file is never changed.

import * as vscode from 'vscode';
import { basename } from '../model/paths';
import { withoutTerminalCodes } from '../model/terminal';
import { LANGUAGE_ID, type TraceSource, type TraceStore } from '../traceStore';

export const PLAIN_SCHEME = 'qemu-block-trace-plain';
const SUFFIX = ' (as the terminal showed it)';

/** The URI of the log `uri` as the terminal showed it. */
export function plainUri(uri: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: PLAIN_SCHEME, path: uri.path + SUFFIX, query: uri.toString() });
}

/** The lines of `text` without their terminal codes, each line where it was. */
export function asTheTerminalShowedIt(text: string): string {
  return text
    .split('\n')
    .map((line) => withoutTerminalCodes(line.endsWith('\r') ? line.slice(0, -1) : line))
    .join('\n');
}

export function registerTerminalCodes(store: TraceStore): vscode.Disposable {
  const told = new Set<string>();
  const changed = new vscode.EventEmitter<vscode.Uri>();

  const open = async (uri?: vscode.Uri) => {
    const target = uri ?? store.activeSource?.uri ?? vscode.window.activeTextEditor?.document.uri;
    if (!target) return;
    if (target.scheme === PLAIN_SCHEME) return;
    const plain = plainUri(target);
    const doc = await vscode.workspace.openTextDocument(plain);
    const shown = doc.languageId === LANGUAGE_ID ? doc : await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
    await vscode.window.showTextDocument(shown, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  };

  const tell = (source: TraceSource | undefined) => {
    const codes = source?.trace.terminalCodes;
    if (!source?.document || !codes || source.uri.scheme === PLAIN_SCHEME) return;
    const key = source.uri.toString();
    if (told.has(key)) return;
    told.add(key);
    const action = vscode.l10n.t('Open as the Terminal Showed It');
    void vscode.window
      .showInformationMessage(
        vscode.l10n.t(
          '{0} was saved from a terminal: {1} of its lines hold terminal codes (gdb\'s colours, prompt codes). They are read without them, so hits, links and hovers work here; to read the log without them, open it as the terminal showed it.',
          basename(source.uri.path),
          codes.lines,
        ),
        action,
      )
      .then((picked) => (picked === action ? open(source.uri) : undefined));
  };

  return vscode.Disposable.from(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(PLAIN_SCHEME, {
      onDidChange: changed.event,
      async provideTextDocumentContent(uri) {
        const original = vscode.Uri.parse(uri.query);
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === original.toString());
        const text = doc ? doc.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(original));
        return asTheTerminalShowedIt(text);
      },
    }),
    vscode.commands.registerCommand('qemuBlockTrace.openAsTerminalShowed', (uri?: vscode.Uri) => open(uri instanceof vscode.Uri ? uri : undefined)),
    store.onDidChangeActiveTrace(tell),
    // a log still being written: its view as the terminal showed it follows
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.scheme === PLAIN_SCHEME) return;
      const plain = plainUri(e.document.uri).toString();
      if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === plain)) changed.fire(plainUri(e.document.uri));
    }),
  );
}
