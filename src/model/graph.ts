// The block graph replayed from a trace (design.md §5): what each hit changed, and the state after
// any hit. The replay (replay.ts) turns each hit into a few operations; here they are applied once
// more, keeping a copy of the state every CHECKPOINT hits, or, once the graph is large, every time
// as many operations as the graph has nodes and edges have been applied (copies of a graph of
// thousands of nodes every 64 hits grew with the square of a long session), so the state at any
// hit is a copy plus a few hundred operations at most, or as many as the copy has entries.

import { partitionPoint } from './columns';
import { jobStateAt, type Identities } from './identities';
import type { Trace } from './trace';
import { State, type EdgeRec, type NodeRec } from './graphState';
import { permNames, roleNames, type GraphEdgeView, type GraphNodeView, type GraphView, type NodeState } from './graphView';
import { checkRecorded, type RecordedCheck } from './recorded';
import { nodeLabel, Replayer, type HitChange, type Replayed } from './replay';
import { betweenBatches, type Batches } from './work';


const CHECKPOINT = 64;

/** The replayed graph of a trace: what each hit changed, and the state after any hit. */
export class BlockGraph {
  private readonly checkpoints: State[] = [];
  /** The hit after which each checkpoint was taken (0: before the first), ascending. */
  private readonly checkpointHits: number[] = [];
  /** How many nodes the graph has after each hit (index 0: before the first). */
  private readonly nodesAfter: Uint32Array;

  /** `everyHit` keeps a copy of the state after each hit rather than a few (see build). */
  private constructor(
    private readonly replayed: Replayed,
    private readonly trace: Trace,
    private readonly ids: Identities | null,
    everyHit: boolean,
  ) {
    const ops = replayed.ops;
    const s = new State();
    for (const op of replayed.initial) s.apply(op);
    this.checkpoints.push(s.clone());
    this.checkpointHits.push(0);
    this.nodesAfter = new Uint32Array(ops.length + 1);
    this.nodesAfter[0] = s.nodes.size;
    let since = 0;
    for (let i = 0; i < ops.length; i++) {
      for (const op of ops[i]) s.apply(op);
      since += ops[i].length;
      this.nodesAfter[i + 1] = s.nodes.size;
      if (everyHit || (i + 1 - this.checkpointHits[this.checkpointHits.length - 1] >= CHECKPOINT && since >= s.nodes.size + s.edges.size)) {
        this.checkpoints.push(s.clone());
        this.checkpointHits.push(i + 1);
        since = 0;
      }
    }
  }

  /**
   * Replay at once (reads every backtrace). `everyHit` keeps a copy of the state after each hit
   * rather than a few: the reference the spaced copies are held to (tests).
   */
  static build(trace: Trace, ids: Identities | null, everyHit = false): BlockGraph {
    const r = new Replayer(trace, ids);
    for (const hit of trace.hits) r.replayHit(hit);
    return new BlockGraph(r.end(), trace, ids, everyHit);
  }

  /** Replay in batches that yield to the event loop between them (a large log takes seconds). */
  static async buildAsync(trace: Trace, ids: Identities | null, options: Batches = {}): Promise<BlockGraph> {
    const batch = options.batch ?? 500;
    const r = new Replayer(trace, ids);
    const total = trace.hits.length;
    for (let i = 0; i < total; i++) {
      r.replayHit(trace.hits[i]);
      if ((i + 1) % batch === 0 && i + 1 < total) await betweenBatches(options, i + 1, total);
    }
    return new BlockGraph(r.end(), trace, ids, false);
  }

  get hitCount(): number {
    return this.replayed.changes.length;
  }

  /** What hit `n` (1-based) changed. */
  changeAt(n: number): HitChange | undefined {
    return this.replayed.changes[n - 1];
  }

  /** How many nodes (of any kind) the graph has after hit `n`. */
  nodeCountAfter(n: number): number {
    return this.nodesAfter[Math.max(0, Math.min(n, this.nodesAfter.length - 1))] ?? 0;
  }

  /** Whether the graph can show anything at hit `n`: nodes as it stood then, or what the hit took away. */
  hasSomethingToShow(n: number): boolean {
    return this.nodeCountAfter(n) > 0 || (this.replayed.changes[n - 1]?.removed.length ?? 0) > 0;
  }

  /** The graph after hit `n` (0: before the first hit), with hit n's change marked. */
  stateAfter(n: number): GraphView {
    n = Math.max(0, Math.min(n, this.replayed.changes.length));
    const change = n > 0 ? this.replayed.changes[n - 1] : null;
    return this.view(this.stateAt(n), n, change);
  }

  private stateAt(n: number): State {
    // the last checkpoint at or before hit n (the first is at 0)
    const hits = this.checkpointHits;
    const at = partitionPoint(hits.length, (i) => hits[i] <= n) - 1;
    const s = this.checkpoints[at].clone();
    for (let h = hits[at] + 1; h <= n; h++) for (const op of this.replayed.ops[h - 1]) s.apply(op);
    return s;
  }

  /**
   * The graph as hit `n` stopped, before its own change: the state after hit n−1 and what the
   * commands since did first. This is what QEMU's memory holds at the breakpoint.
   */
  stateAtStop(n: number): GraphView {
    n = Math.max(1, Math.min(n, this.replayed.changes.length));
    const s = this.stateAt(n - 1);
    const ops = this.replayed.ops[n - 1];
    for (let i = 0; i < (this.replayed.prologue[n - 1] ?? 0); i++) s.apply(ops[i]);
    return this.view(s, n - 1, null);
  }

  /**
   * The replay held against QEMU's graph where the log recorded it (`qbt-graph` lines): at each such
   * stop, what differs between QEMU's memory and the replay's state as that hit stopped.
   */
  checkRecorded(): RecordedCheck[] {
    if (!this.ids) return [];
    this.recordedChecks ??= checkRecorded(this.trace, (n) => this.stateAtStop(n), this.ids);
    return this.recordedChecks;
  }

  private recordedChecks: RecordedCheck[] | undefined;

  /**
   * The graph when command `index` (into Trace.commands) had finished: after its last hit, or, for
   * a command no hit stopped in, with what it added that the log shows later (a protocol node
   * added by name, attached by a later command). This is where QEMU's own answer to the command,
   * `x-debug-query-block-graph` after it, is to be compared.
   */
  stateAfterCommand(index: number): GraphView {
    const commands = this.trace.commands;
    const next = commands.slice(index + 1).find((c) => c.line !== null)?.line ?? null;
    // the hits before the next command's line are done
    let n = this.trace.hits.length;
    if (next !== null) n = this.trace.hits.findIndex((h) => h.line > next) < 0 ? this.trace.hits.length : this.trace.hits.findIndex((h) => h.line > next);
    n = Math.min(n, this.replayed.changes.length);
    const s = this.stateAt(n);
    for (const late of this.replayed.added) if (late.command <= index && late.atHit > n) s.apply(late.op);
    return this.view(s, n, n > 0 ? this.replayed.changes[n - 1] : null);
  }

  private view(s: State, hit: number, change: HitChange | null): GraphView {
    const nodes: GraphNodeView[] = [];
    // a job's state as QEMU's trace last told it by the end of this hit
    const line = hit > 0 ? (this.trace.hits[hit - 1]?.endLine ?? -1) : -1;
    const jobState = (rec: NodeRec) => {
      const st = rec.type === 'block-job' && rec.identity ? jobStateAt(rec.identity, line) : null;
      return st ? { jobState: st.state } : {};
    };
    const nodeView = (rec: NodeRec, state: NodeState): GraphNodeView => ({
      id: rec.key,
      type: rec.type,
      // a node seeded from QEMU's answer has QEMU's name; a placeholder parent has none
      name: rec.placeholderLabel ? (rec.type === 'block-driver' ? rec.placeholderLabel : null) : !rec.identity?.name || rec.identity.name === rec.identity.driver ? null : rec.identity.name,
      label: nodeLabel(rec),
      address: rec.address,
      driver: rec.identity?.driver ?? null,
      filename: rec.identity?.filename ?? null,
      state,
      preExisting: rec.preExisting,
      incarnation: rec.identity?.incarnation ?? null,
      evidence: (rec.identity?.evidence ?? []).map((e) => ({ what: e.what, value: e.value, logLine: e.line + 1 })),
      ...(rec.jobType ? { jobType: rec.jobType } : {}),
      ...jobState(rec),
    });
    for (const n of s.nodes.values()) nodes.push(nodeView(n.rec, n.state));
    const added = new Set(change?.added ?? []);
    const moved = new Map((change?.moved ?? []).map((m) => [m.edge, m.from]));
    const edgeView = (rec: EdgeRec, child: string): GraphEdgeView => {
      const v: GraphEdgeView = {
        id: rec.key,
        parent: rec.parent,
        child,
        name: rec.name,
        perm: permNames(rec.perm),
        'shared-perm': permNames(rec.shared),
        role: roleNames(rec.role),
        address: rec.address,
        change: added.has(rec.key) ? 'added' : moved.has(rec.key) ? 'moved' : null,
        preExisting: rec.preExisting,
      };
      if (moved.has(rec.key)) v.from = moved.get(rec.key);
      return v;
    };
    const edges = [...s.edges.values()].sort((a, b) => a.seq - b.seq).map((e) => edgeView(e.rec, e.child));
    const removed = (change?.removed ?? []).map((r) => edgeView(r.rec, r.child));
    // a removed edge may point at a node that is gone now: keep it on screen for this hit
    for (const r of change?.removed ?? []) {
      for (const key of [r.rec.parent, r.child]) {
        if (s.nodes.has(key) || nodes.some((n) => n.id === key)) continue;
        const rec = this.replayed.recs.get(key);
        if (rec) nodes.push(nodeView(rec, 'probably-freed'));
      }
    }
    return { hit, kind: change?.kind ?? 'none', explanation: change?.explanation ?? 'the graph before the first hit', nodes, edges, removed };
  }
}
