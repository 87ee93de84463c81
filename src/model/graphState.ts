// The replayed graph's state at one moment: nodes and edges, changed only by operations, so that a
// state is a checkpoint copy plus the operations of the hits after it (graph.ts replays them).

import type { ObjectIdentity } from './identities';
import type { NodeState, NodeType } from './graphView';

/** What a node is; shared by every state it appears in. */
export interface NodeRec {
  key: string;
  type: NodeType;
  address: string | null;
  /** What the rest of the extension knows about the pointer (name, driver, file), or null. */
  identity: ObjectIdentity | null;
  preExisting: boolean;
  /** For a placeholder: a few words on what it stands for. */
  placeholderLabel?: string;
  /** The hit whose operations created it (0: the initial state). */
  createdAt: number;
  /** The command (index into Trace.commands) that created it, when known. */
  createdIn?: number | null;
  /** For a job: its type as QEMU's query-block-jobs says it (commit, mirror, stream, backup). */
  jobType?: string | null;
}

/** What an edge is; its child is part of the state (moves change it). */
export interface EdgeRec {
  key: string;
  parent: string;
  name: string;
  perm: number | null;
  shared: number | null;
  role: number | null;
  /** The BdrvChild pointer: printed by 7.2+ at attach, learnt by 7.1 logs at detach. */
  address: string | null;
  preExisting: boolean;
  /** The hit that attached it (0 for pre-existing edges). */
  hit: number;
}

export interface NodeEntry {
  rec: NodeRec;
  state: NodeState;
}
export interface EdgeEntry {
  rec: EdgeRec;
  child: string;
  /** When it got its current child: QEMU lists a node's parents newest first. */
  seq: number;
}

export type Op =
  | { op: 'node'; rec: NodeRec; state: NodeState }
  | { op: 'state'; key: string; state: NodeState }
  | { op: 'dropNode'; key: string }
  | { op: 'edge'; rec: EdgeRec; child: string; seq: number }
  | { op: 'move'; key: string; to: string; seq: number }
  | { op: 'dropEdge'; key: string };

export class State {
  nodes = new Map<string, NodeEntry>();
  edges = new Map<string, EdgeEntry>();
  /**
   * The keys of the edges from each node (to its children) and to each node (from its parents), for
   * the state a replay works on: finding a node's edges by looking at every edge made the replay of
   * a long session's graph, thousands of nodes, grow with the square of its length. (Checkpoints,
   * only read, are copied without them.)
   */
  private readonly from: Map<string, Set<string>> | null;
  private readonly to: Map<string, Set<string>> | null;
  /** Each edge's place in the order of `edges` (which is the order edges were added in). */
  private readonly rank: Map<string, number> | null;
  private nextRank = 0;
  /** How many nodes are `probably-freed` (an indexed state only): most commands end with none, and are not looked through for them. */
  probablyFreed = 0;

  constructor(private readonly indexed = false) {
    this.from = indexed ? new Map() : null;
    this.to = indexed ? new Map() : null;
    this.rank = indexed ? new Map() : null;
  }

  clone(): State {
    const s = new State();
    for (const [k, v] of this.nodes) s.nodes.set(k, { rec: v.rec, state: v.state });
    for (const [k, v] of this.edges) s.edges.set(k, { rec: v.rec, child: v.child, seq: v.seq });
    return s;
  }

  /** The edges from node `key` to its children, in the order of `edges` (an indexed state only). */
  edgesFrom(key: string): EdgeEntry[] {
    return this.entries(this.from!.get(key));
  }

  /** The edges to node `key` from its parents, in the order of `edges` (an indexed state only). */
  edgesTo(key: string): EdgeEntry[] {
    return this.entries(this.to!.get(key));
  }

  /** Where edge `key` is in the order of `edges` (an indexed state only). */
  rankOf(key: string): number {
    return this.rank!.get(key)!;
  }

  /** Whether node `key` has a parent or a child (an indexed state only). */
  connected(key: string): boolean {
    return (this.from!.get(key)?.size ?? 0) > 0 || (this.to!.get(key)?.size ?? 0) > 0;
  }

  private entries(keys: Set<string> | undefined): EdgeEntry[] {
    if (keys === undefined || keys.size === 0) return [];
    const out: EdgeEntry[] = [];
    for (const k of keys) out.push(this.edges.get(k)!);
    // a move adds an edge to its new child's set last, where `edges` keeps it where it was
    if (out.length > 1) out.sort((a, b) => this.rank!.get(a.rec.key)! - this.rank!.get(b.rec.key)!);
    return out;
  }

  private link(index: Map<string, Set<string>> | null, node: string, edge: string): void {
    if (index === null) return;
    let set = index.get(node);
    if (set === undefined) index.set(node, (set = new Set()));
    set.add(edge);
  }

  private unlink(index: Map<string, Set<string>> | null, node: string, edge: string): void {
    const set = index?.get(node);
    if (set === undefined) return;
    set.delete(edge);
    if (set.size === 0) index!.delete(node);
  }

  apply(op: Op): void {
    switch (op.op) {
      case 'node':
        if (this.indexed) this.probablyFreed += freed(op.state) - freed(this.nodes.get(op.rec.key)?.state);
        this.nodes.set(op.rec.key, { rec: op.rec, state: op.state });
        break;
      case 'state': {
        const n = this.nodes.get(op.key);
        if (n) {
          if (this.indexed) this.probablyFreed += freed(op.state) - freed(n.state);
          n.state = op.state;
        }
        break;
      }
      case 'dropNode':
        if (this.indexed) this.probablyFreed -= freed(this.nodes.get(op.key)?.state);
        this.nodes.delete(op.key);
        break;
      case 'edge': {
        const old = this.edges.get(op.rec.key);
        if (old) {
          this.unlink(this.from, old.rec.parent, op.rec.key);
          this.unlink(this.to, old.child, op.rec.key);
        } else {
          this.rank?.set(op.rec.key, this.nextRank++);
        }
        this.edges.set(op.rec.key, { rec: op.rec, child: op.child, seq: op.seq });
        this.link(this.from, op.rec.parent, op.rec.key);
        this.link(this.to, op.child, op.rec.key);
        break;
      }
      case 'move': {
        const e = this.edges.get(op.key);
        if (e) {
          this.unlink(this.to, e.child, op.key);
          e.child = op.to;
          e.seq = op.seq;
          this.link(this.to, op.to, op.key);
        }
        break;
      }
      case 'dropEdge': {
        const e = this.edges.get(op.key);
        if (e) {
          this.unlink(this.from, e.rec.parent, op.key);
          this.unlink(this.to, e.child, op.key);
          this.rank?.delete(op.key);
        }
        this.edges.delete(op.key);
        break;
      }
    }
  }
}

const freed = (state: NodeState | undefined) => (state === 'probably-freed' ? 1 : 0);
