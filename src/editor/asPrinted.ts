// Logs saved from a terminal, and what the terminal did to them. `script` keeps gdb's colours and
// readline's prompt codes in the lines: the model reads them without the codes and the providers
// map their columns back (logText.ts), so the log works as it is, but VS Code still shows the
// codes and its highlighting stumbles on them. A capture of the screen (tmux's capture-pane
// without -J) cuts every long line where the screen wrapped it: frames cut in two cannot be read.
// Either log can be opened beside itself as gdb printed it: a read-only document of its lines
// without the codes and joined again, where everything works as in any log. The user's file is
// never changed.

import * as vscode from 'vscode';
import { basename } from '../model/paths';
import { asGdbPrintedIt } from '../model/terminal';
import { LANGUAGE_ID, type TraceSource, type TraceStore } from '../traceStore';

const PLAIN_SCHEME = 'qemu-block-trace-plain';
const SUFFIX = ' (as gdb printed it)';

/** The URI of the log `uri` as gdb printed it. */
function plainUri(uri: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: PLAIN_SCHEME, path: uri.path + SUFFIX, query: uri.toString() });
}

export function registerAsPrinted(store: TraceStore): vscode.Disposable {
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
    const trace = source?.trace;
    if (!source?.document || !trace || source.uri.scheme === PLAIN_SCHEME || (!trace.terminalCodes && !trace.cutAt)) return;
    const key = source.uri.toString();
    if (told.has(key)) return;
    told.add(key);
    const name = basename(source.uri.path);
    const action = vscode.l10n.t('Open as gdb Printed It');
    const message = trace.cutAt
      ? vscode.l10n.t(
          '{0} looks cut where a terminal\'s screen wrapped it: {1} of its lines are exactly {2} characters and none is longer (tmux capture-pane without -J?), so frames cut in two are not read whole. Open it as gdb printed it, with those lines joined again.',
          name,
          trace.cutAt.lines,
          trace.cutAt.width,
        )
      : vscode.l10n.t(
          '{0} was saved from a terminal: {1} of its lines hold terminal codes (gdb\'s colours, prompt codes). They are read without them, so hits, links and hovers work here; to read the log without them, open it as gdb printed it.',
          name,
          trace.terminalCodes!.lines,
        );
    void vscode.window.showInformationMessage(message, action).then((picked) => (picked === action ? open(source.uri) : undefined));
  };

  return vscode.Disposable.from(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(PLAIN_SCHEME, {
      onDidChange: changed.event,
      async provideTextDocumentContent(uri) {
        const original = vscode.Uri.parse(uri.query);
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === original.toString());
        const text = doc ? doc.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(original));
        return asGdbPrintedIt(text).text;
      },
    }),
    vscode.commands.registerCommand('qemuBlockTrace.openAsPrinted', (uri?: vscode.Uri) => open(uri instanceof vscode.Uri ? uri : undefined)),
    store.onDidChangeActiveTrace(tell),
    // a log still being written: its view as gdb printed it follows
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.scheme === PLAIN_SCHEME) return;
      const plain = plainUri(e.document.uri).toString();
      if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === plain)) changed.fire(plainUri(e.document.uri));
    }),
  );
}
