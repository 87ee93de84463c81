// The replay of a trace's hits (design.md §5): each `bdrv_replace_child_noperm` hit turned into a
// few operations on the graph and the change it made, in one pass. BlockGraph (graph.ts) takes
// what it made and keeps the state at any hit.
//
// Every hit of that function attaches a new edge (BdrvChild), moves an edge to another node, or
// detaches one. Which, and which edge, is told by the frames above it; QEMU 7.2+ also prints the
// edge pointer itself (`child=`). Each handler returns the change its hit made.
//
// Objects that existed before the log began (a guest device's BlockBackend, its root edge, the node
// it pointed at) are known only when a hit first moves or detaches them: the replay collects them
// apart (`initial`), so the graph shows them from hit 1 on, marked pre-existing.

import type { Frame } from './frames';
import { partitionPoint } from './columns';
import { basename } from './paths';
import { DeclaredNodes } from './commandObjects';
import { type Identities, type ObjectIdentity } from './identities';
import { unescapeC } from './lines';
import type { Hit, Trace } from './trace';
import { State, type EdgeEntry, type EdgeRec, type NodeRec, type Op } from './graphState';
import { type ChangeKind, type NodeType } from './graphView';

/** One step of a transaction: what its abort would undo. */
interface TranEntry {
  kind: 'attach' | 'move' | 'detach';
  edge: string;
  /** The node the edge pointed at before (moves and detaches). */
  from: string | null;
  undone: boolean;
  /** A detached edge, to put back. */
  rec?: EdgeRec;
}

/** What one hit did to the graph. */
export interface HitChange {
  kind: ChangeKind;
  /** In words: `attach over01 —backing→ drive01`. */
  explanation: string;
  /** For lists, where many hits stand one under another: `root: drive01 → over01`, `+ over01 —backing→ drive01`; null when nothing changed. */
  short: string | null;
  added: string[];
  moved: { edge: string; from: string; to: string }[];
  removed: { rec: EdgeRec; child: string }[];
}

const ptr = (f: Frame | undefined, name: string): string | null => {
  const p = f?.argValue(name)?.pointer;
  return p === undefined || p === '0x0' ? null : p;
};
const num = (f: Frame | undefined, name: string): number | null => {
  const v = f?.argValue(name)?.value;
  if (v === undefined || !/^-?\d+$/.test(v)) return null;
  return Number(v);
};
const str = (f: Frame | undefined, name: string): string | null => {
  const t = f?.argValue(name)?.text;
  return t === undefined ? null : unescapeC(t);
};

// Which job a stack is creating, by the function that starts it (an active commit runs on the
// mirror code but is a commit job).
const JOB_STARTS: readonly [string, string][] = [
  ['commit_active_start', 'commit'],
  ['commit_start', 'commit'],
  ['stream_start', 'stream'],
  ['backup_job_create', 'backup'],
  ['mirror_start', 'mirror'],
  ['qmp_blockdev_mirror', 'mirror'],
  ['qmp_drive_mirror', 'mirror'],
  ['qmp_block_commit', 'commit'],
];

function jobType(frames: readonly Frame[]): string | null {
  for (const [fn, type] of JOB_STARTS) if (frames.some((f) => f.function === fn)) return type;
  return null;
}

/** Callers of bdrv_root_unref_child, and the argument naming whose edge goes. */
const DETACH_OWNER: Readonly<Record<string, string>> = {
  blk_remove_bs: 'blk',
  bdrv_unref_child: 'parent',
  block_job_remove_all_bdrv: 'job',
};

/** Frames whose code holds a reference to the node it opens or creates while it runs. */
const HOLDS_ITS_NODE = /^(?:bdrv_open_inherit|bdrv_open_common|bdrv_open_driver|bdrv_co_create\w*|bdrv_create\w*|\w+_co_create(?:_opts)?)$/;

/** A change made while a transaction is being aborted undoes part of it: a rollback. */
function kindUnder<K extends 'detach' | 'move'>(frames: readonly Frame[], kind: K): K | 'rollback' {
  return frames.some((f) => f.function === 'tran_abort') ? 'rollback' : kind;
}

/** Names made up for an unnamed job filter (identities.ts) are drivers, not names a user gave. */
function userNamed(rec: NodeRec): boolean {
  const id = rec.identity;
  return !!id?.name && !id.name.startsWith('#') && id.name !== id.driver;
}

/** One call of a function, as a stack prints it: the same invocation prints the same arguments in every hit it causes. */
function invocation(f: Frame): string {
  return `${f.function}(${f.argsText})`;
}

export function nodeLabel(rec: NodeRec): string {
  if (rec.placeholderLabel) return rec.placeholderLabel;
  const id = rec.identity;
  if (rec.type === 'block-job') return id?.name ? `job ${id.name}` : `job ${rec.address}`;
  if (id?.name) return id.name;
  if (rec.type === 'block-backend') return `BlockBackend ${rec.address}`;
  if (id?.filename) return `${basename(id.filename)} (${rec.address})`;
  return rec.address ?? '?';
}

/** What the replay made: the graph's history, hit by hit. */
export interface Replayed {
  /** What each hit changed. */
  changes: HitChange[];
  /** Each hit's operations: first those before it stopped (`prologue` of them), then its change. */
  ops: Op[][];
  /** What existed before the log began. */
  initial: Op[];
  prologue: number[];
  /** Every node record made, by key: removed edges are drawn with nodes that are gone. */
  recs: Map<string, NodeRec>;
  /** Nodes added by a command that no hit showed, placed at the first hit after it (and known to the command view). */
  added: { command: number; atHit: number; op: Op }[];
}

function noChange(explanation: string, kind: ChangeKind = 'none'): HitChange {
  return { kind, explanation, short: null, added: [], moved: [], removed: [] };
}

/** Replays hits one by one, in the log's order (`replayHit`), then gives what it made (`end`). */
export class Replayer {
  private readonly changes: HitChange[] = [];
  private readonly ops: Op[][] = [];
  private readonly initial: Op[] = [];
  /** For each hit, how many of its operations happened before it stopped (the rest are its change). */
  private readonly prologue: number[] = [];
  /** The graph as the replay has it. */
  private w = new State(true);
  private seq = 0;
  private edgeCount = 0;
  private placeholders = 0;
  /** Whether QEMU's answer seeded a node (seedFromQemu). */
  private seeded = false;
  /** Every node record made, by key: removed edges are drawn with nodes that are gone. */
  private readonly recs = new Map<string, NodeRec>();
  private readonly nodeAt = new Map<string, string>();
  private readonly edgeAt = new Map<string, string>();
  /** What each transaction did, newest last, so that its abort can be undone step by step. */
  private readonly trans = new Map<string, TranEntry[]>();
  private lastCommand: number | null | undefined = undefined;
  private cur: Op[] = [];

  private declared: DeclaredNodes | undefined;
  /** Hits whose stack deletes a node from bdrv_schedule_unref's bottom half, by that node (read on first need). */
  private scheduledUnrefs: Map<string, Hit[]> | undefined;
  /** Nodes the code opening or creating them still holds, with that code's frames (function and arguments: one invocation). */
  private readonly held = new Map<string, Set<string>>();
  /** User-named nodes whose monitor reference QEMU dropped while shutting down (blockdev_close_all_bdrv_states). */
  private readonly monitorReleased = new Set<string>();
  /** Commands up to this index were looked at for QEMU's answers to seed from. */
  private seededUpTo = -1;
  /** Nodes added by a command that no hit showed, placed at the first hit after it (and known to the command view). */
  private readonly added: { command: number; atHit: number; op: Op }[] = [];
  /** The command the hits are in, since which hit, and whether it rolled something back. */
  private cmd: { index: number | null; firstHit: number; rolledBack: boolean; topDeleted?: boolean } | null = null;

  constructor(
    private readonly trace: Trace,
    private readonly ids: Identities | null,
  ) {}

  /** The log is over: what the replay made. */
  end(): Replayed {
    this.seedFromQemu(this.trace.commands.length - 1);
    this.endCommand();
    // the working state is no longer needed
    this.w = new State(true);
    this.nodeAt.clear();
    this.edgeAt.clear();
    this.trans.clear();
    return { changes: this.changes, ops: this.ops, initial: this.initial, prologue: this.prologue, recs: this.recs, added: this.added };
  }

  /** Nodes named by `blockdev-del` commands after `since` and up to the one `hit` is in: deleted, when nothing holds them. */
  private deletedByCommands(since: number | null, hit: Hit): void {
    if (hit.command === null) return;
    for (let c = (since ?? -1) + 1; c <= hit.command; c++) {
      const cmd = this.trace.commands[c];
      if (cmd?.name !== 'blockdev-del' || typeof cmd.arguments['node-name'] !== 'string') continue;
      // refused (the node is in use): it stays
      if (cmd.reply && 'error' in cmd.reply) continue;
      if (c === hit.command) continue; // its own hits show the deletion
      const name = cmd.arguments['node-name'];
      for (const n of [...this.w.nodes.values()]) {
        if (n.rec.type !== 'block-driver' || n.rec.identity?.name !== name) continue;
        if (this.w.connected(n.rec.key)) continue;
        const op: Op = { op: 'dropNode', key: n.rec.key };
        this.dropNode(n.rec.key);
        this.added.push({ command: c, atHit: hit.index, op });
      }
    }
  }

  private emit(op: Op): void {
    this.w.apply(op);
    this.cur.push(op);
  }

  /** An operation of this hit, or, for what existed before the log, of the initial state. */
  private emitAt(op: Op, initial: boolean): void {
    if (!initial) return this.emit(op);
    this.w.apply(op);
    this.initial.push(op);
  }

  /**
   * The hits of a command are over. A command that failed (QEMU's reply is an error, or its hits
   * rolled something back) leaves nothing behind that it created: its new nodes are gone when it
   * ends, in the state after its last hit.
   */
  private endCommand(): void {
    const c = this.cmd;
    this.cmd = null;
    if (!c || this.ops.length === 0) return;
    if (this.held.size > 0) {
      const saved = this.cur;
      this.cur = this.ops[this.ops.length - 1];
      this.releaseHeld();
      this.cur = saved;
    }
    const reply = c.index === null ? null : this.trace.commands[c.index]?.reply;
    // failed: QEMU said so; or, where the log has no reply, the command's hits rolled back (hits
    // before any command are no command: their rollbacks undo themselves, nothing more)
    const failed = reply ? 'error' in reply : (c.rolledBack || c.topDeleted) && c.index !== null;
    if (c.index !== null && this.trace.commands[c.index]?.name === 'quit') {
      // QEMU exits: what is left is freed with it
      const last = this.ops[this.ops.length - 1];
      const saved = this.cur;
      this.cur = last;
      for (const n of [...this.w.nodes.values()]) this.dropNode(n.rec.key);
      this.cur = saved;
      return;
    }
    if (!failed) return;
    const last = this.ops[this.ops.length - 1];
    const saved = this.cur;
    this.cur = last;
    const gone: string[] = [];
    for (const n of [...this.w.nodes.values()]) {
      // what the command's hits show it created (the identities tell; without them, what it showed first)
      const made = n.rec.identity ? n.rec.identity.createdIn === c.index : n.rec.createdIn === c.index && n.rec.createdAt >= c.firstHit;
      if (made && !n.rec.preExisting) {
        gone.push(this.label(n.rec.key));
        this.dropNode(n.rec.key);
      }
    }
    this.cur = saved;
    if (gone.length > 0) {
      const change = this.changes[this.changes.length - 1];
      change.explanation += `; the command failed, so what it created is freed: ${gone.join(', ')}`;
    }
  }

  /**
   * QEMU's answers in the log (`x-debug-query-block-graph`) seed the replay with what no hit can
   * show: a child edge of a node the replay knows, to a node whose address the log never prints (a
   * protocol node opened before the log began). The seed is a placeholder, there from when its
   * parent is, so the graph shows what QEMU said.
   */
  private seedFromQemu(upTo: number): void {
    for (; this.seededUpTo < upTo; this.seededUpTo++) {
      const cmd = this.trace.commands[this.seededUpTo + 1];
      if (cmd?.name !== 'x-debug-query-block-graph' || !cmd.reply || !('return' in cmd.reply)) continue;
      const ret = cmd.reply.return as { nodes?: { id: number; type: string; name: string }[]; edges?: { parent: number; child: number; name: string }[] } | null;
      if (!ret || !Array.isArray(ret.nodes) || !Array.isArray(ret.edges)) continue;
      const byId = new Map(ret.nodes.map((n) => [n.id, n]));
      const named = (name: string) => [...this.w.nodes.values()].find((n) => n.rec.type === 'block-driver' && (n.rec.identity?.name === name || n.rec.placeholderLabel === name));
      for (const e of ret.edges) {
        const parent = byId.get(e.parent);
        const child = byId.get(e.child);
        if (parent?.type !== 'block-driver' || child?.type !== 'block-driver' || !parent.name || !child.name) continue;
        const p = named(parent.name);
        if (!p || named(child.name)) continue;
        if (this.w.edgesFrom(p.rec.key).some((x) => x.rec.name === e.name)) continue;
        const initial = p.rec.createdAt === 0;
        this.seeded = true;
        const rec: NodeRec = { key: `seed#${++this.placeholders}`, type: 'block-driver', address: null, identity: null, preExisting: initial, placeholderLabel: child.name, createdAt: initial ? 0 : p.rec.createdAt };
        this.recs.set(rec.key, rec);
        const edge: EdgeRec = { key: `e${++this.edgeCount}`, parent: p.rec.key, name: e.name, perm: null, shared: null, role: null, address: null, preExisting: initial, hit: initial ? 0 : p.rec.createdAt };
        const ops: Op[] = [
          { op: 'node', rec, state: 'placeholder' },
          { op: 'edge', rec: edge, child: rec.key, seq: -2_000_000 + this.placeholders },
        ];
        for (const op of ops) {
          this.w.apply(op);
          (initial ? this.initial : this.ops[p.rec.createdAt - 1]).push(op);
        }
      }
    }
  }

  /** Replay the next hit (in the log's order). */
  replayHit(hit: Hit): void {
    // QEMU's answers typed before this hit
    if (hit.command !== null) this.seedFromQemu(hit.command);
    if (this.cmd && this.cmd.index !== hit.command) this.endCommand();
    this.cmd ??= { index: hit.command, firstHit: hit.index, rolledBack: false };
    this.cur = [];
    if (hit.command !== this.lastCommand) {
      // nodes that lost their last parent during the previous command are gone by now
      if (this.lastCommand !== undefined && this.w.probablyFreed > 0) for (const n of [...this.w.nodes.values()]) if (n.state === 'probably-freed') this.dropNode(n.rec.key);
      // and nodes the commands since then deleted by name (blockdev-del of a node with no edges makes no hit)
      this.deletedByCommands(this.lastCommand ?? null, hit);
      this.lastCommand = hit.command;
    }
    // What happened before this hit stopped: a node whose deletion is on the stack (bdrv_delete takes
    // it off QEMU's lists before it closes it, edge by edge) is no longer live.
    for (const f of hit.frames) {
      if (f.function !== 'bdrv_delete') continue;
      const bs = ptr(f, 'bs');
      const key = bs ? this.nodeAt.get(bs) : undefined;
      if (key && this.w.nodes.get(key)?.state === 'live') this.emit({ op: 'state', key, state: 'probably-freed' });
    }
    this.shutdownReleases(hit.frames);
    this.releaseFinishedHolders(hit.frames);
    this.prologue.push(this.cur.length);
    let change: HitChange;
    try {
      change = this.classify(hit);
    } catch (e) {
      // a log this code does not understand must not stop the replay
      change = noChange(`no graph change: could not read this hit (${(e as Error).message})`, 'unrecognised');
    }
    if (change.kind === 'rollback') this.cmd.rolledBack = true;
    this.changes.push(change);
    this.ops.push(this.cur);
  }

  /** What the hit did (its operations go to `cur`). */
  private classify(hit: Hit): HitChange {
    const frames = hit.frames;
    const f0 = frames[0];
    const stopFn = f0?.function ?? hit.stop?.function ?? null;
    if (stopFn !== 'bdrv_replace_child_noperm') return noChange(`no graph change: ${stopFn ? `stopped in ${stopFn}` : 'no backtrace'}${hit.breakpoint ? ` (breakpoint ${hit.breakpoint})` : ''}`);
    if (!f0) return noChange('no graph change known: the hit has no backtrace to tell what it did', 'unrecognised');
    const newBs = ptr(f0, 'new_bs');
    // QEMU 7.2+: `child` is the BdrvChild itself; 7.1 prints `childp`, a pointer to a pointer
    const edgePtr = f0.argValue('childp') === undefined ? ptr(f0, 'child') : null;
    const f1 = frames[1];
    const fn1 = f1?.function ?? '';
    const unrecognised = (why: string) => noChange(`no graph change known: ${why}`, 'unrecognised');
    switch (fn1) {
      case 'bdrv_attach_child_common':
        return this.attach(hit, frames, newBs, edgePtr);
      case 'bdrv_attach_child_common_abort': {
        const e = this.edgeByPtr(edgePtr) ?? this.fromTran(frames, 'attach', null);
        if (!e) return unrecognised('a rolled-back attach of an edge this log never attached');
        return this.detach(e, frames, 'rollback');
      }
      case 'bdrv_replace_child_abort': {
        const back = newBs ? this.node(newBs, 'block-driver', hit) : null;
        const e = this.edgeByPtr(edgePtr) ?? this.fromTran(frames, 'move', back);
        const reattached = !e && back ? this.reattach(frames, edgePtr, back) : null;
        if (reattached) return reattached;
        if (!e) return unrecognised('a rolled-back move of an edge this log never moved');
        if (!back) return this.detach(e, frames, 'rollback');
        return this.move(e, back, 'rollback');
      }
      case 'bdrv_replace_child_tran':
        return this.replaceChildTran(hit, frames, newBs, edgePtr, unrecognised);
      case 'bdrv_detach_child':
      case 'bdrv_root_unref_child': {
        const at = fn1 === 'bdrv_root_unref_child' ? 1 : 2;
        if (frames[at]?.function !== 'bdrv_root_unref_child') {
          if (this.edgeByPtr(edgePtr)) break;
          return unrecognised(`a detach whose edge is not printed: frame #2 is ${frames[2]?.function || 'missing'}, not bdrv_root_unref_child`);
        }
        const p = edgePtr ?? ptr(frames[at], 'child');
        const e = this.edgeByPtr(p) ?? this.edgeByCaller(frames[at + 1], p) ?? this.placeholderEdge(frames[at + 1]);
        if (e) this.adoptPlaceholder(e, frames[at + 1], hit);
        if (!e) return unrecognised(`a detach of an edge this log never showed attached${frames[at + 1] ? ` (from ${frames[at + 1].function})` : ''}`);
        if (p) this.learnAddress(e, p);
        return this.detach(e, frames, kindUnder(frames, 'detach'));
      }
      default:
        break;
    }
    // a caller this code does not know: only a printed edge pointer tells what happened
    const e = this.edgeByPtr(edgePtr);
    if (e) {
      if (newBs === null) return this.detach(e, frames, kindUnder(frames, 'detach'));
      return this.move(e, this.node(newBs, 'block-driver', hit), kindUnder(frames, 'move'));
    }
    return unrecognised(`bdrv_replace_child_noperm called from ${fn1 || 'an unknown caller'}`);
  }

  private attach(hit: Hit, frames: Frame[], newBs: string | null, edgePtr: string | null): HitChange {
    const f1 = frames[1];
    const childBs = ptr(f1, 'child_bs') ?? newBs;
    const name = str(f1, 'child_name');
    const cls = f1.argValue('child_class')?.symbol ?? null;
    const opaque = ptr(f1, 'opaque');
    if (!childBs || name === null || !opaque) return noChange('no graph change known: an attach whose child, name or parent is not printed', 'unrecognised');
    const parentType: NodeType = cls === 'child_root' ? 'block-backend' : cls === 'child_job' ? 'block-job' : 'block-driver';
    const stale = this.edgeByPtr(edgePtr);
    if (stale) this.dropEdge(stale);
    const parent = this.node(opaque, parentType, hit);
    const child = this.node(childBs, 'block-driver', hit);
    if (parentType === 'block-job') {
      const rec = this.w.nodes.get(parent)?.rec;
      if (rec && !rec.jobType) rec.jobType = jobType(frames);
    }
    const rec: EdgeRec = {
      key: `e${++this.edgeCount}`,
      parent,
      name,
      perm: num(f1, 'perm'),
      shared: num(f1, 'shared_perm'),
      role: num(f1, 'child_role'),
      address: edgePtr,
      preExisting: false,
      hit: hit.index,
    };
    this.emit({ op: 'edge', rec, child, seq: ++this.seq });
    if (edgePtr) this.edgeAt.set(edgePtr, rec.key);
    const tran = ptr(f1, 'tran');
    if (tran) this.logTran(tran, { kind: 'attach', edge: rec.key, from: null, undone: false });
    const words = `${this.label(parent)} —${name}→ ${this.label(child)}`;
    return { kind: 'attach', explanation: `attach ${words}`, short: `+ ${words}`, added: [rec.key], moved: [], removed: [] };
  }

  private replaceChildTran(hit: Hit, frames: Frame[], newBs: string | null, edgePtr: string | null, unrecognised: (why: string) => HitChange): HitChange {
    const f2 = frames[2];
    const fn2 = f2?.function ?? '';
    const tran = ptr(frames[1], 'tran');
    if (fn2 === 'bdrv_replace_node_noperm') {
      const from = ptr(f2, 'from');
      const to = ptr(f2, 'to') ?? newBs;
      if (!from || !to) return unrecognised('a node replacement whose nodes are not printed');
      const fromKey = this.node(from, 'block-driver', hit, true);
      const toKey = this.node(to, 'block-driver', hit);
      let e = this.edgeByPtr(edgePtr);
      if (!e && !edgePtr) e = this.nextParentToMove(fromKey, toKey);
      if (!e) e = this.unseenParentEdge(hit, fromKey, edgePtr);
      const oldChild = this.w.edges.get(e)!.child;
      const change = this.move(e, toKey, kindUnder(frames, 'move'), frames[3]?.function === 'bdrv_append' ? ' (bdrv_append)' : '');
      if (tran) this.logTran(tran, { kind: 'move', edge: e, from: oldChild, undone: false });
      return change;
    }
    if (fn2 === 'bdrv_remove_file_or_backing_child' || fn2 === 'bdrv_remove_child') {
      const p = edgePtr ?? ptr(f2, 'child');
      let e = this.edgeByPtr(p);
      if (!e) {
        const bs = ptr(f2, 'bs') ?? ptr(frames[3], 'parent_bs') ?? ptr(frames[3], 'bs');
        const owner = bs ? this.nodeAt.get(bs) : undefined;
        if (owner) {
          const isBacking = frames[3]?.argValue('is_backing')?.value;
          const names = isBacking === 'true' ? ['backing'] : isBacking === 'false' ? ['file'] : ['backing', 'file'];
          for (const n of names) {
            e = this.newestChildEdge(owner, (x) => x.rec.name === n && (x.rec.address === null || x.rec.address === p));
            if (e) break;
          }
        }
      }
      if (!e) return unrecognised('a detach of an edge this log never showed attached');
      if (p) this.learnAddress(e, p);
      const entry = this.w.edges.get(e)!;
      if (tran) this.logTran(tran, { kind: 'detach', edge: e, from: entry.child, undone: false, rec: entry.rec });
      return this.detach(e, frames, kindUnder(frames, 'detach'));
    }
    const e = this.edgeByPtr(edgePtr);
    if (!e) return unrecognised(`bdrv_replace_child_tran called from ${fn2 || 'an unknown caller'}`);
    if (newBs === null) return this.detach(e, frames, kindUnder(frames, 'detach'));
    return this.move(e, this.node(newBs, 'block-driver', hit), kindUnder(frames, 'move'));
  }

  /** bdrv_replace_node_noperm moves `from`'s parents newest first, but not job edges (they stay at their node) nor edges inside `to`'s own subtree. */
  private nextParentToMove(fromKey: string, toKey: string): string | undefined {
    const below = new Set<string>();
    const seen = new Set<string>([toKey]);
    const queue = [toKey];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const e of this.w.edgesFrom(v)) {
        below.add(e.rec.key);
        if (!seen.has(e.child)) {
          seen.add(e.child);
          queue.push(e.child);
        }
      }
    }
    let best: EdgeEntry | undefined;
    for (const e of this.w.edgesTo(fromKey)) {
      if (below.has(e.rec.key)) continue;
      if (this.w.nodes.get(e.rec.parent)?.rec.type === 'block-job') continue;
      if (!best || e.seq > best.seq) best = e;
    }
    return best?.rec.key;
  }

  /** A parent edge of `fromKey` that no hit showed: it existed before the log (a guest device's BlockBackend), or was made unseen. */
  private unseenParentEdge(hit: Hit, fromKey: string, edgePtr: string | null): string {
    const from = this.w.nodes.get(fromKey)!;
    // Every attach stops at the breakpoint, so an edge no hit showed predates the log, and so does
    // its node, unless the log showed that node being opened (then hits are missing: add it here).
    const before = from.rec.preExisting || !from.rec.identity?.driver;
    if (before && !from.rec.preExisting) this.promote(from.rec);
    const rec: NodeRec = {
      key: `placeholder#${++this.placeholders}`,
      type: 'block-backend',
      address: null,
      identity: null,
      preExisting: before,
      placeholderLabel: 'guest device',
      createdAt: before ? 0 : hit.index,
    };
    this.recs.set(rec.key, rec);
    const edge: EdgeRec = { key: `e${++this.edgeCount}`, parent: rec.key, name: 'root', perm: null, shared: null, role: null, address: edgePtr, preExisting: before, hit: before ? 0 : hit.index };
    const ops: Op[] = [
      { op: 'node', rec, state: 'placeholder' },
      { op: 'edge', rec: edge, child: fromKey, seq: before ? -1_000_000 + this.placeholders : ++this.seq },
    ];
    for (const op of ops) this.emitAt(op, before);
    if (edgePtr) this.edgeAt.set(edgePtr, edge.key);
    return edge.key;
  }

  /** A node first seen during the log turns out to have been there from the start. */
  private promote(rec: NodeRec): void {
    const list = rec.createdAt === this.ops.length + 1 ? this.cur : this.ops[rec.createdAt - 1];
    const at = list?.findIndex((op) => op.op === 'node' && op.rec === rec) ?? -1;
    if (at < 0) return;
    const [op] = list.splice(at, 1);
    // it was part of what that hit's stop saw
    const hitIndex = list === this.cur ? this.prologue.length - 1 : rec.createdAt - 1;
    if (at < (this.prologue[hitIndex] ?? 0)) this.prologue[hitIndex]--;
    this.initial.push(op);
    rec.preExisting = true;
    rec.createdAt = 0;
  }

  /**
   * `blk_remove_bs(blk=B)` of a BlockBackend the log never showed: when the only BlockBackend the
   * replay does not know the address of is a placeholder (the guest device, an export made before
   * the log), it is that one, and this is its root edge.
   */
  private placeholderEdge(caller: Frame | undefined): string | undefined {
    if (caller?.function !== 'blk_remove_bs') return undefined;
    const blk = ptr(caller, 'blk');
    if (!blk || this.nodeAt.has(blk)) return undefined;
    const open = [...this.w.nodes.values()].filter((n) => n.rec.placeholderLabel && n.rec.address === null);
    if (open.length !== 1) return undefined;
    return this.newestChildEdge(open[0].rec.key, (x) => x.rec.name === 'root');
  }

  /** A placeholder parent whose address the log shows at last is that object from the start: graph, hovers and highlights agree. */
  private adoptPlaceholder(edge: string, caller: Frame | undefined, hit: Hit): void {
    if (caller?.function !== 'blk_remove_bs') return;
    const blk = ptr(caller, 'blk');
    const parent = this.w.nodes.get(this.w.edges.get(edge)?.rec.parent ?? '');
    if (!blk || !parent?.rec.placeholderLabel || parent.rec.address !== null || this.nodeAt.has(blk)) return;
    parent.rec.address = blk;
    parent.rec.identity = this.ids?.at(blk, hit.endLine) ?? null;
    this.nodeAt.set(blk, parent.rec.key);
  }

  private edgeByPtr(p: string | null): string | undefined {
    if (!p) return undefined;
    const key = this.edgeAt.get(p);
    return key !== undefined && this.w.edges.has(key) ? key : undefined;
  }

  /**
   * 7.1 detaches: which edge, told by the function that dropped it and the owner it names. Each
   * takes the owner's newest edge: bdrv_close drops a node's children newest first, and a job's
   * list of nodes is built by prepending.
   */
  private edgeByCaller(caller: Frame | undefined, p: string | null): string | undefined {
    const arg = caller ? DETACH_OWNER[caller.function] : undefined;
    const address = arg ? ptr(caller, arg) : null;
    const owner = address ? this.nodeAt.get(address) : undefined;
    return owner ? this.newestChildEdge(owner, (x) => x.rec.address === null || x.rec.address === p) : undefined;
  }

  private newestChildEdge(parent: string, ok: (e: EdgeEntry) => boolean): string | undefined {
    let best: EdgeEntry | undefined;
    for (const e of this.w.edgesFrom(parent)) if (ok(e) && (!best || e.rec.hit > best.rec.hit || (e.rec.hit === best.rec.hit && e.rec.key > best.rec.key))) best = e;
    return best?.rec.key;
  }

  private learnAddress(edge: string, p: string): void {
    const e = this.w.edges.get(edge);
    if (!e || e.rec.address === p) return;
    if (e.rec.address === null) e.rec.address = p;
    this.edgeAt.set(p, edge);
  }

  private logTran(tran: string, entry: TranEntry): void {
    const list = this.trans.get(tran) ?? [];
    list.push(entry);
    this.trans.set(tran, list);
  }

  /** The latest attach or move of the transaction being aborted that is not undone yet. */
  private fromTran(frames: Frame[], kind: 'attach' | 'move', back: string | null): string | undefined {
    const t = this.tranEntry(frames, (x) => x.kind === kind && this.w.edges.has(x.edge) && (kind !== 'move' || back === null || x.from === back));
    return t?.edge;
  }

  /** The latest step of the transaction being aborted (frame `tran_abort`) that `ok` accepts and is not undone; marked undone. */
  private tranEntry(frames: Frame[], ok: (t: TranEntry) => boolean): TranEntry | undefined {
    const tran = ptr(
      frames.find((f) => f.function === 'tran_abort'),
      'tran',
    );
    const list = tran ? this.trans.get(tran) : undefined;
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i];
      if (t.undone || !ok(t)) continue;
      t.undone = true;
      return t;
    }
    return undefined;
  }

  /** Undo a detach of the transaction being aborted: the same edge, back on its node (null: none to undo). */
  private reattach(frames: Frame[], edgePtr: string | null, back: string): HitChange | null {
    const t = this.tranEntry(frames, (x) => x.kind === 'detach' && x.from === back && !this.w.edges.has(x.edge) && (edgePtr === null || x.rec?.address === null || x.rec?.address === edgePtr));
    if (!t?.rec || !this.w.nodes.has(t.rec.parent)) return null;
    this.emit({ op: 'edge', rec: t.rec, child: back, seq: ++this.seq });
    const address = edgePtr ?? t.rec.address;
    if (address) this.edgeAt.set(address, t.rec.key);
    const words = `${this.label(t.rec.parent)} —${t.rec.name}→ ${this.label(back)}`;
    return { kind: 'rollback', explanation: `rollback: reattach ${words}`, short: `↶ + ${words}`, added: [t.rec.key], moved: [], removed: [] };
  }

  private move(edge: string, to: string, kind: 'move' | 'rollback', note = ''): HitChange {
    const e = this.w.edges.get(edge)!;
    const from = e.child;
    if (from === to) return noChange(`no graph change: ${this.edgeWords(e.rec)} already points at ${this.label(to)}`);
    this.emit({ op: 'move', key: edge, to, seq: ++this.seq });
    this.orphaned(from);
    const what = `${this.label(e.rec.parent)} —${e.rec.name}→ moved from ${this.label(from)} to ${this.label(to)}${note}`;
    const short = `${e.rec.name}: ${this.label(from)} → ${this.label(to)}`;
    return { kind, explanation: kind === 'rollback' ? `rollback: ${what}` : what, short: kind === 'rollback' ? `↶ ${short}` : short, added: [], moved: [{ edge, from, to }], removed: [] };
  }

  private detach(edge: string, frames: Frame[], kind: 'detach' | 'rollback'): HitChange {
    const e = this.w.edges.get(edge)!;
    const removed = { rec: e.rec, child: e.child };
    const words = `${this.label(e.rec.parent)} —${e.rec.name}→ ${this.label(e.child)}`;
    this.dropEdge(edge);
    const gone: string[] = [];
    // the parent goes with its last edge when the stack is its deletion
    const parent = this.w.nodes.get(e.rec.parent);
    if (parent && parent.rec.address && this.w.edgesFrom(parent.rec.key).length === 0) {
      const a = parent.rec.address;
      const deleting = frames.some(
        (f) =>
          ((f.function === 'blk_delete' || f.function === 'blk_unref') && ptr(f, 'blk') === a) ||
          ((f.function === 'bdrv_close' || f.function === 'bdrv_delete') && ptr(f, 'bs') === a) ||
          (f.function === 'block_job_remove_all_bdrv' && ptr(f, 'job') === a),
      );
      if (deleting && this.w.edgesTo(parent.rec.key).length === 0) {
        gone.push(this.label(parent.rec.key));
        this.dropNode(parent.rec.key);
      }
    }
    this.orphaned(removed.child, frames);
    const what = `detach ${words}${gone.length > 0 ? `; ${gone.join(', ')} deleted` : ''}`;
    const short = `− ${words}`;
    return { kind, explanation: kind === 'rollback' ? `rollback: ${what}` : what, short: kind === 'rollback' ? `↶ ${short}` : short, added: [], moved: [], removed: [removed] };
  }

  /**
   * A node that lost its last parent is freed, unless the user named it (the monitor holds it), or
   * the code on the stack is still opening or creating it (bdrv_open_inherit probes a new node
   * through a BlockBackend of its own, image creation writes through one): then it is freed only if
   * its command ends without a parent for it.
   */
  private orphaned(key: string, frames: readonly Frame[] = []): void {
    const n = this.w.nodes.get(key);
    if (!n || n.state !== 'live' || n.rec.type !== 'block-driver') return;
    if (this.w.edgesTo(key).length > 0) return;
    if (userNamed(n.rec) && !this.monitorReleased.has(key)) return;
    // QEMU 8.2 and later drop a child's last reference in a bottom half when the graph is locked
    // (bdrv_schedule_unref): the node lives until a later hit shows that half deleting it
    if (n.rec.address && this.unrefScheduledLater(n.rec.address, n.rec.identity)) return;
    const holders = frames.filter((f) => HOLDS_ITS_NODE.test(f.function));
    if (holders.length > 0) {
      this.held.set(key, new Set(holders.map(invocation)));
      return;
    }
    this.emit({ op: 'state', key, state: 'probably-freed' });
  }

  /**
   * Whether a later hit of the same command shows the bottom half of `bdrv_schedule_unref` deleting
   * this node (bdrv_schedule_unref_bh, then bdrv_delete of it, on the stack), the same object at
   * `address`.
   */
  private unrefScheduledLater(address: string, identity: ObjectIdentity | null): boolean {
    if (this.scheduledUnrefs === undefined) {
      this.scheduledUnrefs = new Map();
      for (const h of this.trace.hits) {
        if (!h.backtrace?.calls('bdrv_schedule_unref_bh')) continue;
        const frames = h.frames;
        frames.forEach((f, i) => {
          const bs = f.function === 'bdrv_schedule_unref_bh' ? ptr(f, 'opaque') : undefined;
          const deletes = bs !== undefined && frames.slice(0, i).some((g) => g.function === 'bdrv_delete' && ptr(g, 'bs') === bs);
          if (!bs || !deletes) return;
          const hits = this.scheduledUnrefs!.get(bs);
          if (hits) hits.push(h);
          else this.scheduledUnrefs!.set(bs, [h]);
        });
      }
    }
    const now = this.changes.length + 1;
    const command = this.cmd?.index ?? null;
    return (this.scheduledUnrefs.get(address) ?? []).some((h) => h.index > now && h.command === command && (this.ids?.at(address, h.line) ?? null) === identity);
  }

  /**
   * At shutdown QEMU drops the monitor's reference of every node added by blockdev-add, in the order
   * they were added (blockdev_close_all_bdrv_states → bdrv_unref). A hit under it that unrefs node X
   * shows that every node added before X has lost that reference already: one without parents was
   * freed then, without a hit of its own (a protocol node has no children to detach).
   */
  private shutdownReleases(frames: readonly Frame[]): void {
    const at = frames.findIndex((f) => f.function === 'blockdev_close_all_bdrv_states');
    if (at <= 0 || frames[at - 1].function !== 'bdrv_unref') return;
    const x = ptr(frames[at - 1], 'bs');
    const xKey = x ? this.nodeAt.get(x) : undefined;
    const xRec = xKey ? this.w.nodes.get(xKey)?.rec : undefined;
    const xAdded = xRec ? (xRec.identity?.createdIn ?? xRec.createdIn ?? null) : null;
    if (xKey === undefined || xAdded === null) return;
    for (const n of [...this.w.nodes.values()]) {
      if (n.rec.type !== 'block-driver' || !userNamed(n.rec) || this.monitorReleased.has(n.rec.key)) continue;
      const added = n.rec.identity?.createdIn ?? n.rec.createdIn ?? null;
      if (n.rec.key !== xKey && (added === null || added >= xAdded)) continue;
      this.monitorReleased.add(n.rec.key);
      if (n.rec.key !== xKey) this.orphaned(n.rec.key);
    }
  }

  /** Nodes the code opening them still held when their last parent went: at their command's end, freed if still without one. */
  private releaseHeld(): void {
    const keys = [...this.held.keys()];
    this.held.clear();
    for (const key of keys) this.orphaned(key);
  }

  /**
   * Held nodes whose holder is done: when a hit's stack no longer runs the invocation that held a
   * node (image creation finished, the open returned), the node went with it unless it has a parent
   * by now. Before this hit stopped, so part of its prologue.
   */
  private releaseFinishedHolders(frames: readonly Frame[]): void {
    if (this.held.size === 0) return;
    // holders are frames of HOLDS_ITS_NODE functions (orphaned): only those can be one
    const running = new Set<string>();
    for (const f of frames) if (HOLDS_ITS_NODE.test(f.function)) running.add(invocation(f));
    for (const [key, holders] of [...this.held]) {
      if ([...holders].some((h) => running.has(h))) continue;
      this.held.delete(key);
      this.orphaned(key);
    }
  }

  private dropEdge(edge: string): void {
    const e = this.w.edges.get(edge);
    if (e?.rec.address && this.edgeAt.get(e.rec.address) === edge) this.edgeAt.delete(e.rec.address);
    this.emit({ op: 'dropEdge', key: edge });
  }

  private dropNode(key: string): void {
    const n = this.w.nodes.get(key);
    if (!n) return;
    // a blockdev-add whose own node goes in its own hits failed (a log without replies says no more)
    const cmd = this.cmd && this.cmd.index !== null ? this.trace.commands[this.cmd.index] : undefined;
    if (cmd?.name === 'blockdev-add' && (n.rec.identity?.createdIn ?? n.rec.createdIn) === this.cmd!.index && n.rec.identity?.name === cmd.arguments['node-name']) this.cmd!.topDeleted = true;
    // (in the order of the state's edges, as they were added)
    const edges = [...this.w.edgesFrom(key), ...this.w.edgesTo(key)].sort((a, b) => this.w.rankOf(a.rec.key) - this.w.rankOf(b.rec.key));
    for (const e of edges) if (this.w.edges.has(e.rec.key)) this.dropEdge(e.rec.key);
    if (n.rec.address && this.nodeAt.get(n.rec.address) === key) this.nodeAt.delete(n.rec.address);
    this.emit({ op: 'dropNode', key });
  }

  /**
   * The node at `address` as of this hit: the one in the graph, or a new one. With `preExisting`,
   * a node first seen here had been there since before the log (it is being moved away from).
   */
  private node(address: string, type: NodeType, hit: Hit, preExisting = false): string {
    const identity = this.ids?.at(address, hit.endLine) ?? null;
    const key = `${address}#${identity?.incarnation ?? 1}`;
    const have = this.w.nodes.get(key);
    if (have) {
      if (have.state === 'probably-freed') this.emit({ op: 'state', key, state: 'live' });
      return key;
    }
    // a node seeded from QEMU's answer, by name, whose address the log shows at last: the same node
    // (looked for only where QEMU's answer seeded nodes: a long session's graph has thousands)
    const seed = identity?.name && this.seeded ? [...this.w.nodes.values()].find((n) => n.rec.address === null && n.rec.key.startsWith('seed#') && n.rec.placeholderLabel === identity.name) : undefined;
    if (seed) {
      seed.rec.address = address;
      seed.rec.identity = identity;
      this.nodeAt.set(address, seed.rec.key);
      this.emit({ op: 'state', key: seed.rec.key, state: 'live' });
      return seed.rec.key;
    }
    const old = this.nodeAt.get(address);
    if (old !== undefined && old !== key) {
      // An object still holding edges was not freed (freeing takes its edges first, hit by hit):
      // the same object, whatever else the pointer's history suggests.
      const connected = this.w.connected(old);
      if (connected && this.w.nodes.get(old)?.rec.type === type) return old;
      // the address was freed and reused; the old object was gone before this hit stopped
      const before = this.cur.length;
      this.dropNode(old);
      const dropped = this.cur.splice(before);
      const at = this.prologue[this.prologue.length - 1];
      this.cur.splice(at, 0, ...dropped);
      this.prologue[this.prologue.length - 1] = at + dropped.length;
    }
    // a node the user added by name in an earlier command that no hit showed (a protocol node
    // has no edge yet): it is there from that command on
    const since = !preExisting && type === 'block-driver' ? this.addedEarlier(identity, hit) : null;
    const rec: NodeRec = { key, type, address, identity, preExisting, createdAt: preExisting ? 0 : (since?.atHit ?? hit.index), createdIn: preExisting ? null : (since?.command ?? hit.command) };
    this.recs.set(key, rec);
    if (since === null && preExisting) this.emitAt({ op: 'node', rec, state: 'live' }, true);
    else if (since === null) {
      // a node a hit prints existed when the hit stopped: part of what the stop sees
      const op: Op = { op: 'node', rec, state: 'live' };
      this.w.apply(op);
      this.cur.unshift(op);
      this.prologue[this.prologue.length - 1]++;
    } else {
      // in the hit view from the first hit after that command; in the command view from the command
      const op: Op = { op: 'node', rec, state: 'live' };
      this.w.apply(op);
      if (since.atHit === hit.index) {
        this.cur.unshift(op);
        this.prologue[this.prologue.length - 1]++;
      } else {
        this.ops[since.atHit - 1].unshift(op);
        this.prologue[since.atHit - 1]++;
      }
      this.added.push({ command: since.command, atHit: since.atHit, op });
    }
    this.nodeAt.set(address, key);
    return key;
  }

  /**
   * When a node first seen at `hit` was added by name by an earlier command: how many hits the log
   * holds before that command (the state it is in from then on), else null.
   */
  private addedEarlier(identity: ObjectIdentity | null, hit: Hit): { command: number; atHit: number } | null {
    const name = identity?.name;
    if (!name || hit.command === null) return null;
    this.declared ??= new DeclaredNodes(this.trace.commands);
    const d = this.declared.upTo(hit.command).get(name);
    if (!d || d.command >= hit.command) return null;
    const line = this.trace.commands[d.command].line;
    if (line === null) return null;
    // the first hit after that command (1-based): `before` hits come before its line
    const before = partitionPoint(this.trace.hits.length, (i) => this.trace.hits[i].line < line);
    return before + 1 <= hit.index ? { command: d.command, atHit: before + 1 } : null;
  }

  private label(key: string): string {
    const rec = this.w.nodes.get(key)?.rec ?? this.recs.get(key);
    return rec ? nodeLabel(rec) : key;
  }

  private edgeWords(rec: EdgeRec): string {
    return `${this.label(rec.parent)} —${rec.name}→`;
  }
}
