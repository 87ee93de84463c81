// From frames to the user's QEMU checkout: go to definition, Ctrl+click links, code lenses above
// hits, and a one-time offer to choose the source folder when none is known.

import * as vscode from 'vscode';
import { CSourceParser } from '../model/cSource';
import { frameAt, sectionsBetween } from '../model/positions';
import { basename } from '../model/paths';
import type { FrameContext } from '../model/cSource';
import { callSitesOf, detectRevision, revisionMapping, scoreRevision, type RevisionScore } from '../model/revision';
import { buildTreeIndexAsync, frameContext, frameLocationKey, functionCalls, looksLikeQemuTree, resolveFrameLocation, withSiblings, type FrameLocation, type FunctionCalls, type RevisionMapping, type SourceConfig, type TreeIndex } from '../model/source';
import { CheckoutGit, isSafeRevision } from '../gitReader';
import { commandDoc, qmpHandlerName, type QapiDoc } from '../model/qapi';
import { readdirSync } from 'node:fs';
import { escapeMarkdown } from '../markdown';
import { diskLister, diskReader } from '../sourceFiles';
import { documentRange, modelColumn } from '../logText';
import { commandLabel } from '../model/qmp';
import type { Frame, Hit, Trace } from '../model/trace';
import { LANGUAGE_ID, TraceStore, type HitsFocus } from '../traceStore';

const disk = diskReader;

/** The memento key under which "Don't Ask Again" for the source folder is kept. */
const NO_ROOT_OFFER_KEY = 'qemuBlockTrace.source.dontOfferRoot';
const CHOOSE_ROOT = vscode.l10n.t('Choose QEMU Source Folder…');
const DONT_ASK = vscode.l10n.t("Don't Ask Again");
/** Distinct frame locations resolved up front for link tooltips; past this, links resolve on click. */
const MAX_LINK_TARGETS = 1000;
/**
 * A trace of more lines than this gets links for what its editors show and LINK_MARGIN lines around
 * it, made again as they scroll: all of a 40 MB log's 300,000 frames took 9 s to link.
 */
const LINK_ALL_LINES = 50_000;
const LINK_MARGIN = 1_000;

/** The line ranges links are made for in `doc` (null: all of it), merged, in order. */
function linkWindows(doc: vscode.TextDocument): { from: number; to: number }[] | null {
  if (doc.lineCount <= LINK_ALL_LINES) return null;
  const shown = vscode.window.visibleTextEditors
    .filter((e) => e.document === doc)
    .flatMap((e) => e.visibleRanges.map((r) => ({ from: Math.max(0, r.start.line - LINK_MARGIN), to: r.end.line + LINK_MARGIN })))
    .sort((a, b) => a.from - b.from);
  // an editor not on screen yet: its first lines
  if (shown.length === 0) return [{ from: 0, to: 2 * LINK_MARGIN }];
  const merged = [shown[0]];
  for (const w of shown.slice(1)) {
    const last = merged[merged.length - 1];
    if (w.from <= last.to + 1) last.to = Math.max(last.to, w.to);
    else merged.push(w);
  }
  return merged;
}

/** The revision a trace's binary was built from, as found, with the mapping of its lines. */
export interface BinaryRevision extends RevisionScore {
  label: string;
  /** From the setting (else detected). */
  given: boolean;
  commitsLater: number;
  mapping: RevisionMapping;
}

/** `trace matches v7.1.0 (73/73 call sites); your tree is 12 commits later`. */
export function revisionText(r: BinaryRevision): string {
  const later = r.commitsLater === 0 ? 'your tree is at it' : `your tree is ${r.commitsLater} commit${r.commitsLater === 1 ? '' : 's'} later`;
  return `trace ${r.given ? 'built from' : 'matches'} ${r.label} (${r.matching}/${r.total} call sites); ${later}`;
}

/** What frames are resolved for: a trace's document, or a log read from disk (its URI and trace). */
export type TraceSubject = vscode.TextDocument | { uri: vscode.Uri; trace: Trace };

const isDocument = (s: TraceSubject): s is vscode.TextDocument => 'getText' in s;
/** Where settings are read for a subject (the document, or the log's URI). */
const scopeOf = (s: TraceSubject): vscode.ConfigurationScope => (isDocument(s) ? s : s.uri);

export class SourceNavigator implements vscode.Disposable {
  private readonly parser: CSourceParser;
  private workspaceFiles: Promise<string[]> | undefined;
  private readonly indexes = new Map<string, Promise<TreeIndex>>();
  /** Each root's QAPI schema files (path, text). */
  private readonly schemas = new Map<string, Promise<[string, string][]>>();
  /** Offered in this window already (a notification closed without a choice is not shown again). */
  private offered = false;

  /** The revision each trace's binary was built from, per source root (git, trusted workspaces only). */
  private readonly revisions = new Map<string, WeakMap<Trace, Promise<BinaryRevision | undefined>>>();
  private readonly gits = new Map<string, Promise<CheckoutGit | undefined>>();
  private readonly revisionFound = new vscode.EventEmitter<void>();
  /** Revisions found, by root and trace, for callers that do not wait. */
  private readonly settled = new Map<string, WeakMap<Trace, BinaryRevision | undefined>>();
  private readonly callsOf = new WeakMap<Trace, FunctionCalls>();
  /** Fires when a trace's revision is known (detection takes a moment). */
  readonly onDidFindRevision = this.revisionFound.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly traceOf: (doc: vscode.TextDocument) => Trace,
  ) {
    this.parser = new CSourceParser({
      runtimeWasm: vscode.Uri.joinPath(context.extensionUri, 'dist', 'web-tree-sitter.wasm').fsPath,
      grammarWasm: vscode.Uri.joinPath(context.extensionUri, 'dist', 'tree-sitter-c.wasm').fsPath,
    });
  }

  private git(root: string): Promise<CheckoutGit | undefined> {
    let g = this.gits.get(root);
    if (!g) {
      g = CheckoutGit.open(root);
      this.gits.set(root, g);
    }
    return g;
  }

  /**
   * Which revision of the checkout the trace's binary was built from: the setting, else detected
   * from the trace's call sites. Only in a trusted workspace, and only when the root is in git.
   */
  revisionOf(doc: TraceSubject, config?: SourceConfig): Promise<BinaryRevision | undefined> {
    return (config ? Promise.resolve(config) : this.config(doc)).then((c) => {
      if (!c.root || !vscode.workspace.isTrusted) return undefined;
      const root = c.root;
      const trace = this.traceIn(doc);
      let perRoot = this.revisions.get(root);
      if (!perRoot) {
        perRoot = new WeakMap();
        this.revisions.set(root, perRoot);
      }
      let p = perRoot.get(trace);
      if (!p) {
        const given = vscode.workspace.getConfiguration('qemuBlockTrace.source', scopeOf(doc)).get<string>('binaryRevision', '').trim();
        p = this.findRevision(root, trace, given, c).then(
          (r) => {
            const m = this.settled.get(root) ?? this.settled.set(root, new WeakMap()).get(root)!;
            m.set(trace, r);
            if (r) this.revisionFound.fire();
            return r;
          },
          () => undefined,
        );
        perRoot.set(trace, p);
      }
      return p;
    });
  }

  /** The revision if its detection is done (else undefined, and it goes on in the background). */
  private traceIn(s: TraceSubject): Trace {
    return isDocument(s) ? this.traceOf(s) : s.trace;
  }

  private settledRevision(doc: TraceSubject, config: SourceConfig): BinaryRevision | undefined {
    return config.root ? this.settled.get(config.root)?.get(this.traceIn(doc)) : undefined;
  }

  private async findRevision(root: string, trace: Trace, given: string, config: SourceConfig): Promise<BinaryRevision | undefined> {
    const git = await this.git(root);
    if (!git) return undefined;
    const index = await this.index(config);
    const fieldsOf = (f: string) => index?.fieldsOf(f) ?? [];
    const sites = callSitesOf(trace.hits.flatMap((h) => h.frames.map((f, i) => ({ file: f.file, line: f.line, function: f.function, ctx: frameContext(h.frames, i, h.source?.text) }))));
    let score: RevisionScore | undefined;
    if (given) {
      if (!isSafeRevision(given) || !(await git.commitOf(given))) {
        void vscode.window.showWarningMessage(vscode.l10n.t('QEMU Block Trace: qemuBlockTrace.source.binaryRevision “{0}” is not a revision of {1}; lines are checked without it.', given, root));
        return undefined;
      }
      score = await scoreRevision(given, sites, git, this.parser, fieldsOf);
    } else {
      score = await detectRevision(sites, git, this.parser, fieldsOf);
    }
    if (!score) return undefined;
    const label = /^[0-9a-f]{40}$/.test(score.rev) ? score.rev.slice(0, 12) : score.rev;
    const later = await git.commitsSince(score.rev);
    return { ...score, label, given: given !== '', commitsLater: later, mapping: revisionMapping(git, score.rev, label) };
  }

  /** "Don't Ask Again" holds for the workspace, or, in a window with no folder, for every such window. */
  private get offerMemento(): vscode.Memento {
    return vscode.workspace.workspaceFolders?.length ? this.context.workspaceState : this.context.globalState;
  }

  /** Settings, with the source root defaulting to the workspace folder that is a QEMU tree. */
  private async config(doc: TraceSubject): Promise<SourceConfig> {
    const c = vscode.workspace.getConfiguration('qemuBlockTrace.source', scopeOf(doc));
    const folders = vscode.workspace.workspaceFolders ?? [];
    const root = c.get<string>('root', '') || folders.map((f) => f.uri.fsPath).find((p) => looksLikeQemuTree(p, disk)) || null;
    const mappings = c.get<{ from: string; to: string }[]>('pathMappings', []).filter((m) => typeof m?.from === 'string' && typeof m?.to === 'string');
    this.workspaceFiles ??= Promise.resolve(vscode.workspace.findFiles('**/*.{c,h,inc}', '**/node_modules/**', 50_000)).then((uris) => uris.map((u) => u.fsPath));
    return { root, buildDir: c.get<string>('buildDir', '') || null, pathMappings: mappings, workspaceFiles: await this.workspaceFiles };
  }

  /**
   * The tree index of a source root (which files define each function, which fields bind it),
   * read once per root in batches that yield, so the extension host stays responsive.
   */
  private index(config: SourceConfig): Promise<TreeIndex> | undefined {
    if (!config.root) return undefined;
    const dirs = [config.root, config.buildDir ?? `${config.root}/build`];
    const key = dirs.join('\0');
    let p = this.indexes.get(key);
    if (!p) {
      p = buildTreeIndexAsync(dirs, diskLister, disk);
      this.indexes.set(key, p);
    }
    return p;
  }

  /** What each function's frames print in a trace, for telling apart several calls of one function. */
  private calls(trace: Trace): FunctionCalls {
    let c = this.callsOf.get(trace);
    if (!c) {
      c = functionCalls([...trace.hits.map((h) => h.frames), ...trace.backtraces.map((b) => b.frames)]);
      this.callsOf.set(trace, c);
    }
    return c;
  }

  /**
   * Where a frame's line is in the checkout, or why it cannot be found. The binary's revision is
   * used when it is known; `waitForRevision` (go to definition) waits for its detection, the
   * others (links, lenses, hovers) do not and are refreshed when it is found.
   */
  async resolve(doc: TraceSubject, frame: Frame, inner: FrameContext, waitForRevision = false): Promise<FrameLocation> {
    const config = await this.config(doc);
    const pending = this.revisionOf(doc, config);
    const revision = waitForRevision ? await pending : this.settledRevision(doc, config);
    const ctx = withSiblings(inner, frame, this.calls(this.traceIn(doc)));
    const r = await resolveFrameLocation(frame, ctx, config, disk, this.parser, await this.index(config), revision?.mapping);
    if (r.path === null && /no QEMU source folder is known/.test(r.reason)) this.offerChooseRoot(doc);
    return r;
  }

  /** Where a function is defined, in the file a frame names. */
  async definitionOf(doc: vscode.TextDocument, frame: Frame, inner: FrameContext): Promise<vscode.Location | undefined> {
    const r = await this.resolve(doc, frame, inner);
    if (r.path === null) return undefined;
    const path = r.path;
    const outline = await this.parser.outline(disk.version(path), () => disk.read(path) ?? '');
    // a renamed or inlined function: where its code is now
    const name = r.method === 'renamed' || r.method === 'inlined' ? (outline.functions.find((f) => f.startLine <= r.line && r.line <= f.endLine)?.name ?? frame.function) : frame.function;
    const def = outline.functions.find((f) => f.name === name);
    return def ? new vscode.Location(vscode.Uri.file(r.path), new vscode.Position(def.nameLine - 1, 0)) : undefined;
  }

  /** `qmp_blockdev_snapshot_sync`, where the checkout defines it. */
  async qmpHandler(doc: vscode.TextDocument, command: string): Promise<vscode.Location | undefined> {
    const config = await this.config(doc);
    const index = await this.index(config);
    const fn = qmpHandlerName(command);
    const buildDir = config.buildDir ?? `${config.root}/build`;
    for (const path of (index?.definedIn(fn) ?? []).filter((p) => p.endsWith('.c') && !p.startsWith(`${buildDir}/`))) {
      const outline = await this.parser.outline(disk.version(path), () => disk.read(path) ?? '');
      const def = outline.functions.find((f) => f.name === fn);
      if (def) return new vscode.Location(vscode.Uri.file(path), new vscode.Position(def.nameLine - 1, 0));
    }
    return undefined;
  }

  /** The command's documentation from the checkout's `qapi/*.json`. */
  async qmpDoc(doc: vscode.TextDocument, command: string): Promise<(QapiDoc & { file: string }) | null> {
    const { root } = await this.config(doc);
    if (!root) return null;
    let schema = this.schemas.get(root);
    if (!schema) {
      const dir = `${root}/qapi`;
      schema = Promise.resolve(
        (() => {
          try {
            return readdirSync(dir)
              .filter((f) => f.endsWith('.json'))
              .map((f): [string, string] => [`${dir}/${f}`, disk.read(`${dir}/${f}`) ?? '']);
          } catch {
            return [];
          }
        })(),
      );
      this.schemas.set(root, schema);
    }
    return commandDoc(await schema, command);
  }

  onFilesChanged(): void {
    this.workspaceFiles = undefined;
    this.schemas.clear();
    this.indexes.clear();
    this.revisions.clear();
    this.settled.clear();
  }

  /** The source settings changed: offer again if they leave no folder known. */
  onSettingsChanged(): void {
    this.offered = false;
    this.indexes.clear();
    this.schemas.clear();
    this.revisions.clear();
    this.settled.clear();
    for (const g of this.gits.values()) void g.then((x) => x?.dispose());
    this.gits.clear();
  }

  dispose(): void {
    for (const g of this.gits.values()) void g.then((x) => x?.dispose());
    this.revisionFound.dispose();
  }

  /** Ask for the QEMU source folder and keep it (for the workspace, or for all windows without one). */
  async chooseRoot(doc?: TraceSubject): Promise<void> {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title: vscode.l10n.t('Your QEMU Source Folder') });
    if (!picked?.[0]) return;
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('qemuBlockTrace.source', doc && scopeOf(doc)).update('root', picked[0].fsPath, target);
  }

  private offerChooseRoot(doc: TraceSubject): void {
    if (this.offered || this.offerMemento.get<boolean>(NO_ROOT_OFFER_KEY, false)) return;
    this.offered = true;
    void vscode.window
      .showInformationMessage(vscode.l10n.t('QEMU Block Trace: frames open in your QEMU checkout once it knows where it is.'), CHOOSE_ROOT, DONT_ASK)
      .then(async (choice) => {
        if (choice === DONT_ASK) {
          await this.offerMemento.update(NO_ROOT_OFFER_KEY, true);
          return;
        }
        if (choice !== CHOOSE_ROOT) return;
        await this.chooseRoot(doc);
      });
  }
}

export function locationTarget(r: Extract<FrameLocation, { path: string }>): vscode.Uri {
  return vscode.Uri.file(r.path).with({ fragment: `L${r.line}` });
}

/** Where a frame's link goes, in words: the destination first, then how sure it is. */
export function destinationText(r: FrameLocation): string {
  if (r.path === null) return vscode.l10n.t('Source not found: {0}', r.reason);
  // how it was found, exact or not: the line was checked against what the frame executed
  return vscode.l10n.t('Open {0}:{1} — {2}', r.path, r.line, r.note);
}

/** The QMP command whose name stands at `pos` on its command line (`(QEMU) block-commit …`, `{"execute": "block-commit"`). */
export function commandAt(trace: Trace, doc: vscode.TextDocument, pos: vscode.Position): { name: string; range: vscode.Range } | undefined {
  for (const c of trace.commands) {
    if (c.line !== pos.line || c.origin === 'hmp' || c.origin === 'inferred') continue;
    const text = doc.lineAt(c.line).text;
    const name = c.name;
    const at = text.indexOf(c.origin === 'qmp' ? `"${name}"` : name);
    if (at < 0) continue;
    const start = at + (c.origin === 'qmp' ? 1 : 0);
    const range = new vscode.Range(c.line, start, c.line, start + name.length);
    if (range.contains(pos)) return { name, range };
  }
  return undefined;
}

/** The documentation of a QMP command as Markdown: summary, arguments, returns, since, and where it is defined. */
export function qapiMarkdown(d: QapiDoc & { file: string }, handler: vscode.Location | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escapeMarkdown(d.name)}**${d.since ? ` (since ${escapeMarkdown(d.since)})` : ''}\n\n`);
  if (handler) md.appendMarkdown(`Handler: [${qmpHandlerName(d.name)}](${handler.uri.with({ fragment: `L${handler.range.start.line + 1}` }).toString()}) · `);
  md.appendMarkdown(`[${escapeMarkdown(d.file.split('/').slice(-2).join('/'))}:${d.line}](${vscode.Uri.file(d.file).with({ fragment: `L${d.line}` }).toString()})\n\n`);
  if (d.summary) md.appendMarkdown(`${escapeMarkdown(d.summary)}\n\n`);
  if (d.args.length > 0) md.appendMarkdown(`${d.args.map((a) => `- \`${a.name}\`: ${escapeMarkdown(a.text)}`).join('\n')}\n\n`);
  if (d.returns) md.appendMarkdown(`Returns: ${escapeMarkdown(d.returns)}`);
  return md;
}

/** A link goes to the line, or, when the source is not found, to the settings that say where it is. */
function linkTarget(r: FrameLocation): vscode.Uri {
  if (r.path !== null) return locationTarget(r);
  return vscode.Uri.parse(`command:workbench.action.openSettings?${encodeURIComponent(JSON.stringify(['qemuBlockTrace.source']))}`);
}

/** The setting to open when no source folder is known. */
const OPEN_ROOT_SETTING: vscode.Command = { title: vscode.l10n.t('Set the QEMU source folder'), command: 'workbench.action.openSettings', arguments: ['qemuBlockTrace.source.root'] };

class FrameLink extends vscode.DocumentLink {
  /** The frame location it goes to (file, line, function, what the inner frame called). */
  key = '';
  constructor(
    range: vscode.Range,
    readonly doc: vscode.TextDocument,
    readonly line: number,
  ) {
    super(range);
  }
}

class HitLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly doc: vscode.TextDocument,
    readonly hit: Hit,
    readonly kind: 'source' | 'position' | 'graph',
  ) {
    super(range);
  }
}

export function registerSourceNavigation(store: TraceStore, navigator: SourceNavigator, focus: HitsFocus): vscode.Disposable {
  const selector: vscode.DocumentSelector = { language: LANGUAGE_ID };
  const lensesChanged = new vscode.EventEmitter<void>();
  /** The lines each large trace was last linked for, by URI (null: all of it). */
  const linked = new Map<string, { from: number; to: number }[] | null>();
  const disposables = vscode.Disposable.from(
    lensesChanged,
    store.onDidChange(() => lensesChanged.fire()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('qemuBlockTrace.source')) return;
      navigator.onSettingsChanged();
      lensesChanged.fire();
    }),
    vscode.workspace.onDidCreateFiles(() => navigator.onFilesChanged()),
    vscode.workspace.onDidDeleteFiles(() => navigator.onFilesChanged()),
    vscode.languages.registerDefinitionProvider(selector, {
      async provideDefinition(doc, pos) {
        const cmd = commandAt(store.get(doc), doc, pos);
        if (cmd) return navigator.qmpHandler(doc, cmd.name);
        const at = frameAt(store.get(doc), pos.line);
        if (!at) return undefined;
        const column = modelColumn(doc, pos);
        const loc = at.frame.locationRange;
        if (loc && loc.line === pos.line && loc.start <= column && column <= loc.end && at.frame.file) {
          const r = await navigator.resolve(doc, at.frame, at.inner, true);
          return r.path === null ? undefined : new vscode.Location(vscode.Uri.file(r.path), new vscode.Position(r.line - 1, 0));
        }
        const fr = at.frame.functionRange;
        if (fr && fr.line === pos.line && fr.start <= column && column <= fr.end) return navigator.definitionOf(doc, at.frame, at.inner);
        return undefined;
      },
    }),
    // links say where they go: when the settings that decide it change, the editors must ask again,
    // and a link provider has no change event, so it is registered anew
    { dispose: () => linkRegistration.dispose() },
  );
  const registerLinks = () => vscode.languages.registerDocumentLinkProvider(selector, {
      // The editor shows a link's tooltip on hover but resolves the link only when it is clicked, so
      // the destination is worked out here. A log repeats the same few stacks: each distinct frame
      // location is resolved once.
      async provideDocumentLinks(doc, token) {
        const trace = store.get(doc);
        const links: FrameLink[] = [];
        const resolved = new Map<string, Promise<FrameLocation> | undefined>();
        const add = (f: Frame, inner: FrameContext) => {
          const r = f.locationRange;
          if (!r || !f.file) return;
          const link = new FrameLink(documentRange(doc, r.line, r.start, r.end), doc, f.logLine);
          const key = frameLocationKey(f, inner);
          if (!resolved.has(key)) resolved.set(key, resolved.size < MAX_LINK_TARGETS ? navigator.resolve(doc, f, inner) : undefined);
          link.key = key;
          links.push(link);
        };
        const addStack = (frames: Frame[], echo: string | undefined) => frames.forEach((f, i) => add(f, frameContext(frames, i, echo)));
        const windows = linkWindows(doc);
        linked.set(doc.uri.toString(), windows);
        const sections = windows ? windows.map((w) => sectionsBetween(trace, w.from, w.to)) : [trace];
        // (a hit longer than the gap between two editors' windows meets both: linked once)
        for (const h of new Set(sections.flatMap((x) => x.hits))) {
          if (h.stop) add(h.stop, frameContext([h.stop, ...h.frames.slice(1)], 0, h.source?.text));
          addStack(h.frames, h.source?.text);
        }
        for (const b of new Set(sections.flatMap((x) => x.backtraces))) addStack(b.frames, undefined);
        const locations = new Map<string, FrameLocation>();
        await Promise.all([...resolved].map(async ([key, p]) => p && locations.set(key, await p)));
        if (token.isCancellationRequested) return [];
        for (const link of links) {
          const r = locations.get(link.key);
          if (!r) continue;
          link.target = linkTarget(r);
          link.tooltip = destinationText(r);
        }
        return links;
      },
      async resolveDocumentLink(link: FrameLink) {
        const at = frameAt(store.get(link.doc), link.range.start.line);
        if (!at) return link;
        const r = await navigator.resolve(link.doc, at.frame, at.inner);
        link.tooltip = destinationText(r);
        link.target = linkTarget(r);
        return link;
      },
    });
  // which revision the active trace's binary was built from, when git told
  const revisionStatus = vscode.window.createStatusBarItem('qemuBlockTrace.revision', vscode.StatusBarAlignment.Left, 49);
  revisionStatus.name = 'QEMU Block Trace: Binary Revision';
  revisionStatus.command = { title: vscode.l10n.t('Set the binary revision'), command: 'workbench.action.openSettings', arguments: ['qemuBlockTrace.source.binaryRevision'] };
  const showRevision = async () => {
    const doc = store.activeTrace;
    const r = doc ? await navigator.revisionOf(doc) : undefined;
    if (doc !== store.activeTrace) return;
    if (!r) {
      revisionStatus.hide();
      return;
    }
    revisionStatus.text = `$(git-commit) ${r.label} · ${r.matching}/${r.total}`;
    revisionStatus.tooltip = r.given
      ? vscode.l10n.t('QEMU Block Trace: {0}. Frames are mapped from {1} to your working tree through git, then checked.', revisionText(r), r.label)
      : vscode.l10n.t('QEMU Block Trace: {0}. Frames are mapped from {1} to your working tree through git, then checked. Click to set the revision yourself (qemuBlockTrace.source.binaryRevision).', revisionText(r), r.label);
    revisionStatus.show();
  };
  void showRevision();
  let linkRegistration = registerLinks();
  const relink = () => {
    linkRegistration.dispose();
    linkRegistration = registerLinks();
  };
  // a large trace's links follow its editors: asked for again once what they show leaves the lines linked
  let relinkTimer: NodeJS.Timeout | undefined;
  const followScrolling = (editors: readonly vscode.TextEditor[]) => {
    const outside = editors.some((e) => {
      const windows = linked.get(e.document.uri.toString());
      if (!windows) return false;
      return e.visibleRanges.some((r) => !windows.some((w) => w.from <= Math.max(0, r.start.line - LINK_MARGIN / 2) && r.end.line + LINK_MARGIN / 2 <= w.to));
    });
    if (!outside) return;
    clearTimeout(relinkTimer);
    relinkTimer = setTimeout(relink, 150);
  };
  return vscode.Disposable.from(
    disposables,
    revisionStatus,
    vscode.window.onDidChangeTextEditorVisibleRanges((e) => followScrolling([e.textEditor])),
    vscode.window.onDidChangeVisibleTextEditors((editors) => followScrolling(editors)),
    vscode.workspace.onDidCloseTextDocument((d) => linked.delete(d.uri.toString())),
    { dispose: () => clearTimeout(relinkTimer) },
    store.onDidChangeActiveTrace(() => void showRevision()),
    navigator.onDidFindRevision(() => {
      void showRevision();
      relink();
      lensesChanged.fire();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      navigator.onSettingsChanged();
      void showRevision();
      relink();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('qemuBlockTrace.source')) {
        relink();
        void showRevision();
      }
    }),
    // a QMP command's documentation, from the checkout's schema
    vscode.languages.registerHoverProvider(selector, {
      async provideHover(doc, pos) {
        const cmd = commandAt(store.get(doc), doc, pos);
        if (!cmd) return undefined;
        const d = await navigator.qmpDoc(doc, cmd.name);
        if (!d) return undefined;
        return new vscode.Hover(qapiMarkdown(d, await navigator.qmpHandler(doc, cmd.name)), cmd.range);
      },
    }),
    vscode.commands.registerCommand('qemuBlockTrace.chooseSourceRoot', () => navigator.chooseRoot(store.activeTrace)),
    // a frame row's action in the Hits view: the only way to the source from a log read from disk
    // (it has no links), and one click from any other
    vscode.commands.registerCommand('qemuBlockTrace.openFrameSource', async (node?: { frame?: { range?: { startLine?: unknown } } }) => {
      const source = focus.current();
      const line = node?.frame?.range?.startLine;
      const at = source && typeof line === 'number' ? frameAt(source.trace, line) : undefined;
      if (!source || !at) return;
      const r = await navigator.resolve(source.document ?? { uri: source.uri, trace: source.trace }, at.frame, at.inner, true);
      if (r.path === null) {
        const choice = await vscode.window.showWarningMessage(vscode.l10n.t('{0}: source not found ({1}).', at.frame.function || '??', r.reason), OPEN_ROOT_SETTING.title);
        if (choice === OPEN_ROOT_SETTING.title) await vscode.commands.executeCommand(OPEN_ROOT_SETTING.command, ...(OPEN_ROOT_SETTING.arguments ?? []));
        return;
      }
      const pos = new vscode.Position(Math.max(0, r.line - 1), 0);
      await vscode.window.showTextDocument(vscode.Uri.file(r.path), { selection: new vscode.Range(pos, pos), preview: true });
      if (r.method !== 'exact') vscode.window.setStatusBarMessage(`${at.frame.function}: ${r.note}`, 8000);
    }),
    // Go to QMP Handler on a command of the Hits view (its node: a group with a command)
    vscode.commands.registerCommand('qemuBlockTrace.goToQmpHandler', async (node?: { group?: { command?: { name?: unknown } | null } }) => {
      const name = node?.group?.command?.name;
      const doc = store.activeTrace ?? vscode.window.visibleTextEditors.map((e) => e.document).find((d) => TraceStore.isTrace(d));
      if (typeof name !== 'string' || !doc) return;
      const loc = await navigator.qmpHandler(doc, name);
      if (!loc) {
        const documented = (await navigator.qmpDoc(doc, name)) !== null;
        void vscode.window.showInformationMessage(
          documented
            ? vscode.l10n.t('QEMU Block Trace: {0} is not defined in the QEMU source folder.', qmpHandlerName(name))
            : vscode.l10n.t('QEMU Block Trace: {0} is not defined in the QEMU source folder, nor is the command in its qapi/*.json.', qmpHandlerName(name)),
        );
        return;
      }
      await vscode.window.showTextDocument(loc.uri, { selection: loc.range });
    }),
    // a C file added or removed may change where frames go (the tree index, suffix matches)
    // an edited C file of the tree: the index and the revision's hunks are read again
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (!/\.[ch]$/.test(d.uri.path)) return;
      navigator.onFilesChanged();
      relink();
    }),
    vscode.workspace.onDidCreateFiles((e) => e.files.some((f) => /\.[ch]$/.test(f.path)) && relink()),
    vscode.workspace.onDidDeleteFiles((e) => e.files.some((f) => /\.[ch]$/.test(f.path)) && relink()),
    vscode.languages.registerCodeLensProvider(selector, {
      onDidChangeCodeLenses: lensesChanged.event,
      provideCodeLenses(doc) {
        // cheap: one range per hit; what each lens says is worked out only for the visible ones
        const lenses: HitLens[] = [];
        const trace = store.get(doc);
        // Show graph where the graph has something to show; until the replay is done, everywhere
        const graph = store.blockGraphIfBuilt(trace);
        if (!graph) store.blockGraphIfSmall(trace).then((g) => g && lensesChanged.fire(), () => undefined);
        for (const h of trace.hits) {
          const range = new vscode.Range(h.line, 0, h.line, 0);
          if (h.stop?.file) lenses.push(new HitLens(range, doc, h, 'source'));
          lenses.push(new HitLens(range, doc, h, 'position'));
          if (!graph || graph.hasSomethingToShow(h.index)) lenses.push(new HitLens(range, doc, h, 'graph'));
        }
        return lenses;
      },
      async resolveCodeLens(lens: HitLens) {
        const h = lens.hit;
        const trace = store.get(lens.doc);
        if (lens.kind === 'graph') {
          const changed = store.blockGraphIfBuilt(trace)?.changeAt(h.index);
          const tooltip = changed && changed.short === null ? vscode.l10n.t('The block graph as hit {0} sees it ({1})', h.index, changed.explanation) : vscode.l10n.t('The block graph after hit {0}, and what this hit changed', h.index);
          lens.command = { title: vscode.l10n.t('Show graph'), command: 'qemuBlockTrace.showGraph', arguments: [lens.doc.uri, h.index], tooltip };
          return lens;
        }
        if (lens.kind === 'position') {
          const cmd = h.command === null ? null : trace.commands[h.command];
          const pos = cmd ? `hit ${cmd.hits.indexOf(h.index) + 1} of ${cmd.hits.length} · ${cmd.name}` : `hit ${h.index} · before any command`;
          lens.command = { title: pos, command: 'qemuBlockTrace.revealHit', arguments: [h.index], tooltip: cmd ? commandLabel(cmd) : undefined };
          return lens;
        }
        const stop = h.stop!;
        const r = await navigator.resolve(lens.doc, stop, frameContext([stop, ...h.frames.slice(1)], 0, h.source?.text));
        const revision = await navigator.revisionOf(lens.doc);
        if (r.path === null) {
          // where the source would come from, one click away
          lens.command = { ...OPEN_ROOT_SETTING, title: vscode.l10n.t('{0} (source not found)', `${basename(stop.file!)}:${stop.line} ${stop.function}`), tooltip: vscode.l10n.t('{0} — click to set qemuBlockTrace.source.root', r.reason) };
        } else {
          const moved = r.delta !== 0 ? ` (moved ${r.delta > 0 ? '+' : ''}${r.delta})` : r.method === 'unresolved' ? ' (?)' : '';
          lens.command = {
            title: `${basename(r.path)}:${r.line} ${stop.function}${moved}`,
            command: 'vscode.open',
            arguments: [vscode.Uri.file(r.path), { selection: new vscode.Range(r.line - 1, 0, r.line - 1, 0) }],
            tooltip: `${r.path}:${r.line} — ${r.note}${revision ? `\n${revisionText(revision)}` : ''}`,
          };
        }
        return lens;
      },
    }),
  );
}
