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

  clone(): State {
    const s = new State();
    for (const [k, v] of this.nodes) s.nodes.set(k, { rec: v.rec, state: v.state });
    for (const [k, v] of this.edges) s.edges.set(k, { rec: v.rec, child: v.child, seq: v.seq });
    return s;
  }

  apply(op: Op): void {
    switch (op.op) {
      case 'node':
        this.nodes.set(op.rec.key, { rec: op.rec, state: op.state });
        break;
      case 'state': {
        const n = this.nodes.get(op.key);
        if (n) n.state = op.state;
        break;
      }
      case 'dropNode':
        this.nodes.delete(op.key);
        break;
      case 'edge':
        this.edges.set(op.rec.key, { rec: op.rec, child: op.child, seq: op.seq });
        break;
      case 'move': {
        const e = this.edges.get(op.key);
        if (e) {
          e.child = op.to;
          e.seq = op.seq;
        }
        break;
      }
      case 'dropEdge':
        this.edges.delete(op.key);
        break;
    }
  }
}
