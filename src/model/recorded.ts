// QEMU's own block graph, recorded at a breakpoint stop: the `qbt-graph {json}` line the gdb
// companion (resources/gdb/qemu_block_trace.py) prints after the backtrace. It is the graph as the
// hit stops, before that hit's own change, read from QEMU's memory by field name. Held against
// the replay's state at the same stop, it says whether the replay is right, and where it is not.

import { permNames, type GraphEdgeView, type GraphNodeView, type GraphView } from './graphView';
import { basename } from './paths';

/** What checkRecorded needs of an object identity (identities.ts), by shape. */
interface Seen {
  firstLine: number;
  lastHit: number | null;
  ended: 'deleted' | null;
  kind: string | null;
}

export interface RecordedNode {
  address: string;
  /** The node name (automatic ones start with `#`), or null. */
  name: string | null;
  driver: string | null;
  filename: string | null;
}

export interface RecordedEdge {
  /** The BdrvChild. */
  address: string;
  name: string | null;
  parent: string;
  parentKind: 'node' | 'backend' | 'job';
  child: string;
  perm: number;
  sharedPerm: number;
}

export interface RecordedGraph {
  nodes: RecordedNode[];
  edges: RecordedEdge[];
  backends: { address: string; name: string | null; export: string | null }[];
  jobs: { address: string; id: string | null; type: string | null }[];
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown): string | null => (isStr(v) ? v : null);

/** Read the JSON of a `qbt-graph` line; null when it is not one. */
export function parseRecordedGraph(json: string): RecordedGraph | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.nodes) || !Array.isArray(o.edges)) return null;
  const nodes: RecordedNode[] = [];
  for (const n of o.nodes as Record<string, unknown>[]) {
    if (!n || !isStr(n.address)) return null;
    nodes.push({ address: n.address, name: strOrNull(n.name), driver: strOrNull(n.driver), filename: strOrNull(n.filename) });
  }
  const edges: RecordedEdge[] = [];
  for (const e of o.edges as Record<string, unknown>[]) {
    if (!e || !isStr(e.address) || !isStr(e.parent) || !isStr(e.child)) return null;
    const kind = e.parentKind === 'backend' || e.parentKind === 'job' ? e.parentKind : 'node';
    edges.push({ address: e.address, name: strOrNull(e.name), parent: e.parent, parentKind: kind, child: e.child, perm: Number(e.perm ?? 0), sharedPerm: Number(e.sharedPerm ?? 0) });
  }
  const backends = (Array.isArray(o.backends) ? (o.backends as Record<string, unknown>[]) : []).filter((b) => b && isStr(b.address)).map((b) => ({ address: b.address as string, name: strOrNull(b.name), export: strOrNull(b.export) }));
  const jobs = (Array.isArray(o.jobs) ? (o.jobs as Record<string, unknown>[]) : []).filter((j) => j && isStr(j.address)).map((j) => ({ address: j.address as string, id: strOrNull(j.id), type: strOrNull(j.type) }));
  return { nodes, edges, backends, jobs };
}

/** What the log could know of an address at a stop: whether it printed it, and whether the object it last showed there is gone. */
export interface LogKnowledge {
  /** The log prints `address` somewhere (an edge's child seen later was there before). */
  printedEver(address: string): boolean;
  /** The log printed `address` at or before the end of this hit (a node being opened is in QEMU's memory before any hit shows it). */
  printed(address: string): boolean;
  /** The last object the log showed at `address` was freed earlier (or was no node): QEMU may hold a new one there the log has not shown yet. */
  reusedUnseen(address: string): boolean;
  /** The log shows a new object at `address` after this hit (another incarnation). */
  newObjectLater(address: string): boolean;
}

/**
 * What differs between the replay's state at a stop and QEMU's, in words; empty when they agree.
 * Compared: the edges between addresses (parent —name→ child) whose child the log has printed,
 * and the live block nodes — each of QEMU's nodes the log has printed must be in the replay,
 * under its user-given name, and the replay may have no live node that QEMU does not.
 */
export function recordedDifferences(v: GraphView, rec: RecordedGraph, know: LogKnowledge): string[] {
  const out: string[] = [];
  const address = new Map(v.nodes.map((n) => [n.id, n.address]));
  const label = new Map(v.nodes.map((n) => [n.id, n.label]));
  const edgeKey = (parent: string, name: string | null, child: string) => `${parent} —${name ?? '?'}→ ${child}`;
  const replayEdges = v.edges
    .filter((e) => {
      const c = address.get(e.child);
      return !!c && know.printedEver(c);
    })
    .map((e) => ({ key: edgeKey(address.get(e.parent) ?? e.parent, e.name, address.get(e.child)!), words: `${label.get(e.parent) ?? e.parent} —${e.name}→ ${label.get(e.child) ?? e.child}` }));
  const qemuEdges = rec.edges.filter((e) => know.printedEver(e.child)).map((e) => edgeKey(e.parent, e.name, e.child));
  const count = (keys: string[]) => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  const q = count(qemuEdges);
  const r = count(replayEdges.map((e) => e.key));
  for (const [k, n] of q) if ((r.get(k) ?? 0) < n) out.push(`QEMU has the edge ${k}; the replay does not`);
  for (const e of replayEdges) {
    if ((q.get(e.key) ?? 0) < (r.get(e.key) ?? 0)) {
      out.push(`the replay has the edge ${e.words} (${e.key}); QEMU does not`);
      r.set(e.key, (r.get(e.key) ?? 0) - 1);
    }
  }
  const live = v.nodes.filter((n) => n.type === 'block-driver' && n.state === 'live' && n.address);
  const inQemu = new Map(rec.nodes.map((n) => [n.address, n]));
  const named = (n: { label: string; address: string | null }) => (n.address && !n.label.includes(n.address) ? `${n.label} (${n.address})` : n.label);
  for (const n of live) if (!inQemu.has(n.address!)) out.push(`the replay has node ${named(n)}; QEMU does not`);
  for (const m of rec.nodes) {
    if (!know.printed(m.address) || know.reusedUnseen(m.address)) continue;
    // an address where the replay has no live node now and the log later shows a new object: QEMU
    // opened that one before this stop, and the log cannot show it yet (as for a new address)
    if (know.newObjectLater(m.address) && !live.some((x) => x.address === m.address)) continue;
    const n = live.find((x) => x.address === m.address);
    const name = m.name && !m.name.startsWith('#') ? m.name : null;
    if (!n) out.push(`QEMU has node ${name ?? 'unnamed'} (${m.address}); the replay does not`);
    else if (name && n.name !== name) out.push(`${m.address} is node ${name} in QEMU, ${n.name ?? n.label} in the replay`);
  }
  return out;
}

/** A hit with QEMU's recorded graph, and what differs from the replay there. */
export interface RecordedCheck {
  hit: number;
  /** Document line of the hit (0-based). */
  line: number;
  differences: string[];
}

/** Every hit with a recorded graph, held against the replay's state as that hit stopped. */
export function checkRecorded(
  trace: { hits: readonly { index: number; line: number; endLine: number; recorded: RecordedGraph | null; recordedLine: number | null }[] },
  stateAtStop: (hit: number) => GraphView,
  ids: { incarnations(address: string): readonly Seen[]; at(address: string, line: number): Seen | undefined },
): RecordedCheck[] {
  const out: RecordedCheck[] = [];
  for (const hit of trace.hits) {
    if (!hit.recorded) continue;
    // what the log had printed when QEMU's graph was read (not QEMU's trace lines after `c`)
    const end = hit.recordedLine ?? hit.endLine;
    const know: LogKnowledge = {
      printedEver: (a) => ids.incarnations(a).length > 0,
      printed: (a) => ids.incarnations(a).some((id) => id.firstLine <= end),
      newObjectLater: (a) => ids.incarnations(a).some((id) => id.firstLine > end),
      reusedUnseen: (a) => {
        const id = ids.at(a, end);
        return id !== undefined && ((id.ended === 'deleted' && (id.lastHit ?? 0) < hit.index) || id.kind !== 'node');
      },
    };
    out.push({ hit: hit.index, line: hit.line, differences: recordedDifferences(stateAtStop(hit.index), hit.recorded, know) });
  }
  return out;
}

/** `replay agrees with QEMU's memory at 25/26 recorded stops (differs at hit 26)`. */
export function recordedAgreementLine(checks: readonly RecordedCheck[]): string {
  const bad = checks.filter((c) => c.differences.length > 0);
  const runs = bad.slice(0, 5).map((c) => c.hit).join(', ');
  return `replay agrees with QEMU's memory at ${checks.length - bad.length}/${checks.length} recorded stops${bad.length > 0 ? ` (differs at hit${bad.length === 1 ? '' : 's'} ${runs}${bad.length > 5 ? ', …' : ''})` : ''}`;
}

/**
 * QEMU's recorded graph as the views draw one (graphView.ts), held against the replay's state at
 * the same stop: edges only QEMU has are marked `added`, edges only the replay has are in
 * `removed` (drawn as taken away), so both show. Ids are addresses.
 */
export function recordedView(rec: RecordedGraph, replay: GraphView, stopHit: number): GraphView {
  const nodes: GraphNodeView[] = [];
  const seen = new Set<string>();
  const userName = (n: string | null) => (n && !n.startsWith('#') ? n : null);
  const add = (n: GraphNodeView) => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    nodes.push(n);
  };
  const base = { state: 'live' as const, preExisting: false, incarnation: null, evidence: [], driver: null, filename: null };
  for (const n of rec.nodes) {
    const name = userName(n.name);
    add({ ...base, id: n.address, type: 'block-driver', name, label: name ?? (n.filename ? `${basename(n.filename)} (${n.address})` : n.address), address: n.address, driver: n.driver, filename: n.filename });
  }
  for (const b of rec.backends) add({ ...base, id: b.address, type: 'block-backend', name: b.name, label: b.export ? `export ${b.export}` : b.name ?? `BlockBackend ${b.address}`, address: b.address });
  for (const j of rec.jobs) add({ ...base, id: j.address, type: 'block-job', ...(j.type ? { jobType: j.type } : {}), name: j.id, label: `job ${j.id ?? j.address}`, address: j.address });
  // a parent on no list QEMU keeps (a job's BlockBackend is on block_backends; anything else): by address
  for (const e of rec.edges) {
    if (!seen.has(e.parent)) add({ ...base, id: e.parent, type: e.parentKind === 'job' ? 'block-job' : e.parentKind === 'backend' ? 'block-backend' : 'block-driver', name: null, label: e.parent, address: e.parent });
  }
  const replayAddress = new Map(replay.nodes.map((n) => [n.id, n.address]));
  const key = (parent: string | null | undefined, name: string | null, child: string | null | undefined) => `${parent}|${name}|${child}`;
  const replayKeys = new Map<string, GraphEdgeView>();
  for (const e of replay.edges) replayKeys.set(key(replayAddress.get(e.parent) ?? e.parent, e.name, replayAddress.get(e.child) ?? e.child), e);
  const qemuKeys = new Set<string>();
  const edges: GraphEdgeView[] = rec.edges.map((e) => {
    const k = key(e.parent, e.name, e.child);
    qemuKeys.add(k);
    return { id: e.address, parent: e.parent, child: e.child, name: e.name ?? '?', perm: permNames(e.perm), 'shared-perm': permNames(e.sharedPerm), role: null, address: e.address, change: replayKeys.has(k) ? null : 'added', preExisting: false };
  });
  const removed: GraphEdgeView[] = [];
  for (const [k, e] of replayKeys) {
    if (qemuKeys.has(k)) continue;
    const parent = replayAddress.get(e.parent) ?? e.parent;
    const child = replayAddress.get(e.child) ?? e.child;
    for (const [id, rn] of [
      [parent, replay.nodes.find((n) => n.id === e.parent)],
      [child, replay.nodes.find((n) => n.id === e.child)],
    ] as const) {
      if (rn && !seen.has(id)) add({ ...rn, id, state: 'probably-freed' });
    }
    removed.push({ ...e, id: `replay:${e.id}`, parent, child, change: null });
  }
  return { hit: stopHit - 1, kind: 'none', explanation: `QEMU's graph, read from its memory as hit ${stopHit} stopped`, nodes, edges, removed };
}
