// The Hits tree: groups (commands, callers, threads, breakpoints) → hits → frames, with the
// event-loop plumbing that ends every stack folded into one node. Children are built on expand.

import * as vscode from 'vscode';
import type { Frame } from '../model/frames';
import { callerOf, groupHits, hitMatches, hitsOfNamedObjects, inferredBecause, plumbingStart, shortLocation, type Grouping, type HitGroup } from '../model/hitGroups';
import { commandLabel, formatRanges } from '../model/summary';
import { escapeMarkdown, frameMarkdown } from '../editor/markdown';
import type { TraceStore } from '../traceStore';
import type { Hit, Trace } from '../model/trace';

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

export class FrameNode {
  readonly type = 'frame';
  constructor(
    readonly hit: Hit,
    readonly frame: Frame,
    readonly parent: HitNode | PlumbingNode,
    readonly id: string,
  ) {}
}

export class PlumbingNode {
  readonly type = 'plumbing';
  constructor(
    readonly hit: Hit,
    readonly frames: Frame[],
    readonly parent: HitNode,
    readonly id: string,
  ) {}
}

export type HitsTreeNode = GroupNode | HitNode | FrameNode | PlumbingNode;

/**
 * A trace the tree can show: an open document, or a log read from disk because it is larger than
 * VS Code hands to extensions (50 MB), which has a file but no document.
 */
export interface TraceSource {
  uri: vscode.Uri;
  document: vscode.TextDocument | undefined;
  trace: Trace;
}

/** What the tree shows: one trace, grouped and filtered. */
interface Shown {
  source: TraceSource;
  trace: Trace;
  roots: (GroupNode | HitNode)[];
  /** The node of each hit (by index) that is listed, built on first use. */
  hitNodes: Map<number, HitNode>;
  groupOf: Map<number, GroupNode | undefined>;
  listed: number;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export class HitsTreeProvider implements vscode.TreeDataProvider<HitsTreeNode> {
  private readonly changed = new vscode.EventEmitter<HitsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private shown: Shown | undefined;
  /** Hits that print a pointer of an object the filter names, for one trace and filter. */
  private named: { trace: Trace; filter: string; hits: Set<number> } | undefined;
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
    return this.matchObjectNames();
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
    if (this.shown !== shown || this.filter !== filter) return;
    this.named = { trace: shown.trace, filter, hits: hitsOfNamedObjects(shown.trace, ids, filter) };
    if (this.named.hits.size > 0) this.rebuild();
  }

  private rebuild(): void {
    if (this.shown) this.shown = this.build(this.shown.source);
    this.refreshedAt = Date.now();
    this.changed.fire(undefined);
  }

  private build(source: TraceSource): Shown {
    const trace = source.trace;
    const named = this.named?.trace === trace && this.named.filter === this.filter ? this.named.hits : undefined;
    const hits = this.filter === '' ? trace.hits : trace.hits.filter((h) => named?.has(h.index) || hitMatches(trace, h, this.filter));
    const groupOf = new Map<number, GroupNode | undefined>();
    const shown: Shown = { source, trace, roots: [], hitNodes: new Map(), groupOf, listed: hits.length };
    if (this.grouping === 'flat') {
      shown.roots = hits.map((h) => this.hitNode(shown, h, undefined));
      return shown;
    }
    const groups = groupHits(trace, this.grouping, hits).map((g) => new GroupNode(g, `${this.grouping}:${g.key}`));
    for (const g of groups) for (const h of g.group.hits) groupOf.set(h.index, g);
    shown.roots = groups;
    return shown;
  }

  private hitNode(shown: Shown, hit: Hit, parent: GroupNode | undefined): HitNode {
    let node = shown.hitNodes.get(hit.index);
    if (!node) {
      node = new HitNode(hit, parent, `${parent?.id ?? 'flat'}/hit:${hit.index}`);
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
      case 'hit': {
        const frames = node.hit.frames;
        const cut = plumbingStart(frames);
        const visible = frames.slice(0, cut).map((f) => new FrameNode(node.hit, f, node, `${node.id}/f${f.level}`));
        if (cut >= frames.length) return visible;
        return [...visible, new PlumbingNode(node.hit, frames.slice(cut), node, `${node.id}/plumbing`)];
      }
      case 'plumbing':
        return node.frames.map((f) => new FrameNode(node.hit, f, node, `${node.id}/f${f.level}`));
      case 'frame':
        return [];
    }
  }

  getParent(node: HitsTreeNode): HitsTreeNode | undefined {
    return node.type === 'group' ? undefined : node.parent;
  }

  /** A hit's tooltip, made on hover: where it stopped, and what it did to the block graph when the replay is at hand. */
  async resolveTreeItem(item: vscode.TreeItem, node: HitsTreeNode, token: vscode.CancellationToken): Promise<vscode.TreeItem> {
    const source = this.source;
    if (node.type !== 'hit') return item;
    const h = node.hit;
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**Hit #${h.index}** of ${h.kind} ${h.breakpoint}${h.thread ? `, thread ${h.thread.number}${h.thread.name ? ` "${h.thread.name}"` : ''}` : ''}, log line ${h.line + 1}`);
    if (h.source) tip.appendCodeblock(`${h.source.number}\t${h.source.text}`, 'c');
    if (h.watch) tip.appendMarkdown(`\n\nOld value = \`${h.watch.old ?? '?'}\`, new value = \`${h.watch.new ?? '?'}\``);
    if (h.job) tip.appendMarkdown(`\n\nRuns for job \`${h.job}\`.`);
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
        const item = new vscode.TreeItem(`… ${node.frames.length} event-loop frames`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon('fold');
        item.tooltip = node.frames.map((f) => `#${f.level} ${f.function || '??'}`).join('\n');
        item.contextValue = 'plumbing';
        return item;
      }
      case 'frame':
        return this.frameItem(node);
    }
  }

  private groupItem(node: GroupNode): vscode.TreeItem {
    const g = node.group;
    const item = new vscode.TreeItem(g.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = node.id;
    item.description = plural(g.hits.length, 'hit');
    item.contextValue = 'group';
    const cmd = g.command;
    const tip = new vscode.MarkdownString();
    if (cmd) {
      item.iconPath = new vscode.ThemeIcon(cmd.origin === 'inferred' ? 'lightbulb' : 'terminal');
      tip.appendCodeblock(cmd.text ?? commandLabel(cmd), 'text');
      const why = inferredBecause(cmd);
      tip.appendMarkdown(why ? `**Inferred.** ${why}` : `Typed at line ${(cmd.line ?? 0) + 1} (${cmd.origin}).`);
    } else if (cmd === null) {
      item.iconPath = new vscode.ThemeIcon('debug-start');
      tip.appendMarkdown('Hits that ran before the first command of the log (QEMU starting up, or a command the log does not show).');
    } else {
      item.iconPath = new vscode.ThemeIcon(this.grouping === 'caller' ? 'symbol-function' : this.grouping === 'thread' ? 'server-process' : 'debug-breakpoint');
      tip.appendText(g.label);
    }
    if (g.hits.length > 0) tip.appendMarkdown(`\n\nHits ${formatRanges(g.hits.map((h) => h.index))}.`);
    item.tooltip = tip;
    return item;
  }

  private hitItem(node: HitNode): vscode.TreeItem {
    const h = node.hit;
    const fn = h.stop?.function ?? (h.kind === 'watchpoint' ? `watch ${h.watch?.expression ?? ''}` : 'hit');
    const item = new vscode.TreeItem(`#${h.index} ${fn}`, h.backtrace ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    // every hit of a breakpoint has the same label and location: the caller tells them apart
    const caller = callerOf(h);
    item.description = [shortLocation(h.stop), caller ? `← ${caller}` : null, h.job ? `job ${h.job}` : null].filter(Boolean).join(' · ');
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
