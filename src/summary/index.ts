// `QEMU Block Trace: Show Summary`: what the log holds, in a view beside it — each command with its
// hits and what they did to the block graph, free-standing backtraces, what was not understood —
// every entry a link to its log line; and a status bar entry with the counts and any problems.

import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { formatSummary, traceReport } from '../model/summary';
import type { BlockGraph } from '../model/graph';
import type { Trace } from '../model/trace';
import { activeTabUri, columnShowing, isInATab, traceName, type TraceSource, type TraceStore } from '../traceStore';
import { summaryHtml } from './html';
import type { SummaryPageMessage } from './messages';
import { nonce } from '../webviewPage';

export const SHOW_SUMMARY = 'qemuBlockTrace.showSummary';
const VIEW_TYPE = 'qemuBlockTrace.summary';

/** What the command reports: the summary as text (as the CLI prints it), and which document it describes. */
export interface SummaryResult {
  source: string;
  lines: string[];
  hits: number;
  commands: number;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The summary panel: one, showing the trace it was last asked for, redrawn as that trace changes. */
class SummaryPanel implements vscode.Disposable {
  private source: TraceSource | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly store: TraceStore,
    onDispose: () => void,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media', 'summary')] };
    this.disposables.push(
      panel.onDidDispose(() => {
        onDispose();
        this.dispose();
      }),
      panel.webview.onDidReceiveMessage((m: SummaryPageMessage) => this.onMessage(m)),
    );
  }

  get shows(): TraceSource | undefined {
    return this.source;
  }

  show(source: TraceSource): void {
    this.source = source;
    const trace = source.trace;
    // shown again as it is: the page is kept (laying out a large log's summary takes seconds)
    if (this.rendered?.trace === trace && this.rendered.graph === this.store.blockGraphIfBuilt(trace)) return;
    this.render(source.uri, trace);
    // the graph changes each command made come with the replay
    if (!this.store.blockGraphIfBuilt(trace)) {
      this.store.blockGraph(trace).then(
        () => {
          if (this.source?.trace === trace) this.render(source.uri, trace);
        },
        () => undefined,
      );
    }
  }

  /** What the page shows: the trace, and the replay it was made with. */
  private rendered: { trace: Trace; graph: BlockGraph | undefined } | undefined;

  private render(uri: vscode.Uri, trace: Trace): void {
    this.rendered = { trace, graph: this.store.blockGraphIfBuilt(trace) };
    const webview = this.panel.webview;
    const n = nonce();
    const name = vscode.workspace.asRelativePath(uri, false);
    this.panel.title = vscode.l10n.t('Summary: {0}', traceName(uri));
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `script-src 'nonce-${n}'`].join('; ');
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'summary', 'summary.css')).toString();
    webview.html = summaryHtml(traceReport(trace, name, this.store.blockGraphIfBuilt(trace)), { csp, nonce: n, style });
  }

  private async onMessage(m: SummaryPageMessage): Promise<void> {
    const source = this.source;
    if (!source) return;
    if (m.type === 'copy') {
      await vscode.env.clipboard.writeText(`${formatSummary(source.trace, vscode.workspace.asRelativePath(source.uri, false)).join('\n')}\n`);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Summary copied as text.'), 2500);
      return;
    }
    const doc = source.document;
    if (m.type !== 'reveal' || !Number.isInteger(m.line) || m.line < 0 || m.line >= source.trace.lineCount) return;
    if (!doc) {
      // a log too large for VS Code to hand over: the editor opens it itself, at the line, in the
      // column that shows it already (not the summary's)
      await vscode.commands.executeCommand('vscode.open', source.uri, { selection: new vscode.Range(m.line, 0, m.line, 0), preview: false, viewColumn: columnShowing(source.uri) ?? vscode.ViewColumn.One });
      return;
    }
    if (!doc.isClosed && m.line < doc.lineCount) {
      const visible = vscode.window.visibleTextEditors.find((e) => e.document === doc);
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
      const range = doc.lineAt(m.line).range;
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
    this.panel.dispose();
  }
}

export function registerSummary(context: vscode.ExtensionContext, store: TraceStore): vscode.Disposable {
  // the page is made by html.ts, which has no vscode import: it translates with @vscode/l10n
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
  let lastSource: TraceSource | undefined;
  let panel: SummaryPanel | undefined;
  const stillShown = (s: TraceSource | undefined) => s && (!s.document || !s.document.isClosed) && isInATab(s.uri) ? s : undefined;

  const status = vscode.window.createStatusBarItem('qemuBlockTrace.status', vscode.StatusBarAlignment.Left, 50);
  status.name = 'QEMU Block Trace';
  status.command = SHOW_SUMMARY;
  const updateStatus = () => {
    // a webview beside the log (this summary, the graph) keeps the log's status; a file's tab
    // without an editor (one too large to show at once) is no webview
    const webviewActive = vscode.window.activeTextEditor === undefined && activeTabUri() === undefined;
    const source = store.activeSource ?? (webviewActive ? (stillShown(lastSource) ?? store.shownSource()) : undefined);
    if (source) lastSource = source;
    if (!source) {
      status.hide();
      return;
    }
    const trace = source.trace;
    const problems = trace.diagnostics.reduce((n, d) => n + d.count, 0);
    status.text = `${problems > 0 ? '$(warning)' : '$(debug-breakpoint)'} ${count(trace.hits.length, 'hit')} · ${count(trace.commands.length, 'command')}`;
    status.tooltip = new vscode.MarkdownString(
      problems === 0
        ? vscode.l10n.t('QEMU Block Trace: everything in this log was understood. Click for the summary.')
        : [vscode.l10n.t('QEMU Block Trace: parts of this log were not understood:'), '', ...trace.diagnostics.map((d) => `- ${d.count} × ${d.message}`)].join('\n'),
    );
    status.show();
  };

  const show = async (): Promise<SummaryResult | undefined> => {
    // the active trace, else the last one seen (the summary itself, or a source file, may be active)
    const source = store.activeSource ?? stillShown(lastSource) ?? store.shownSource();
    if (!source) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a gdb trace (a .log of breakpoint hits and backtraces) to see its summary.'));
      return undefined;
    }
    // the log's editor, or its tab (a log read from disk has no editor)
    const logColumn = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === source.uri.toString())?.viewColumn ?? columnShowing(source.uri) ?? vscode.ViewColumn.One;
    if (!panel) {
      // kept while hidden: the summary of a large log (27,000 links) took 5 s to lay out again
      const webviewPanel = vscode.window.createWebviewPanel(VIEW_TYPE, vscode.l10n.t('Summary'), { viewColumn: logColumn + 1, preserveFocus: false }, { enableFindWidget: true, retainContextWhenHidden: true });
      panel = new SummaryPanel(webviewPanel, context.extensionUri, store, () => (panel = undefined));
    } else panel.panel.reveal(undefined, false);
    panel.show(source);
    const trace = source.trace;
    return { source: source.uri.toString(), lines: formatSummary(trace, vscode.workspace.asRelativePath(source.uri, false)), hits: trace.hits.length, commands: trace.commands.length };
  };

  updateStatus();
  return vscode.Disposable.from(
    status,
    { dispose: () => panel?.dispose() },
    vscode.commands.registerCommand(SHOW_SUMMARY, show),
    // the active trace: a change of editor, or a shown log that detection made a trace
    store.onDidChangeActiveTrace(updateStatus),
    // a summary in view follows the log made active beside it, as the graph does
    store.onDidChangeActiveTrace((s) => {
      if (s && panel?.panel.visible && s.uri.toString() !== panel.shows?.uri.toString()) panel.show(s);
    }),
    store.onDidChange(({ document, trace }) => {
      if (document === store.activeTrace) updateStatus();
      if (panel?.shows?.document === document) panel.show({ uri: document.uri, document, trace });
    }),
  );
}
