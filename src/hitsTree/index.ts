// The Hits view in the QEMU Trace container: which trace it shows, navigation between the tree and
// the log in both directions, grouping and filtering, Next / Previous Hit.

import * as vscode from 'vscode';
import { GROUPINGS, type Grouping } from '../model/hitGroups';
import { hitAfterLine, hitAtLine } from '../model/positions';
import type { Hit } from '../model/trace';
import { announceDiskTrace, columnShowing, isInATab, LANGUAGE_ID, LARGE_FILE_BYTES, traceName, TraceStore, type HitsFocus, type TraceSource } from '../traceStore';
import { HitsTreeProvider, type HitsTreeNode } from './provider';
import { isGzipFile } from '../traceFile';
import { documentRange } from '../logText';
import { withoutTerminalCodes } from '../model/terminal';

export const HITS_VIEW = 'qemuBlockTrace.hits';
const GROUPING_KEY = 'qemuBlockTrace.hits.grouping';
const EXAMPLE = ['examples', 'snapshot-commit-complete.gdb.log'];
/** How long after a rebuild the tree's selection events are its own, not a person's. */
const REFRESH_SETTLE_MS = 400;

/** A trace still shown in some tab (not `except`, which is going away), to show when the current one goes. */
function anotherOpenTrace(except?: vscode.TextDocument): vscode.TextDocument | undefined {
  return vscode.window.visibleTextEditors.map((e) => e.document).find((d) => d !== except && TraceStore.isTrace(d) && !d.isClosed && isInATab(d.uri));
}

export function registerHitsTree(context: vscode.ExtensionContext, store: TraceStore): { disposable: vscode.Disposable; focus: HitsFocus } {
  const provider = new HitsTreeProvider(store, context.workspaceState.get<Grouping>(GROUPING_KEY, 'command'));
  const sourceChanged = new vscode.EventEmitter<TraceSource | undefined>();
  const hitPicked = new vscode.EventEmitter<{ uri: vscode.Uri; hit: number }>();
  /** The last hit picked, in which log. */
  let picked: { uri: string; hit: number } | undefined;
  let announced: TraceSource | undefined;
  const view = vscode.window.createTreeView(HITS_VIEW, { treeDataProvider: provider, showCollapseAll: true });
  /**
   * Nodes the tree selected itself to follow the cursor. Their selection events can arrive after
   * the cursor moved on again; they must never move it back.
   */
  const following = new Set<string>();
  /**
   * The selected node's id. A refresh (an edit, a new filter) re-announces the same selection;
   * only a change of selection, a person's choice, moves the editor.
   */
  let selectedId: string | undefined;

  const describe = () => {
    const source = provider.source;
    if (source?.trace !== announced?.trace) {
      announced = source;
      sourceChanged.fire(source);
    }
    void vscode.commands.executeCommand('setContext', 'qemuBlockTrace.hasTrace', source !== undefined);
    void vscode.commands.executeCommand('setContext', 'qemuBlockTrace.hitsFiltered', provider.currentFilter !== '');
    const name = source ? traceName(source.uri) : undefined;
    // in its title, which the side bar shows when the view is alone there (a description it hides)
    view.title = name ? vscode.l10n.t('Hits · {0}', name) : vscode.l10n.t('Hits');
    const { listed, total } = provider.counts;
    const notes: string[] = [];
    if (source && !source.document) notes.push(store.wasCompressed(source.uri) ? vscode.l10n.t('Read from disk: {0} is compressed.', name ?? '') : vscode.l10n.t('Read from disk: {0} is larger than VS Code hands to extensions.', name ?? ''));
    if (source && total === 0) notes.push(vscode.l10n.t('No breakpoint hits in this log.'));
    else if (provider.currentFilter !== '') notes.push(vscode.l10n.t('Filter “{0}”: {1} of {2} hits.', provider.currentFilter, listed, total));
    view.message = notes.length > 0 ? notes.join(' ') : undefined;
  };

  const showSource = (source: TraceSource | undefined) => {
    const named = provider.show(source);
    describe();
    void named.then(describe);
  };
  const showDocument = (doc: vscode.TextDocument | undefined) => showSource(doc ? { uri: doc.uri, document: doc, trace: store.get(doc) } : undefined);

  /** The active trace, whenever it changes (or a shown log becomes a trace, or a large log's tab comes back). */
  const followActiveTrace = (source: TraceSource | undefined) => {
    // a source file or the summary keeps the last trace in view, so frames can be clicked through
    if (source && (source.uri.toString() !== provider.source?.uri.toString() || source.trace !== provider.trace)) showSource(source);
  };

  const revealInLog = async (line: number, endLine: number, endCol: number) => {
    const source = provider.source;
    if (!source) return;
    const doc = source.document;
    const range = new vscode.Range(line, 0, endLine, endCol);
    if (!doc) {
      // a log too large for VS Code to hand over: the editor opens it itself, at the line
      await vscode.commands.executeCommand('vscode.open', source.uri, { selection: range, preserveFocus: true, preview: false, viewColumn: columnShowing(source.uri) ?? vscode.ViewColumn.One });
      return;
    }
    const editor =
      vscode.window.visibleTextEditors.find((e) => e.document === doc) ??
      (await vscode.window.showTextDocument(doc, { preserveFocus: true, preview: false }));
    // the end as the model read its line, in the document's (a line with terminal codes)
    const end = endLine === line && endCol === 0 ? range.end : documentRange(doc, endLine, 0, endCol).end;
    editor.selection = new vscode.Selection(range.start, end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  };

  /** Show a chosen row in the log: a hit's header, a frame's line, a backtrace's first frame. */
  const act = (node: HitsTreeNode) => {
    if (node.type === 'group' || node.type === 'plumbing' || node.type === 'backtraces') return;
    if (node.type === 'backtrace') {
      // its first frame, and the graph as it stood at the hit it was printed during
      const b = node.backtrace;
      if (provider.source && b.hit !== null) hitPicked.fire({ uri: provider.source.uri, hit: b.hit });
      const first = b.frames[0]?.range;
      void revealInLog(b.line, first?.endLine ?? b.line, first?.endCol ?? 0);
      return;
    }
    if (provider.source && node.hit) hitPicked.fire({ uri: provider.source.uri, hit: node.hit.index });
    if (node.type === 'hit') {
      const doc = provider.document;
      const end = doc && node.hit.line < doc.lineCount ? withoutTerminalCodes(doc.lineAt(node.hit.line).text).length : 0;
      void revealInLog(node.hit.line, node.hit.line, end);
    } else {
      // source navigation, when it comes, opens the frame's source; until then its line in the log
      const r = node.frame.range;
      void revealInLog(r.startLine, r.endLine, r.endCol);
    }
  };

  /** Whether the log shows the row already: its cursor there (a log read from disk: its hit picked last). */
  const shownInLog = (node: HitsTreeNode): boolean => {
    const source = provider.source;
    if (!source) return true;
    if (!source.document) return node.type === 'hit' && picked?.uri === source.uri.toString() && picked.hit === node.hit.index;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === source.document);
    if (!editor) return false;
    const line = editor.selection.active.line;
    switch (node.type) {
      case 'hit':
        return hitAtLine(source.trace, line)?.index === node.hit.index;
      case 'frame':
        return node.frame.range.startLine <= line && line <= node.frame.range.endLine;
      case 'backtrace':
        return node.backtrace.line <= line && line <= node.backtrace.endLine;
      default:
        return true;
    }
  };

  let settling: ReturnType<typeof setTimeout> | undefined;
  const onSelect = (node: HitsTreeNode | undefined) => {
    if (node?.id === selectedId) return;
    selectedId = node?.id;
    if (!node || following.delete(node.id)) return;
    clearTimeout(settling);
    const sinceRebuild = Date.now() - provider.refreshedAt;
    if (sinceRebuild < REFRESH_SETTLE_MS) {
      // a rebuilt tree re-announces the selection it restores, for a moment even an older one: not
      // a choice. A row still selected once the tree has settled, where the log is not, is one (a
      // person's click that came just after a rebuild, as a replay ending relabels the rows).
      settling = setTimeout(() => {
        if (view.selection[0]?.id === node.id && !shownInLog(node)) act(node);
      }, REFRESH_SETTLE_MS - sinceRebuild + 50);
      return;
    }
    act(node);
  };

  const followCursor = (e: vscode.TextEditorSelectionChangeEvent) => {
    const trace = provider.trace;
    if (!trace || e.textEditor.document !== provider.document || !view.visible) return;
    if (!vscode.workspace.getConfiguration('qemuBlockTrace.tree', e.textEditor.document).get<boolean>('followCursor', true)) return;
    const line = e.selections[0].active.line;
    // a free-standing backtrace printed during a hit is not that hit
    if (trace.backtraces.some((b) => b.line <= line && line <= b.endLine)) return;
    const hit = hitAtLine(trace, line);
    if (!hit) return;
    const selected = view.selection[0];
    if (selected && (selected.type === 'hit' || selected.type === 'frame') && selected.hit?.index === hit.index) return;
    const node = provider.nodeOfHit(hit.index);
    if (!node) return;
    following.add(node.id);
    view.reveal(node, { select: true, focus: false, expand: false }).then(undefined, () => following.delete(node.id));
  };

  const stepHit = (direction: 1 | -1) => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !TraceStore.isTrace(editor.document)) {
      stepDiskHit(direction);
      return;
    }
    const hit: Hit | undefined = hitAfterLine(store.get(editor.document), editor.selection.active.line, direction);
    if (!hit) {
      vscode.window.setStatusBarMessage(direction === 1 ? vscode.l10n.t('No hit after this line.') : vscode.l10n.t('No hit before this line.'), 2500);
      return;
    }
    const start = new vscode.Position(hit.line, 0);
    editor.selection = new vscode.Selection(start, start);
    editor.revealRange(new vscode.Range(start, start), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  };

  /**
   * Next / Previous Hit in a log read from disk: the extension cannot see its cursor, so from the
   * hit picked last in the view (none: the first). Selecting it moves the log and the graph there.
   */
  const stepDiskHit = (direction: 1 | -1) => {
    const source = store.activeSource;
    if (!source || source.document || source.uri.toString() !== provider.source?.uri.toString()) return;
    const from = picked?.uri === source.uri.toString() ? picked.hit : 0;
    const hit = source.trace.hits[from + direction - 1];
    if (!hit) {
      vscode.window.setStatusBarMessage(direction === 1 ? vscode.l10n.t('No hit after #{0}.', from) : vscode.l10n.t('No hit before #{0}.', from), 2500);
      return;
    }
    // the log and the graph go there, and the view selects it (unless filtered out of it)
    hitPicked.fire({ uri: source.uri, hit: hit.index });
    void revealInLog(hit.line, hit.line, 0);
    const node = provider.nodeOfHit(hit.index);
    if (!node) return;
    following.add(node.id);
    view.reveal(node, { select: true, focus: false, expand: false }).then(undefined, () => following.delete(node.id));
  };

  // menus call commands with arguments of their own: only a known grouping or a string counts
  const groupBy = async (grouping?: unknown) => {
    let choice = GROUPINGS.find((g) => g.id === grouping)?.id;
    if (!choice) {
      const picked = await vscode.window.showQuickPick(
        GROUPINGS.map((g) => ({ label: g.label, detail: g.detail, id: g.id, picked: g.id === provider.currentGrouping, description: g.id === provider.currentGrouping ? vscode.l10n.t('current') : undefined })),
        { title: vscode.l10n.t('Group Hits By'), placeHolder: vscode.l10n.t('How to group the breakpoint hits') },
      );
      choice = picked?.id;
    }
    if (!choice) return;
    provider.setGrouping(choice);
    await context.workspaceState.update(GROUPING_KEY, choice);
    describe();
  };

  const filterHits = async (text?: unknown) => {
    const value =
      (typeof text === 'string' ? text : undefined) ??
      (await vscode.window.showInputBox({
        title: vscode.l10n.t('Filter Hits'),
        prompt: vscode.l10n.t('Show only hits whose command, functions, pointers or names contain this text (empty: all hits)'),
        placeHolder: vscode.l10n.t('e.g. bdrv_append, 0x5555578ddc80, over01, block-commit'),
        value: provider.currentFilter,
      }));
    if (value === undefined) return;
    const named = provider.setFilter(value);
    describe();
    await named;
    describe();
  };

  const openTrace = async (target?: unknown) => {
    const uri =
      target instanceof vscode.Uri
        ? target
        : (
            await vscode.window.showOpenDialog({
              title: vscode.l10n.t('Open a gdb Trace'),
              canSelectMany: false,
              filters: { [vscode.l10n.t('gdb logs')]: ['log', 'gdblog', 'gdb-trace', 'txt', 'gz'], [vscode.l10n.t('All files')]: ['*'] },
            })
          )?.[0];
    if (!uri) return;
    const size = (await vscode.workspace.fs.stat(uri)).size;
    // too large for a document, or compressed (trace.log.gz): read from disk
    const compressed = uri.scheme === 'file' && (await isGzipFile(uri.fsPath));
    if ((size > LARGE_FILE_BYTES || compressed) && uri.scheme === 'file') {
      const source = store.addDiskTrace(uri, await store.readFromDisk(uri, size));
      await vscode.commands.executeCommand('vscode.open', uri, { preview: false });
      showSource(source);
      void vscode.commands.executeCommand('workbench.view.extension.qemuBlockTrace');
      announceDiskTrace(uri, source.trace, compressed);
      return;
    }
    let doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== LANGUAGE_ID) doc = await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
    await vscode.window.showTextDocument(doc);
  };

  const openExample = async () => {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(context.extensionUri, ...EXAMPLE));
    await vscode.window.showTextDocument(doc, { preview: false });
    // the file is part of the installed extension: a keystroke and a Save would change it for good
    if (vscode.window.activeTextEditor?.document === doc) await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession');
  };

  const dropClosedTrace = () => {
    const source = provider.source;
    // another trace still shown: an editor's, or a log read from disk in a tab
    if (source && !isInATab(source.uri)) showSource(store.shownSource());
  };

  followActiveTrace(store.activeSource);
  describe();

  const disposable = vscode.Disposable.from(
    view,
    sourceChanged,
    hitPicked,
    hitPicked.event(({ uri, hit }) => (picked = { uri: uri.toString(), hit })),
    view.onDidChangeSelection((e) => onSelect(e.selection[0])),
    { dispose: () => clearTimeout(settling) },
    store.onDidChangeActiveTrace(followActiveTrace),
    // Next / Previous Hit's keys in a log read from disk, whose language may be Log
    store.onDidChangeActiveTrace((s) => void vscode.commands.executeCommand('setContext', 'qemuBlockTrace.diskTraceActive', s !== undefined && !s.document)),
    vscode.window.onDidChangeTextEditorSelection(followCursor),
    store.onDidChange(({ document, trace }) => {
      if (document === provider.document) showSource({ uri: document.uri, document, trace });
    }),
    // the view keeps its trace while any tab shows it; closing the last one clears it
    vscode.window.tabGroups.onDidChangeTabs(dropClosedTrace),
    vscode.window.onDidChangeVisibleTextEditors(dropClosedTrace),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      // closed, or switched to another language (the same document reopens as a plain log)
      if (doc === provider.document) showDocument(anotherOpenTrace(doc));
    }),
    vscode.commands.registerCommand('qemuBlockTrace.groupHitsBy', groupBy),
    vscode.commands.registerCommand('qemuBlockTrace.filterHits', filterHits),
    vscode.commands.registerCommand('qemuBlockTrace.clearHitsFilter', () => filterHits('')),
    vscode.commands.registerCommand('qemuBlockTrace.nextHit', () => stepHit(1)),
    vscode.commands.registerCommand('qemuBlockTrace.previousHit', () => stepHit(-1)),
    vscode.commands.registerCommand('qemuBlockTrace.openTrace', openTrace),
    vscode.commands.registerCommand('qemuBlockTrace.openExample', openExample),
    // the code lens `hit 5 of 19 · blockdev-snapshot-sync`: show that hit in the tree
    vscode.commands.registerCommand('qemuBlockTrace.revealHit', async (index: unknown) => {
      const editor = vscode.window.activeTextEditor;
      if (editor && TraceStore.isTrace(editor.document) && editor.document !== provider.document) showDocument(editor.document);
      const node = typeof index === 'number' ? provider.nodeOfHit(index) : undefined;
      if (!node) return;
      await vscode.commands.executeCommand('workbench.view.extension.qemuBlockTrace');
      await view.reveal(node, { select: true, focus: true, expand: false });
    }),
  );
  return {
    disposable,
    focus: {
      current: () => provider.source,
      pickedHit: (uri) => (picked?.uri === uri.toString() ? picked.hit : undefined),
      onDidChangeSource: sourceChanged.event,
      onDidPickHit: hitPicked.event,
    },
  };
}
