// `QEMU Block Trace: Show Summary`: what the log holds, one line per QMP command, in a read-only
// document beside the log; and a status bar entry with the counts and any problems found.

import * as vscode from 'vscode';
import { formatSummary } from '../model/summary';
import type { Trace } from '../model/trace';
import { TraceStore } from '../traceStore';

export const SUMMARY_SCHEME = 'qemu-block-trace-summary';
export const SHOW_SUMMARY = 'qemuBlockTrace.showSummary';
const SUMMARY_LANGUAGE = 'gdb-trace-summary';

/** What the command reports: the lines shown, and which document they describe. */
export interface SummaryResult {
  source: string;
  lines: string[];
  hits: number;
  commands: number;
}

function summaryUri(source: vscode.Uri): vscode.Uri {
  const base = source.path.split('/').pop() ?? 'trace';
  return vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `/${base} — summary`, query: source.toString() });
}

function summaryLines(document: vscode.TextDocument, trace: Trace): string[] {
  const name = vscode.workspace.asRelativePath(document.uri, false);
  return formatSummary(trace, name);
}

/** The trace document the user means: the active editor's, else the last trace editor seen. */
function pickTraceDocument(lastTrace: vscode.TextDocument | undefined): vscode.TextDocument | undefined {
  const active = vscode.window.activeTextEditor?.document;
  if (active && active.uri.scheme !== SUMMARY_SCHEME && (TraceStore.isTrace(active) || active.languageId === 'log')) return active;
  if (active?.uri.scheme === SUMMARY_SCHEME) {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === active.uri.query);
  }
  return lastTrace && !lastTrace.isClosed ? lastTrace : undefined;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function registerSummary(store: TraceStore): vscode.Disposable {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  let lastTrace: vscode.TextDocument | undefined;

  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    provideTextDocumentContent(uri) {
      const source = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.query);
      if (!source) return 'The trace this summary was made from is no longer open.\n';
      return `${summaryLines(source, store.get(source)).join('\n')}\n`;
    },
  };

  const status = vscode.window.createStatusBarItem('qemuBlockTrace.status', vscode.StatusBarAlignment.Left, 50);
  status.name = 'QEMU Block Trace';
  status.command = SHOW_SUMMARY;
  const updateStatus = () => {
    const active = vscode.window.activeTextEditor?.document;
    if (active && TraceStore.isTrace(active)) lastTrace = active;
    // the summary beside the log keeps its trace's status
    const doc = active?.uri.scheme === SUMMARY_SCHEME && lastTrace?.uri.toString() === active.uri.query ? lastTrace : active;
    if (!doc || doc.isClosed || !TraceStore.isTrace(doc)) {
      status.hide();
      return;
    }
    const trace = store.get(doc);
    const problems = trace.diagnostics.reduce((n, d) => n + d.count, 0);
    status.text = `${problems > 0 ? '$(warning)' : '$(debug-breakpoint)'} ${count(trace.hits.length, 'hit')} · ${count(trace.commands.length, 'command')}`;
    status.tooltip = new vscode.MarkdownString(
      problems === 0
        ? 'QEMU Block Trace: everything in this log was understood. Click for the summary.'
        : ['QEMU Block Trace: parts of this log were not understood:', '', ...trace.diagnostics.map((d) => `- ${d.count} × ${d.message}`)].join('\n'),
    );
    status.show();
  };

  const show = async (): Promise<SummaryResult | undefined> => {
    const document = pickTraceDocument(lastTrace);
    if (!document) {
      void vscode.window.showInformationMessage('Open a gdb trace (a .log of breakpoint hits and backtraces) to see its summary.');
      return undefined;
    }
    const trace = store.get(document);
    const uri = summaryUri(document.uri);
    changed.fire(uri);
    const summaryDoc = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(uri), SUMMARY_LANGUAGE);
    // beside the log's own editor, reusing the column an earlier summary took
    const logColumn = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn ?? vscode.ViewColumn.One;
    await vscode.window.showTextDocument(summaryDoc, { viewColumn: logColumn + 1, preview: true, preserveFocus: false });
    return { source: document.uri.toString(), lines: summaryLines(document, trace), hits: trace.hits.length, commands: trace.commands.length };
  };

  updateStatus();
  return vscode.Disposable.from(
    changed,
    status,
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, provider),
    vscode.commands.registerCommand(SHOW_SUMMARY, show),
    // the active trace: a change of editor, or a shown log that detection made a trace
    store.onDidChangeActiveTrace(updateStatus),
    store.onDidChange(({ document }) => {
      if (document === vscode.window.activeTextEditor?.document) updateStatus();
      const open = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === SUMMARY_SCHEME && d.uri.query === document.uri.toString());
      for (const d of open) changed.fire(d.uri);
    }),
  );
}
