// The one place that decides which documents are gdb traces, and holds what is derived from them.
//
// A document is a trace when its language is gdb-trace: set by its file name (`*.gdb.log`), by the
// user, or by detection here (a `.log` or plain-text file whose start looks like a gdb session).
// Views follow `onDidChangeActiveTrace`, which fires when the active editor changes and also when
// the active document's language changes under it: detection switches the language of a document
// that is already shown, and VS Code then reports no change of active editor.
//
// Each trace is parsed once per version (re-parsed, debounced, as it is edited); its pointer
// identities and replayed block graph are built once, on first use, and kept with it.

import * as vscode from 'vscode';
import { looksLikeGdbTrace } from './model/detect';
import { BlockGraph } from './model/graph';
import { Identities } from './model/identities';
import { parseTrace, TraceParser } from './model/parser';
import { type Trace } from './model/trace';
import type { Batches } from './model/work';
import { basename, distinguishingFolders } from './model/paths';
import { isGzipFile, readLogStart, readTraceFile } from './traceFile';

export const LANGUAGE_ID = 'gdb-trace';
const REPARSE_DELAY_MS = 250;
/** Languages a trace may be opened with before detection looks at it. */
const DETECTION_CANDIDATES = new Set(['log', 'plaintext']);
/** Lines read for detection (its window is the first 64 KB). */
const DETECTION_LINES = 4000;
/** What detection reads of a log on disk. */
const DETECTION_BYTES = 64 * 1024;
/** VS Code does not hand documents over 50 MB to extensions. */
export const LARGE_FILE_BYTES = 50 * 1024 * 1024;
/** Traces up to this many hits replay in well under a second: a tooltip may start the replay. */
const QUICK_REPLAY_HITS = 5_000;

export interface TraceChange {
  document: vscode.TextDocument;
  trace: Trace;
}

/**
 * A trace the views can show: an open document, or a log read from disk because it is larger than
 * VS Code hands to extensions (50 MB), which has a file and a tab but no document.
 */
export interface TraceSource {
  uri: vscode.Uri;
  document: vscode.TextDocument | undefined;
  trace: Trace;
}

/**
 * What is derived from one parsed trace, built on first use and kept with it: the only cache of
 * identities and of the replayed graph. For a large trace the work shows a notification with its
 * progress, which a person can cancel; cancelled work starts again when it is next asked for.
 */
class Analysis {
  private ids: Promise<Identities> | undefined;
  private graph: Promise<BlockGraph> | undefined;
  builtIdentities: Identities | undefined;
  builtGraph: BlockGraph | undefined;

  private resolveBuilt: (g: BlockGraph) => void = () => undefined;
  /** Resolves when the graph is built, whoever asked for it (waiting for it starts no replay). */
  readonly graphBuilt = new Promise<BlockGraph>((resolve) => (this.resolveBuilt = resolve));

  constructor(private readonly trace: Trace) {}

  private get large(): boolean {
    return this.trace.hits.length > QUICK_REPLAY_HITS;
  }

  /** Pointer identities: they read every frame, so they are built in batches that yield. */
  identities(): Promise<Identities> {
    if (!this.ids) {
      const hits = this.trace.hits.length.toLocaleString('en-US');
      this.startIdentities(this.large ? withProgress(vscode.l10n.t('Reading the pointers of {0} hits', hits), (options) => Identities.build(this.trace, options)) : Identities.build(this.trace));
    }
    return this.ids!;
  }

  private startIdentities(p: Promise<Identities>): Promise<Identities> {
    this.ids = p.then(
      (ids) => (this.builtIdentities = ids),
      (e) => {
        this.ids = undefined;
        throw e;
      },
    );
    return this.ids;
  }

  blockGraph(): Promise<BlockGraph> {
    if (!this.graph) {
      const hits = this.trace.hits.length.toLocaleString('en-US');
      // one notification for both steps: the pointers (most of the work), then the replay
      const p = this.large
        ? withProgress(vscode.l10n.t('Replaying the block graph of {0} hits', hits), async (options, share) => {
            const ids = await (this.ids ?? this.startIdentities(Identities.build(this.trace, { ...options, progress: share(0, 0.85) })));
            return BlockGraph.buildAsync(this.trace, ids, { ...options, progress: share(0.85, 1) });
          })
        : this.identities().then((ids) => BlockGraph.buildAsync(this.trace, ids));
      this.graph = p.then(
        (g) => {
          this.builtGraph = g;
          this.resolveBuilt(g);
          return g;
        },
        (e) => {
          this.graph = undefined;
          throw e;
        },
      );
    }
    return this.graph;
  }

  get graphStarted(): boolean {
    return this.graph !== undefined;
  }
}

export class TraceStore implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; trace: Trace; length: number }>();
  /** Logs that grow: the text read so far and the parser that goes on from it (TraceParser.snapshot). */
  private readonly growing = new Map<string, { text: string; parser: TraceParser }>();
  private readonly analyses = new WeakMap<Trace, Analysis>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly changed = new vscode.EventEmitter<TraceChange>();
  private readonly activeChanged = new vscode.EventEmitter<TraceSource | undefined>();
  /** Logs read from disk (over 50 MB), by URI, while a tab shows them. */
  private readonly diskTraces = new Map<string, Trace>();
  /** Logs read from disk that a tab has shown. */
  private readonly diskTracesShown = new Set<string>();
  /** Logs being read from disk, by URI. */
  private readonly reading = new Map<string, Promise<Trace>>();
  /** Logs read from disk that were compressed (gzip). */
  private readonly compressed = new Set<string>();
  /** Documents detection looked at: a user who switches one back to Log keeps their choice. */
  private readonly detected = new Set<string>();
  /** Files of tabs with no document that detection looked at, while a tab shows them. */
  private readonly lookedAtOnDisk = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [this.changed, this.activeChanged];

  /** Fires after a trace document was re-parsed because its text changed. */
  readonly onDidChange = this.changed.event;
  /**
   * Fires with the active trace (undefined when the active editor is no trace), each time the
   * active editor or tab changes, or the active document becomes, or stops being, a trace.
   */
  readonly onDidChangeActiveTrace = this.activeChanged.event;

  constructor() {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.cache.has(e.document.uri.toString()) || e.contentChanges.length === 0) return;
        this.schedule(e.document);
      }),
      vscode.workspace.onDidOpenTextDocument((doc) => {
        this.detect(doc);
        // a language change closes and reopens the document: the active editor may show it
        if (this.isActive(doc)) this.activeChanged.fire(this.activeSource);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.forget(doc.uri);
        // a language switch closes and reopens the document: keep what detection decided until it is really gone
        if (doc.isClosed && !isInATab(doc.uri)) this.detected.delete(doc.uri.toString());
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.activeChanged.fire(this.activeSource)),
      vscode.window.tabGroups.onDidChangeTabs(() => {
        // (a log is read before its tab opens: it goes once a tab has shown it and none does)
        for (const key of [...this.diskTraces.keys()]) {
          if (isInATab(vscode.Uri.parse(key))) this.diskTracesShown.add(key);
          else if (this.diskTracesShown.delete(key)) this.diskTraces.delete(key);
        }
        for (const key of [...this.lookedAtOnDisk]) if (!isInATab(vscode.Uri.parse(key))) this.lookedAtOnDisk.delete(key);
        this.activeChanged.fire(this.activeSource);
        void this.detectOnDisk();
      }),
    );
    vscode.workspace.textDocuments.forEach((doc) => this.detect(doc));
    void this.detectOnDisk();
  }

  static isTrace(document: vscode.TextDocument): boolean {
    return document.languageId === LANGUAGE_ID;
  }

  /** The active editor's document, when it is a trace. */
  get activeTrace(): vscode.TextDocument | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return doc && TraceStore.isTrace(doc) ? doc : undefined;
  }

  /** The active trace: the active editor's, or a log read from disk whose tab is active. */
  get activeSource(): TraceSource | undefined {
    const doc = this.activeTrace;
    if (doc) return { uri: doc.uri, document: doc, trace: this.get(doc) };
    const uri = activeTabUri();
    const trace = uri ? this.diskTraces.get(uri.toString()) : undefined;
    return uri && trace ? { uri, document: undefined, trace } : undefined;
  }

  /**
   * Read a log too large for VS Code to hand over from disk, under a notification (once at a time:
   * a second call while it is read waits for the same reading).
   */
  readFromDisk(uri: vscode.Uri, size: number): Promise<Trace> {
    const key = uri.toString();
    let p = this.reading.get(key);
    if (!p) {
      p = Promise.resolve(
        (async () => {
          const compressed = await isGzipFile(uri.fsPath);
          if (compressed) this.compressed.add(key);
          const mb = Math.max(1, Math.round(size / 1e6));
          const title = compressed ? vscode.l10n.t('Reading {0} ({1} MB compressed) from disk…', basename(uri.path), mb) : vscode.l10n.t('Reading {0} ({1} MB) from disk…', basename(uri.path), mb);
          return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () => readTraceFile(uri.fsPath));
        })(),
      ).finally(() => this.reading.delete(key));
      this.reading.set(key, p);
    }
    return p;
  }

  /**
   * The active tab shows a file with no document: VS Code hands none over 50 MB to extensions (a
   * person opened a large log from the Explorer, or with `code trace.log`). One that starts like a
   * gdb session is read from disk, as **Open gdb Trace…** would, and becomes the active trace.
   */
  private async detectOnDisk(): Promise<void> {
    const uri = activeTabUri();
    if (!uri || uri.scheme !== 'file') return;
    const key = uri.toString();
    if (this.diskTraces.has(key) || this.reading.has(key) || this.lookedAtOnDisk.has(key)) return;
    if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === key)) return;
    if (!vscode.workspace.getConfiguration('qemuBlockTrace.detection', uri).get<boolean>('enabled', true)) return;
    this.lookedAtOnDisk.add(key);
    const size = await fileSize(uri);
    // (a log compressed with gzip has no document whatever its size)
    const compressed = await isGzipFile(uri.fsPath);
    if ((size <= LARGE_FILE_BYTES && !compressed) || !looksLikeGdbTrace(await readLogStart(uri.fsPath, DETECTION_BYTES))) return;
    let trace: Trace;
    try {
      trace = await this.readFromDisk(uri, size);
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not read {0}: {1}', basename(uri.path), e instanceof Error ? e.message : String(e)));
      return;
    }
    // closed while it was read: nothing to show it in
    if (!isInATab(uri)) return;
    this.addDiskTrace(uri, trace);
    announceDiskTrace(uri, trace, compressed);
    this.activeChanged.fire(this.activeSource);
  }

  /** Whether the log at `uri` was read from disk compressed (gzip). */
  wasCompressed(uri: vscode.Uri): boolean {
    return this.compressed.has(uri.toString());
  }

  /** A log read from disk (too large for VS Code to hand over): a trace of the store while a tab shows it (from when one does). */
  addDiskTrace(uri: vscode.Uri, trace: Trace): TraceSource {
    this.diskTraces.set(uri.toString(), trace);
    if (isInATab(uri)) this.diskTracesShown.add(uri.toString());
    return { uri, document: undefined, trace };
  }

  /** A trace shown now, active or not: an editor's, or a log read from disk in a tab group. */
  shownSource(): TraceSource | undefined {
    const doc = vscode.window.visibleTextEditors.map((e) => e.document).find((d) => TraceStore.isTrace(d) && !d.isClosed);
    return this.activeSource ?? (doc ? { uri: doc.uri, document: doc, trace: this.get(doc) } : this.shownDiskSource());
  }

  /** A log read from disk that a tab group shows now (its active tab), if any. */
  private shownDiskSource(): TraceSource | undefined {
    for (const g of vscode.window.tabGroups.all) {
      const input = g.activeTab?.input;
      const trace = input instanceof vscode.TabInputText ? this.diskTraces.get(input.uri.toString()) : undefined;
      if (input instanceof vscode.TabInputText && trace) return { uri: input.uri, document: undefined, trace };
    }
    return undefined;
  }

  /** The trace of an open document or of a log read from disk, by URI. */
  sourceOf(uri: vscode.Uri | string): TraceSource | undefined {
    const key = uri.toString();
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key && TraceStore.isTrace(d));
    if (doc) return { uri: doc.uri, document: doc, trace: this.get(doc) };
    const trace = this.diskTraces.get(key);
    return trace ? { uri: typeof uri === 'string' ? vscode.Uri.parse(uri) : uri, document: undefined, trace } : undefined;
  }

  private isActive(doc: vscode.TextDocument): boolean {
    return vscode.window.activeTextEditor?.document.uri.toString() === doc.uri.toString();
  }

  /** Switch a `.log` or plain-text document that is a gdb trace to the trace language, once per document. */
  private detect(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    if (!DETECTION_CANDIDATES.has(doc.languageId) || this.detected.has(key)) return;
    // switched off: look again when it is switched on and the file opened again
    if (!vscode.workspace.getConfiguration('qemuBlockTrace.detection', doc).get<boolean>('enabled', true)) return;
    this.detected.add(key);
    if (looksLikeGdbTrace(doc.getText(new vscode.Range(0, 0, Math.min(doc.lineCount, DETECTION_LINES), 0)))) {
      void vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
    }
  }

  /**
   * The trace of `document`, parsed now if the cached one is older than the text. A log that grows
   * (a recording being written, a `tee`) is read from where it was: only the new tail is parsed.
   */
  get(document: vscode.TextDocument): Trace {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version) return cached.trace;
    const text = document.getText();
    const growing = this.growing.get(key);
    let trace: Trace;
    if (growing && text.length >= growing.text.length && text.startsWith(growing.text)) {
      growing.parser.push(text.slice(growing.text.length));
      growing.text = text;
      trace = growing.parser.snapshot();
    } else if (cached && text.length > cached.length && !document.isDirty) {
      // it grew on disk (a recording, a tee), not by a person's edits: from now on it is followed
      // as a growing log, its text kept to tell that the next version only adds to it
      const parser = new TraceParser();
      parser.push(text);
      this.growing.set(key, { text, parser });
      trace = parser.snapshot();
    } else {
      this.growing.delete(key);
      trace = parseTrace(text);
    }
    this.cache.set(key, { version: document.version, trace, length: text.length });
    return trace;
  }

  private analysis(trace: Trace): Analysis {
    let a = this.analyses.get(trace);
    if (!a) {
      a = new Analysis(trace);
      this.analyses.set(trace, a);
    }
    return a;
  }

  /** What each pointer of `trace` is (built once, in batches: a large log takes seconds). */
  identities(trace: Trace): Promise<Identities> {
    return this.analysis(trace).identities();
  }

  /** The identities if they are built already, else undefined (and they start building). */
  identitiesIfBuilt(trace: Trace): Identities | undefined {
    const a = this.analysis(trace);
    if (!a.builtIdentities) void a.identities();
    return a.builtIdentities;
  }

  /** The replayed block graph of `trace`, built once after its identities. */
  blockGraph(trace: Trace): Promise<BlockGraph> {
    return this.analysis(trace).blockGraph();
  }

  /** The graph once it is built, whoever asks for it (without starting a replay). */
  graphWhenBuilt(trace: Trace): Promise<BlockGraph> {
    return this.analysis(trace).graphBuilt;
  }

  /** The graph if it is built already (without starting a replay). */
  blockGraphIfBuilt(trace: Trace): BlockGraph | undefined {
    return this.analyses.get(trace)?.builtGraph;
  }

  /** The graph, replayed now if the trace is small (or its replay already started); undefined for a large trace not replayed yet. */
  blockGraphIfSmall(trace: Trace): Promise<BlockGraph | undefined> {
    const a = this.analysis(trace);
    if (a.builtGraph) return Promise.resolve(a.builtGraph);
    if (!a.graphStarted && trace.hits.length > QUICK_REPLAY_HITS) return Promise.resolve(undefined);
    return a.blockGraph();
  }

  /**
   * The graph for something small, like a tooltip: at once if it is built, after a short wait if the
   * trace is small; a large trace is not replayed just because the mouse passed over a hit.
   */
  async blockGraphIfQuick(trace: Trace, waitMs = 1500): Promise<BlockGraph | undefined> {
    const a = this.analysis(trace);
    if (a.builtGraph) return a.builtGraph;
    if (!a.graphStarted && trace.hits.length > QUICK_REPLAY_HITS) return undefined;
    return Promise.race([a.blockGraph(), new Promise<undefined>((r) => setTimeout(() => r(undefined), waitMs))]);
  }

  private schedule(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (document.isClosed) return;
        this.changed.fire({ document, trace: this.get(document) });
      }, REPARSE_DELAY_MS),
    );
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.cache.delete(key);
    this.growing.delete(key);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.cache.clear();
    this.growing.clear();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/**
 * Run batched work under a cancellable progress notification. `share(from, to)` gives a progress
 * callback for a step that fills that part of the bar; without it, the work's own progress fills it.
 */
function withProgress<T>(title: string, work: (options: Batches, share: (from: number, to: number) => Batches['progress']) => Promise<T>): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      let shown = 0;
      const show = (fraction: number) => {
        const percent = Math.min(100, Math.floor(fraction * 100));
        if (percent <= shown) return;
        progress.report({ increment: percent - shown, message: `${percent}%` });
        shown = percent;
      };
      const share = (from: number, to: number) => (done: number, total: number) => show(from + ((to - from) * done) / Math.max(1, total));
      return work({ cancelled: () => token.isCancellationRequested, progress: share(0, 1) }, share);
    }),
  );
}

/** Tell a person that a log was read from disk, and what of the extension works on it. */
export function announceDiskTrace(uri: vscode.Uri, trace: Trace, compressed = false): void {
  void vscode.window.showInformationMessage(
    compressed
      ? vscode.l10n.t('{0} is compressed (gzip): its {1} hits were read from disk, decompressed as they were read. The Hits view, the summary and the block graph work; highlighting, hovers, links and the outline need the log decompressed.', basename(uri.path), trace.hits.length)
      : vscode.l10n.t('{0} is larger than VS Code hands to extensions (50 MB): its {1} hits were read from disk. The Hits view, the summary and the block graph work; highlighting, hovers, links and the outline need a smaller log.', basename(uri.path), trace.hits.length),
  );
}

/** The file the active tab shows as text, if any (a log read from disk has a tab but no editor). */
export function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputText ? input.uri : undefined;
}

async function fileSize(uri: vscode.Uri): Promise<number> {
  try {
    return (await vscode.workspace.fs.stat(uri)).size;
  } catch {
    return 0;
  }
}

/** The start of a file, as detection reads it ('' when it cannot be read). */
/** The column of an editor tab that shows `uri` (the active group's first), if any. */
export function columnShowing(uri: vscode.Uri): vscode.ViewColumn | undefined {
  const key = uri.toString();
  const shows = (g: vscode.TabGroup) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key);
  const active = vscode.window.tabGroups.activeTabGroup;
  return shows(active) ? active.viewColumn : vscode.window.tabGroups.all.find(shows)?.viewColumn;
}

/** Whether some editor tab shows `uri` (documents outlive their tabs by minutes). */
/**
 * A log's name for titles: its file name, and where another tab shows a file of that name, the
 * folders that tell them apart (`trace.log — run2`), as the editor's tabs do.
 */
export function traceName(uri: vscode.Uri): string {
  const others = vscode.window.tabGroups.all.flatMap((g) => g.tabs.flatMap((t) => (t.input instanceof vscode.TabInputText && t.input.uri.scheme === uri.scheme ? [t.input.uri.path] : [])));
  const folders = distinguishingFolders(uri.path, others);
  return folders ? `${basename(uri.path)} — ${folders}` : basename(uri.path);
}

export function isInATab(uri: vscode.Uri): boolean {
  const key = uri.toString();
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key));
}

/**
 * What the Hits view tells the rest (the graph panel follows it): the trace it shows, and the hits a
 * person picks in it. Defined here so that neither feature imports the other.
 */
export interface HitsFocus {
  current(): TraceSource | undefined;
  /** The hit last picked in the view in the log at `uri` (its selection), if any. */
  pickedHit(uri: vscode.Uri): number | undefined;
  readonly onDidChangeSource: vscode.Event<TraceSource | undefined>;
  readonly onDidPickHit: vscode.Event<{ uri: vscode.Uri; hit: number }>;
}
