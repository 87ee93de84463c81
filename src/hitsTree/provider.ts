// The Hits tree: groups (commands, callers, threads, breakpoints) → hits → frames, with the
// event-loop plumbing that ends every stack folded into one node. Children are built on expand.

import * as vscode from 'vscode';
import type { Frame } from '../model/frames';
import { backtraceLabel, backtraceMatches, callerOf, groupHits, hitMatches, hitsOfNamedObjects, inferredBecause, innermostInterestingFrame, plumbingStart, shortLocation, type Grouping, type HitGroup } from '../model/hitGroups';
import { commandLabel } from '../model/qmp';
import { formatRanges } from '../model/summary';
import { escapeMarkdown, frameMarkdown } from '../markdown';
import type { TraceSource, TraceStore } from '../traceStore';
import type { Backtrace, Hit, Trace } from '../model/trace';

export class GroupNode {
  readonly type = 'group';
  constructor(
    readonly group: HitGroup,
    readonly id: string,
  ) {}
}

export class HitNode {
  readonly type = 'hit';
  constructor(
    readonly hit: Hit,
    readonly parent: GroupNode | undefined,
    readonly id: string,
  ) {}
}

/** The group of free-standing backtraces (`thread apply all bt`, a pasted crash), after the hits. */
export class BacktracesNode {
  readonly type = 'backtraces';
  constructor(
    readonly backtraces: Backtrace[],
    readonly id: string,
  ) {}
}

export class BacktraceNode {
  readonly type = 'backtrace';
  constructor(
    readonly backtrace: Backtrace,
    readonly parent: BacktracesNode,
    readonly id: string,
  ) {}
}

/** A hit or a free-standing backtrace: what has frames. */
type StackNode = HitNode | BacktraceNode;

export class FrameNode {
  readonly type = 'frame';
  constructor(
    /** The hit the frame belongs to, or for a free-standing backtrace the hit in effect when it was printed. */
    readonly hit: Hit | undefined,
    readonly frame: Frame,
    readonly parent: StackNode | PlumbingNode,
    readonly id: string,
  ) {}
}

export class PlumbingNode {
  readonly type = 'plumbing';
  constructor(
    readonly frames: Frame[],
    readonly parent: StackNode,
    readonly id: string,
  ) {}
}

export type HitsTreeNode = GroupNode | HitNode | FrameNode | PlumbingNode | BacktracesNode | BacktraceNode;

/** What the tree shows: one trace, grouped and filtered. */
interface Shown {
  source: TraceSource;
  trace: Trace;
  roots: (GroupNode | HitNode | BacktracesNode)[];
  /** The node of each hit (by index) that is listed, built on first use. */
  hitNodes: Map<number, HitNode>;
  groupOf: Map<number, GroupNode | undefined>;
  listed: number;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** What a log's row ids start with. */
function idScope(source: TraceSource): string {
  return `${source.uri.toString()}#`;
}

export class HitsTreeProvider implements vscode.TreeDataProvider<HitsTreeNode> {
  private readonly changed = new vscode.EventEmitter<HitsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private shown: Shown | undefined;
  /** Hits that print a pointer of an object the filter names, for one trace and filter. */
  private named: { trace: Trace; filter: string; hits: Set<number>; backtraces: Set<number> } | undefined;
  /** When the tree last rebuilt (Date.now()). */
  refreshedAt = 0;

  constructor(
    private readonly store: TraceStore,
    private grouping: Grouping,
    private filter = '',
  ) {}

  get source(): TraceSource | undefined {
    return this.shown?.source;
  }
  get document(): vscode.TextDocument | undefined {
    return this.shown?.source.document;
  }
  get trace(): Trace | undefined {
    return this.shown?.trace;
  }
  get currentGrouping(): Grouping {
    return this.grouping;
  }
  get currentFilter(): string {
    return this.filter;
  }
  /** How many hits the tree lists (after the filter), and of how many. */
  get counts(): { listed: number; total: number } {
    return { listed: this.shown?.listed ?? 0, total: this.shown?.trace.hits.length ?? 0 };
  }

  /**
   * Show a trace (or nothing), keeping grouping and filter. Resolves once a filter also matches
   * the hits that print a pointer of an object it names (which needs the pointer identities).
   */
  show(source: TraceSource | undefined): Promise<void> {
    this.shown = source ? this.build(source) : undefined;
    this.refreshedAt = Date.now();
    this.changed.fire(undefined);
    if (source) void this.labelWithReplay(source.trace);
    return this.matchObjectNames();
  }

  /**
   * Hit rows say what the hit did to the graph once the replay knows (a small trace is replayed
   * for it at once; a large one when something else asked for its graph, and the rows shown
   * before then are labelled again).
   */
  private async labelWithReplay(trace: Trace): Promise<void> {
    if (this.store.blockGraphIfBuilt(trace)) return;
    const graph = (await this.store.blockGraphIfSmall(trace).catch(() => undefined)) ?? (await this.store.graphWhenBuilt(trace));
    if (graph && this.shown?.trace === trace) {
      this.refreshedAt = Date.now();
      this.changed.fire(undefined);
    }
  }

  setGrouping(grouping: Grouping): void {
    this.grouping = grouping;
    this.rebuild();
  }

  /** Filter the hits; resolves once hits of the objects the filter names are listed too. */
  setFilter(filter: string): Promise<void> {
    this.filter = filter.trim();
    this.rebuild();
    return this.matchObjectNames();
  }

  /**
   * A node's name is printed where it is created; after that the log shows only its pointer. A
   * filter that names an object (`s0`, `jobA`) matches every hit that prints one of its pointers.
   */
  private async matchObjectNames(): Promise<void> {
    const shown = this.shown;
    const filter = this.filter;
    if (!shown || filter === '' || this.named?.trace === shown.trace && this.named.filter === filter) return;
    const ids = await this.store.identities(shown.trace);
    // regrouped meanwhile is fine; another trace or filter is not
    if (this.shown?.trace !== shown.trace || this.filter !== filter) return;
    const named = hitsOfNamedObjects(shown.trace, ids, filter);
    this.named = { trace: shown.trace, filter, hits: named.hits, backtraces: named.backtraces };
    if (named.hits.size > 0 || named.backtraces.size > 0) this.rebuild();
  }

  private rebuild(): void {
    if (this.shown) this.shown = this.build(this.shown.source);
    this.refreshedAt = Date.now();
    this.changed.fire(undefined);
  }

  private build(source: TraceSource): Shown {
    const trace = source.trace;
    const named = this.named?.trace === trace && this.named.filter === this.filter ? this.named : undefined;
    const hits = this.filter === '' ? trace.hits : trace.hits.filter((h) => named?.hits.has(h.index) || hitMatches(trace, h, this.filter));
    const groupOf = new Map<number, GroupNode | undefined>();
    const shown: Shown = { source, trace, roots: [], hitNodes: new Map(), groupOf, listed: hits.length };
    const backtraces = trace.backtraces.filter((b) => named?.backtraces.has(b.line) || backtraceMatches(b, this.filter));
    // ids are the log's own: a row of another log with the same place (the same log, saved twice)
    // is another row, for the view's selection and expansion as for a person
    const scope = idScope(source);
    const tail = backtraces.length > 0 ? [new BacktracesNode(backtraces, `${scope}backtraces`)] : [];
    if (this.grouping === 'flat') {
      shown.roots = [...hits.map((h) => this.hitNode(shown, h, undefined)), ...tail];
      return shown;
    }
    const groups = groupHits(trace, this.grouping, hits).map((g) => new GroupNode(g, `${scope}${this.grouping}:${g.key}`));
    for (const g of groups) for (const h of g.group.hits) groupOf.set(h.index, g);
    shown.roots = [...groups, ...tail];
    return shown;
  }

  /** Frames of a hit or backtrace, the event-loop plumbing that ends the stack folded into one node. */
  private frameNodes(node: StackNode, hit: Hit | undefined, frames: Frame[]): HitsTreeNode[] {
    const cut = plumbingStart(frames);
    const visible = frames.slice(0, cut).map((f) => new FrameNode(hit, f, node, `${node.id}/f${f.level}`));
    if (cut >= frames.length) return visible;
    return [...visible, new PlumbingNode(frames.slice(cut), node, `${node.id}/plumbing`)];
  }

  /** The hit in effect when a free-standing backtrace was printed. */
  private hitOf(b: Backtrace): Hit | undefined {
    return b.hit === null ? undefined : this.shown?.trace.hits[b.hit - 1];
  }

  private hitNode(shown: Shown, hit: Hit, parent: GroupNode | undefined): HitNode {
    let node = shown.hitNodes.get(hit.index);
    if (!node) {
      node = new HitNode(hit, parent, `${parent?.id ?? `${idScope(shown.source)}flat`}/hit:${hit.index}`);
      shown.hitNodes.set(hit.index, node);
    }
    return node;
  }

  /** The listed node of hit `index` (for reveal), or undefined when the filter hides it. */
  nodeOfHit(index: number): HitNode | undefined {
    const shown = this.shown;
    if (!shown) return undefined;
    const hit = shown.trace.hits[index - 1];
    if (!hit) return undefined;
    if (this.grouping === 'flat') return shown.hitNodes.get(index);
    const group = shown.groupOf.get(index);
    return group ? this.hitNode(shown, hit, group) : undefined;
  }

  getChildren(node?: HitsTreeNode): HitsTreeNode[] {
    const shown = this.shown;
    if (!shown) return [];
    if (!node) return shown.roots;
    switch (node.type) {
      case 'group':
        return node.group.hits.map((h) => this.hitNode(shown, h, node));
      case 'hit':
        return this.frameNodes(node, node.hit, node.hit.frames);
      case 'backtraces':
        return node.backtraces.map((b) => new BacktraceNode(b, node, `${node.id}/line:${b.line}`));
      case 'backtrace':
        return this.frameNodes(node, this.hitOf(node.backtrace), node.backtrace.frames);
      case 'plumbing': {
        const owner = node.parent;
        const hit = owner.type === 'hit' ? owner.hit : this.hitOf(owner.backtrace);
        return node.frames.map((f) => new FrameNode(hit, f, node, `${node.id}/f${f.level}`));
      }
      case 'frame':
        return [];
    }
  }

  getParent(node: HitsTreeNode): HitsTreeNode | undefined {
    return node.type === 'group' || node.type === 'backtraces' ? undefined : node.parent;
  }

  /** A hit's tooltip, made on hover: where it stopped, and what it did to the block graph when the replay is at hand. */
  async resolveTreeItem(item: vscode.TreeItem, node: HitsTreeNode, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    const source = this.source;
    if (node.type !== 'hit') return item;
    const h = node.hit;
    const tip = new vscode.MarkdownString();
    const where = shortLocation(h.stop);
    tip.appendMarkdown(`**Hit #${h.index}** of ${h.kind} ${h.breakpoint}${h.stop ? ` in \`${h.stop.function.replace(/`/g, "'")}\`${where ? ` (${escapeMarkdown(where)})` : ''}` : ''}`);
    const caller = callerOf(h);
    if (caller) tip.appendMarkdown(`, called from \`${caller.replace(/`/g, "'")}\``);
    tip.appendMarkdown(`${h.thread ? `, thread ${h.thread.number}${h.thread.name ? ` "${escapeMarkdown(h.thread.name)}"` : ''}` : ''}, log line ${h.line + 1}`);
    if (h.source) tip.appendCodeblock(`${h.source.number}\t${h.source.text}`, 'c');
    if (h.watch) tip.appendMarkdown(`\n\nOld value = \`${h.watch.old ?? '?'}\`, new value = \`${h.watch.new ?? '?'}\``);
    if (h.job) tip.appendMarkdown(`\n\n${vscode.l10n.t('Runs for job {0}.', `\`${h.job}\``)}`);
    item.tooltip = tip;
    if (!source) return item;
    const graph = await this.store.blockGraphIfQuick(source.trace);
    const change = graph?.changeAt(h.index);
    if (!change || token.isCancellationRequested) return item;
    const args = encodeURIComponent(JSON.stringify([source.uri.toString(), h.index]));
    tip.appendMarkdown(`\n\nBlock graph: ${escapeMarkdown(change.explanation)} — [Show graph](command:qemuBlockTrace.showGraph?${args})`);
    tip.isTrusted = { enabledCommands: ['qemuBlockTrace.showGraph'] };
    return item;
  }

  getTreeItem(node: HitsTreeNode): vscode.TreeItem {
    switch (node.type) {
      case 'group':
        return this.groupItem(node);
      case 'hit':
        return this.hitItem(node);
      case 'plumbing': {
        const item = new vscode.TreeItem(vscode.l10n.t('… {0} event-loop frames', node.frames.length), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('fold');
        item.tooltip = node.frames.map((f) => `#${f.level} ${f.function || '??'}`).join('\n');
        item.contextValue = 'plumbing';
        return item;
      }
      case 'frame':
        return this.frameItem(node);
      case 'backtraces': {
        const item = new vscode.TreeItem(vscode.l10n.t('Backtraces'), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.description = plural(node.backtraces.length, 'backtrace');
        item.iconPath = new vscode.ThemeIcon('list-tree');
        item.tooltip = vscode.l10n.t('Backtraces printed outside a hit’s own `bt`: `thread apply all bt`, a backtrace of another thread, a sanitizer report.');
        item.contextValue = 'backtraces';
        return item;
      }
      case 'backtrace':
        return this.backtraceItem(node);
    }
  }

  private backtraceItem(node: BacktraceNode): vscode.TreeItem {
    const b = node.backtrace;
    const item = new vscode.TreeItem(backtraceLabel(b), b.frames.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    const f = innermostInterestingFrame(b.frames);
    item.description = [shortLocation(f ?? null), b.hit !== null ? `during hit #${b.hit}` : null].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(b.thread ? 'server-process' : 'debug-stackframe');
    item.contextValue = 'backtrace';
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**${escapeMarkdown(b.title ?? backtraceLabel(b))}**\n\n${plural(b.frames.length, 'frame')}, log line ${b.line + 1}`);
    if (b.hit !== null) tip.appendMarkdown(vscode.l10n.t(', printed while hit #{0} was stopped', b.hit));
    tip.appendMarkdown('.');
    item.tooltip = tip;
    return item;
  }

  private groupItem(node: GroupNode): vscode.TreeItem {
    const g = node.group;
    const item = new vscode.TreeItem(g.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.description = plural(g.hits.length, 'hit');
    // a command typed in the log can go to its handler
    item.contextValue = g.command && g.command.origin !== 'hmp' ? 'command' : 'group';
    const cmd = g.command;
    const tip = new vscode.MarkdownString();
    if (cmd) {
      item.iconPath = new vscode.ThemeIcon(cmd.origin === 'inferred' ? 'lightbulb' : 'terminal');
      tip.appendCodeblock(cmd.text ?? commandLabel(cmd), 'text');
      const why = inferredBecause(cmd);
      tip.appendMarkdown(why ? `**Inferred.** ${why}` : `Typed at line ${(cmd.line ?? 0) + 1} (${cmd.origin}).`);
    } else if (cmd === null) {
      item.iconPath = new vscode.ThemeIcon('debug-start');
      tip.appendMarkdown(vscode.l10n.t('Hits that ran before the first command of the log (QEMU starting up, or a command the log does not show).'));
    } else {
      item.iconPath = new vscode.ThemeIcon(this.grouping === 'caller' ? 'symbol-function' : this.grouping === 'thread' ? 'server-process' : 'debug-breakpoint');
      tip.appendText(g.label);
    }
    if (g.hits.length > 0) tip.appendMarkdown(`\n\n${vscode.l10n.t('Hits {0}.', formatRanges(g.hits.map((h) => h.index)))}`);
    item.tooltip = tip;
    return item;
  }

  private hitItem(node: HitNode): vscode.TreeItem {
    const h = node.hit;
    const fn = h.stop?.function ?? (h.kind === 'watchpoint' ? `watch ${h.watch?.expression ?? ''}` : 'hit');
    // every hit of a breakpoint has the same function and location: what it did tells them apart
    const did = this.shown ? this.store.blockGraphIfBuilt(this.shown.trace)?.changeAt(h.index)?.short : null;
    const item = new vscode.TreeItem(`#${h.index} ${did ?? fn}`, h.backtrace ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    const caller = callerOf(h);
    item.description = [did ? null : shortLocation(h.stop), caller ? `← ${caller}` : null, h.job ? `job ${h.job}` : null].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(h.kind === 'watchpoint' ? 'eye' : 'debug-breakpoint');
    item.contextValue = 'hit';
    // the tooltip is made on hover (resolveTreeItem): it waits briefly for the replayed graph
    return item;
  }

  private frameItem(node: FrameNode): vscode.TreeItem {
    const f = node.frame;
    const item = new vscode.TreeItem(`#${f.level} ${f.function || '??'}`, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = shortLocation(f) ?? '';
    item.iconPath = new vscode.ThemeIcon(f.library !== null ? 'library' : 'debug-stackframe-dot');
    item.contextValue = 'frame';
    item.tooltip = frameMarkdown(f);
    return item;
  }
}
