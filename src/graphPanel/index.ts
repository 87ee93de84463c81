// The graph panel's host: one webview beside the log that draws the block graph as it stood at a
// hit. It shows the trace the Hits view shows, follows the tree's selection and the editor's
// cursor, and drives them back when you step (the editor moves to the hit, the tree follows it).

import * as vscode from 'vscode';
import { graphToDot } from '../model/dot';
import type { BlockGraph } from '../model/graph';
import { recordedAgreementLine, recordedView } from '../model/recorded';
import { hitAtLine, hitAfterLine } from '../model/positions';
import { basename } from '../model/paths';
import { Cancelled } from '../model/work';
import { commandLabel } from '../model/qmp';
import { documentRange } from '../logText';
import { activeTabUri, isInATab, LANGUAGE_ID, traceName, TraceStore, type HitsFocus, type TraceSource } from '../traceStore';
import { escapeHtml, nonce, pageHead } from '../webviewPage';
import type { GraphPanelState, HostMessage, WebviewMessage } from './messages';

export const GRAPH_VIEW_TYPE = 'qemuBlockTrace.graph';

/** What QEMU's recorded graph says of the state after `hit`: it is the one hit + 1 stopped with. */
function recordedNote(graph: BlockGraph, hit: number, showing: boolean): { agrees: boolean; text: string; available: boolean; showing: boolean } | undefined {
  const checks = graph.checkRecorded();
  if (checks.length === 0) return undefined;
  const at = checks.find((c) => c.hit === hit + 1);
  const all = recordedAgreementLine(checks);
  if (!at) return { agrees: true, available: false, showing: false, text: vscode.l10n.t('No graph recorded from QEMU’s memory after this hit; {0}.', all) };
  const agreeing = checks.filter((c) => c.differences.length === 0).length;
  if (showing) {
    return { agrees: at.differences.length === 0, available: true, showing, text: at.differences.length === 0 ? vscode.l10n.t('QEMU’s own graph, read from its memory as hit {0} stopped: the replay agrees.', at.hit) : vscode.l10n.t('QEMU’s own graph, read from its memory as hit {0} stopped. Green: only QEMU has it; struck out: only the replay has it — {1}', at.hit, at.differences.join('; ')) };
  }
  if (at.differences.length === 0) return { agrees: true, available: true, showing, text: vscode.l10n.t('Recorded from QEMU’s memory as hit {0} stopped: the replay agrees, as at {1}/{2} recorded stops.', at.hit, agreeing, checks.length) };
  return { agrees: false, available: true, showing, text: vscode.l10n.t('Recorded from QEMU’s memory as hit {0} stopped: the replay differs — {1}', at.hit, at.differences.join('; ')) };
}

/** The hit at a log's cursor, or the next one after it: its active editor's, else the first visible one's (none for a log read from disk). */
function hitAtCursor(source: TraceSource, editor?: vscode.TextEditor): number | undefined {
  const key = source.uri.toString();
  const active = vscode.window.activeTextEditor;
  const e = editor ?? (active?.document.uri.toString() === key ? active : vscode.window.visibleTextEditors.find((v) => v.document.uri.toString() === key));
  if (!e) return undefined;
  const line = e.selection.active.line;
  return (hitAtLine(source.trace, line) ?? hitAfterLine(source.trace, line, 1))?.index;
}

class GraphPanel implements vscode.Disposable {
  private source: TraceSource | undefined;
  private hit = 0;
  /** Draw QEMU's recorded graph where there is one, instead of the replay. */
  private showRecorded = false;
  private readonly disposables: vscode.Disposable[] = [];
  /** Lines the panel moved the cursor to itself: their selection events are not a person's. */
  private readonly driven = new Set<number>();
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('editor.wordHighlightStrongBackground'),
    borderColor: new vscode.ThemeColor('editor.wordHighlightStrongBorder'),
    borderStyle: 'solid',
    borderWidth: '1px',
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.wordHighlightStrongForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Center,
  });
  private ready = false;
  private pendingState: GraphPanelState | null = null;
  private seq = 0;
  /** The last draw the webview reported, for tests and the benchmark. */
  lastDrawn: { uri: string | null; hit: number; layoutMs: number; nodes: number; modelMs: number | null; answerMs: number | null } | null = null;
  /** The last state posted: its hit, when it was asked for (the graph replayed), and how long the model took to make it. */
  private asked: { uri: string; hit: number; at: number; modelMs: number } | null = null;
  /** How many times the page has loaded (a reload of the webview loads it again). */
  loads = 0;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private readonly store: TraceStore,
    private readonly focus: HitsFocus,
    private readonly onDispose: () => void,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media', 'graph')] };
    panel.webview.html = this.html();
    this.disposables.push(
      this.highlight,
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: WebviewMessage) => this.onMessage(m)),
      focus.onDidChangeSource((s) => {
        // the same log parsed again keeps its hit; another log shows the hit at its cursor, as Show
        // Block Graph would (a log read from disk has none: its hit picked in the Hits view, else its last)
        if (s && s.trace !== this.source?.trace) void this.showTrace(s, s.uri.toString() === this.source?.uri.toString() ? this.hit : (hitAtCursor(s) ?? focus.pickedHit(s.uri) ?? s.trace.hits.length));
        // the log it showed was closed, and no other trace is shown: nothing to step through
        else if (!s && this.source && !isInATab(this.source.uri)) this.showNothing();
      }),
      focus.onDidPickHit(({ uri, hit }) => {
        if (this.source && uri.toString() === this.source.uri.toString()) void this.showHit(hit);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.followCursor(e)),
      store.onDidChange(({ document, trace }) => {
        if (this.source?.document === document) void this.showTrace({ uri: document.uri, document, trace }, this.hit);
      }),
    );
  }

  private html(): string {
    const webview = this.panel.webview;
    const n = nonce();
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'graph.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'graph', 'graph.css'));
    // Graphviz is WebAssembly: compiling it needs 'wasm-unsafe-eval', nothing else is allowed
    const csp = [`default-src 'none'`, `img-src ${webview.cspSource} data:`, `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `script-src 'nonce-${n}' 'wasm-unsafe-eval'`].join('; ');
    return `${pageHead({ csp, style: style.toString(), title: vscode.l10n.t('Block Graph') })}
<body class="empty" data-l10n="${escapeHtml(JSON.stringify(vscode.l10n.bundle ?? {}))}">
<header>
  <h1 id="title">${vscode.l10n.t('Block graph')}</h1>
  <div id="change"><span id="kind" class="kind"></span><span id="explanation"></span></div>
  <div id="recorded" hidden></div>
</header>
<nav aria-label="${vscode.l10n.t('Step through the hits')}">
  <button data-action="first" title="${vscode.l10n.t('First hit (Home)')}" aria-label="${vscode.l10n.t('First hit')}">|◀</button>
  <button data-action="previousCommand" title="${vscode.l10n.t('Start of this or the previous command (Page Up)')}" aria-label="${vscode.l10n.t('Previous command')}">◀◀</button>
  <button data-action="previous" title="${vscode.l10n.t('Previous hit (←)')}" aria-label="${vscode.l10n.t('Previous hit')}">◀</button>
  <button data-action="next" title="${vscode.l10n.t('Next hit (→)')}" aria-label="${vscode.l10n.t('Next hit')}">▶</button>
  <button data-action="nextCommand" title="${vscode.l10n.t('Next command (Page Down)')}" aria-label="${vscode.l10n.t('Next command')}">▶▶</button>
  <button data-action="last" title="${vscode.l10n.t('Last hit (End)')}" aria-label="${vscode.l10n.t('Last hit')}">▶|</button>
  <div id="track"><input id="slider" type="range" min="0" max="0" value="0" aria-label="${vscode.l10n.t('Hit')}"><div id="ticks"></div></div>
  <span id="position"></span>
  <span class="spacer"></span>
  <button data-action="zoom" id="zoom" title="${vscode.l10n.t('Fit the graph in the panel, or show it at its actual size (Z)')}" aria-pressed="false">${vscode.l10n.t('Actual size')}</button>
 <button data-action="recorded" id="recordedToggle" hidden aria-pressed="false" title="${vscode.l10n.t('Draw the graph QEMU had in memory at the next stop (recorded by the gdb companion) instead of the replay, with the differences marked')}">${vscode.l10n.t('QEMU’s Graph')}</button>
  <button data-action="exportSvg" title="${vscode.l10n.t('Save the graph as drawn, as SVG')}">${vscode.l10n.t('Export SVG')}</button>
  <button data-action="exportDot" title="${vscode.l10n.t('Save the graph as Graphviz DOT, as render_block_graph.py draws it')}">${vscode.l10n.t('Export DOT')}</button>
</nav>
<main>
  <div id="canvas" tabindex="-1"></div>
  <aside id="details" hidden aria-live="polite"></aside>
</main>
<footer>
  <span id="status">${vscode.l10n.t('Loading…')}</span>
  <span class="legend"><span class="added">${vscode.l10n.t('added')}</span> <span class="moved">${vscode.l10n.t('moved')}</span> <span class="removed">${vscode.l10n.t('removed')}</span> <span class="freed">${vscode.l10n.t('probably freed')}</span></span>
</footer>
<script nonce="${n}" src="${script}"></script>
</body>
</html>`;
  }

  private showNothing(): void {
    this.source = undefined;
    this.hit = 0;
    this.panel.title = vscode.l10n.t('Block Graph');
    this.clearHighlight();
    if (this.ready) this.post({ type: 'empty', text: vscode.l10n.t('No gdb trace is open. Open a log of breakpoint hits, then show its block graph.') });
  }

  private post(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  get current(): { uri: vscode.Uri; hit: number } | undefined {
    return this.source ? { uri: this.source.uri, hit: this.hit } : undefined;
  }

  async showTrace(source: TraceSource, hit?: number): Promise<void> {
    this.source = source;
    const trace = source.trace;
    this.panel.title = vscode.l10n.t('Block Graph: {0}', traceName(source.uri));
    if (!this.ready) {
      this.pendingState = { uri: source.uri.toString(), hit: hit ?? this.hit };
      return;
    }
    if (trace.hits.length === 0) {
      this.post({ type: 'empty', text: vscode.l10n.t('{0} has no breakpoint hits: there is no graph to replay.', traceName(source.uri)) });
      return;
    }
    const commands = trace.commands.filter((c) => c.hits.length > 0).map((c) => ({ hit: c.hits[0], label: commandLabel(c) }));
    this.post({ type: 'trace', name: traceName(source.uri), uri: source.uri.toString(), hitCount: trace.hits.length, commands });
    await this.showHit(hit ?? this.hit ?? trace.hits.length);
  }

  async showHit(hit: number, replyTo?: number): Promise<void> {
    const source = this.source;
    if (!source || !this.ready) return;
    const trace = source.trace;
    hit = Math.max(0, Math.min(hit, trace.hits.length));
    this.hit = hit;
    const mine = ++this.seq;
    let graph: BlockGraph;
    const p = this.store.blockGraph(trace);
    const settled = await Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 150))]);
    if (!settled) this.post({ type: 'busy', text: vscode.l10n.t('Replaying {0} hits…', trace.hits.length) });
    try {
      graph = await p;
    } catch (e) {
      if (mine !== this.seq || source !== this.source) return;
      const text =
        e instanceof Cancelled
          ? vscode.l10n.t('The replay was cancelled. Pick a hit, or run Show Block Graph, to start it again.')
          : vscode.l10n.t('Could not replay the graph: {0}', (e as Error).message);
      this.post({ type: 'busy', text });
      return;
    }
    if (mine !== this.seq || source !== this.source) return;
    const at = performance.now();
    // QEMU's own graph instead, where the log recorded it at the next stop and the person asked
    const stop = this.showRecorded ? source.trace.hits[hit] : undefined;
    const view = stop?.recorded ? recordedView(stop.recorded, graph.stateAfter(hit), hit + 1) : graph.stateAfter(hit);
    const h = hit > 0 ? trace.hits[hit - 1] : undefined;
    const cmd = h && h.command !== null ? trace.commands[h.command] : undefined;
    const recorded = recordedNote(graph, hit, !!stop?.recorded);
    this.asked = { uri: source.uri.toString(), hit, at, modelMs: performance.now() - at };
    this.post({ type: 'state', view, dot: graphToDot(view, { colours: false }), command: cmd ? commandLabel(cmd) : h ? 'before any command' : null, logLine: h ? h.line + 1 : null, ...(recorded ? { recorded } : {}), ...(replyTo !== undefined ? { replyTo } : {}) });
    this.clearHighlight();
  }

  private onMessage(m: WebviewMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.lastDrawn = null;
        this.loads++;
        void this.restore(m.state ?? this.pendingState);
        break;
      case 'step':
        void this.showHit(m.hit, m.seq);
        this.moveEditorTo(m.hit);
        break;
      case 'selectNode':
        void this.highlightNode(m.id);
        break;
      case 'showRecorded':
        this.showRecorded = m.on;
        void this.showHit(this.hit);
        break;
      case 'export':
        void this.export(m.format, m.svg);
        break;
      case 'drawn':
        {
          // from the state asked for (its graph replayed) to the webview's word that it is drawn
          const asked = this.asked?.hit === m.hit ? this.asked : null;
          this.lastDrawn = { uri: asked?.uri ?? null, hit: m.hit, layoutMs: m.layoutMs, nodes: m.nodes, modelMs: asked?.modelMs ?? null, answerMs: asked ? performance.now() - asked.at : null };
        }
        break;
    }
  }

  private async restore(state: GraphPanelState | null): Promise<void> {
    let source = this.source;
    if (state && (!source || source.uri.toString() !== state.uri)) {
      // a panel restored after a reload: its log may not be open yet
      try {
        const uri = vscode.Uri.parse(state.uri, true);
        let doc = await vscode.workspace.openTextDocument(uri);
        if (doc.languageId !== LANGUAGE_ID) doc = await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
        source = { uri, document: doc, trace: this.store.get(doc) };
      } catch {
        source = this.focus.current();
      }
    }
    source ??= this.focus.current();
    if (!source) {
      this.post({ type: 'empty', text: vscode.l10n.t('No gdb trace is open. Open a log of breakpoint hits, then show its block graph.') });
      return;
    }
    await this.showTrace(source, state?.hit ?? this.pendingState?.hit ?? source.trace.hits.length);
  }

  private followCursor(e: vscode.TextEditorSelectionChangeEvent): void {
    const source = this.source;
    if (!source || e.textEditor.document.uri.toString() !== source.uri.toString()) return;
    const line = e.selections[0].active.line;
    if (this.driven.delete(line)) return;
    const hit = hitAtLine(source.trace, line);
    if (hit && hit.index !== this.hit) void this.showHit(hit.index);
  }

  /** Stepping in the panel moves the log to the hit (and the Hits view follows the cursor). */
  private moveEditorTo(hit: number): void {
    const source = this.source;
    const h = hit > 0 ? source?.trace.hits[hit - 1] : undefined;
    if (!source || !h) return;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === source.uri.toString());
    if (!editor) return;
    const pos = new vscode.Position(h.line, 0);
    if (editor.selection.active.line !== h.line) this.driven.add(h.line);
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** A node clicked in the graph: every place its pointer is printed, in this incarnation. */
  private async highlightNode(id: string | null): Promise<void> {
    const source = this.source;
    this.clearHighlight();
    if (!source?.document || !id) return;
    const address = id.split('#')[0];
    if (!address.startsWith('0x')) return;
    const ids = await this.store.identities(source.trace);
    const h = this.hit > 0 ? source.trace.hits[this.hit - 1] : source.trace.hits[0];
    const identity = ids.at(address, h ? h.endLine : 0);
    if (!identity) return;
    const doc = source.document;
    const ranges = ids.sightingsOf(identity).map((r) => documentRange(doc, r.line, r.start, r.end));
    for (const editor of vscode.window.visibleTextEditors) if (editor.document === source.document) editor.setDecorations(this.highlight, ranges);
  }

  private clearHighlight(): void {
    for (const editor of vscode.window.visibleTextEditors) if (editor.document.uri.toString() === this.source?.uri.toString()) editor.setDecorations(this.highlight, []);
  }

  private async export(format: 'svg' | 'dot', svg: string | undefined): Promise<void> {
    const source = this.source;
    if (!source) return;
    const graph = await this.store.blockGraph(source.trace);
    const text = format === 'svg' ? svg : graphToDot(graph.stateAfter(this.hit));
    if (!text) return;
    const stem = basename(source.uri.path).replace(/(\.gdb)?\.log$|\.gdblog$|\.gdb-trace$/, '');
    const folder = vscode.workspace.getWorkspaceFolder(source.uri)?.uri ?? vscode.Uri.joinPath(source.uri, '..');
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(folder, `${stem}-hit${this.hit}.${format}`),
      filters: format === 'svg' ? { [vscode.l10n.t('SVG image')]: ['svg'] } : { [vscode.l10n.t('Graphviz DOT')]: ['dot', 'gv'] },
      title: vscode.l10n.t('Export the block graph after hit {0}', this.hit),
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved the block graph after hit {0} to {1}.', this.hit, basename(target.path)));
  }

  dispose(): void {
    this.clearHighlight();
    this.onDispose();
    vscode.Disposable.from(...this.disposables).dispose();
    this.panel.dispose();
  }
}

export function registerGraphPanel(context: vscode.ExtensionContext, store: TraceStore, focus: HitsFocus): vscode.Disposable {
  let panel: GraphPanel | undefined;
  const create = (webviewPanel: vscode.WebviewPanel) => {
    panel = new GraphPanel(webviewPanel, context.extensionUri, store, focus, () => {
      panel = undefined;
    });
    return panel;
  };

  /** Show Block Graph: from the palette (the hit at the cursor), a code lens or a tree item (a hit). */
  const show = async (uriArg?: unknown, hitArg?: unknown) => {
    let source: TraceSource | undefined;
    const editor = vscode.window.activeTextEditor;
    // a hit's inline action in the Hits view passes the tree item
    const treeHit = typeof uriArg === 'object' && uriArg !== null && (uriArg as { type?: unknown }).type === 'hit' ? (uriArg as { hit: { index: number } }).hit.index : undefined;
    if (treeHit !== undefined) {
      source = focus.current();
      hitArg = treeHit;
    } else if (uriArg instanceof vscode.Uri || typeof uriArg === 'string') {
      // a command link (a tooltip) passes the URI as a string
      const key = uriArg.toString();
      source = store.sourceOf(key) ?? (focus.current()?.uri.toString() === key ? focus.current() : undefined);
    } else if (editor && TraceStore.isTrace(editor.document)) {
      source = { uri: editor.document.uri, document: editor.document, trace: store.get(editor.document) };
    } else source = focus.current();
    if (!source) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a gdb trace first: the block graph is replayed from its breakpoint hits.'));
      return;
    }
    let hit = typeof hitArg === 'number' ? hitArg : undefined;
    if (hit === undefined && editor && editor.document.uri.toString() === source.uri.toString()) hit = hitAtCursor(source, editor);
    // else the hit picked in the Hits view (a log read from disk has no editor to ask)
    hit ??= panel?.current?.uri.toString() === source.uri.toString() ? panel.current.hit : (focus.pickedHit(source.uri) ?? source.trace.hits.length);
    if (!panel) {
      // beside the log: its editor's, or its tab's when it is read from disk (no editor is handed over)
      const column = editor || activeTabUri() ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
      create(vscode.window.createWebviewPanel(GRAPH_VIEW_TYPE, vscode.l10n.t('Block Graph'), { viewColumn: column, preserveFocus: true }, { retainContextWhenHidden: true }));
    } else panel.panel.reveal(undefined, true);
    await panel!.showTrace(source, hit);
  };

  return vscode.Disposable.from(
    { dispose: () => panel?.dispose() },
    vscode.commands.registerCommand('qemuBlockTrace.showGraph', show),
    // for the tests and the benchmark: where the panel is, and its last draw
    vscode.commands.registerCommand('qemuBlockTrace.graphPanelState', () => (panel ? { ...panel.current, uri: panel.current?.uri.toString(), drawn: panel.lastDrawn, loads: panel.loads } : undefined)),
    vscode.window.registerWebviewPanelSerializer(GRAPH_VIEW_TYPE, {
      async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel) {
        panel?.dispose();
        create(webviewPanel);
      },
    }),
  );
}
