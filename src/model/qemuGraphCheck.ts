// QEMU's own answer in the log as a checkpoint: a user may type `x-debug-query-block-graph`
// between commands, and qmp-shell logs its reply. The replayed graph after that command is held
// against it, and what differs is shown, not hidden. QEMU's answer names nodes (node names, or
// automatic `#blockN`), BlockBackends and jobs, and links them by numbers of its own: the two are
// compared by what both can name.

import type { GraphView } from './graphView';
import type { Trace } from './trace';

interface XdbgNode {
  id: number;
  type: string;
  name: string;
}
interface XdbgEdge {
  parent: number;
  child: number;
  name: string;
}

/** The edges of a graph as `parent —name→ child`, each end by the name both sides know (or null). */
type Named = { parent: string | null; name: string; child: string | null };

const userName = (name: string | null | undefined): string | null => (name && !name.startsWith('#') ? name : null);

function xdbgEdges(nodes: XdbgNode[], edges: XdbgEdge[]): Named[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const label = (id: number) => {
    const n = byId.get(id);
    if (!n) return null;
    if (n.type === 'block-job') return n.name ? `job ${n.name}` : null;
    if (n.type === 'block-backend') return n.name ? `BlockBackend ${n.name}` : null;
    return userName(n.name);
  };
  return edges.map((e) => ({ parent: label(e.parent), name: e.name, child: label(e.child) }));
}

function replayEdges(v: GraphView): Named[] {
  const byId = new Map(v.nodes.map((n) => [n.id, n]));
  const label = (id: string) => {
    const n = byId.get(id);
    if (!n) return null;
    if (n.type === 'block-job') return n.name ? `job ${n.name}` : null;
    // a BlockBackend has a name in QEMU only when the user gave one (a guest device's, -drive's)
    if (n.type === 'block-backend') return null;
    return userName(n.name);
  };
  return v.edges.map((e) => ({ parent: label(e.parent), name: e.name, child: label(e.child) }));
}

const key = (e: Named) => `${e.parent ?? '·'} —${e.name}→ ${e.child ?? '·'}`;

export interface GraphCheck {
  /** The `x-debug-query-block-graph` command (index into Trace.commands) and its log line (0-based). */
  command: number;
  line: number | null;
  /** What differs, in words; empty when the replay agrees. */
  differences: string[];
}

/**
 * Every `x-debug-query-block-graph` reply in the log, held against the replay after that command
 * (`stateAfterCommand`): the user-named block nodes, and the edges between ends both can name.
 */
export function checkAgainstQemu(trace: Trace, stateAfterCommand: (index: number) => GraphView): GraphCheck[] {
  const out: GraphCheck[] = [];
  trace.commands.forEach((cmd, index) => {
    if (cmd.name !== 'x-debug-query-block-graph' || !cmd.reply || !('return' in cmd.reply)) return;
    const ret = cmd.reply.return as { nodes?: XdbgNode[]; edges?: XdbgEdge[] } | null;
    if (!ret || !Array.isArray(ret.nodes) || !Array.isArray(ret.edges)) return;
    const v = stateAfterCommand(index);
    const differences: string[] = [];
    // user-named block nodes
    const qemuNodes = new Set(ret.nodes.filter((n) => n.type === 'block-driver').map((n) => userName(n.name)).filter((n): n is string => n !== null));
    // live nodes, and those seeded from QEMU's earlier answers (placeholders)
    const replayNodes = new Set(v.nodes.filter((n) => n.type === 'block-driver' && n.state !== 'probably-freed').map((n) => userName(n.name)).filter((n): n is string => n !== null));
    for (const n of qemuNodes) if (!replayNodes.has(n)) differences.push(`QEMU has node ${n}; the replay does not`);
    for (const n of replayNodes) if (!qemuNodes.has(n)) differences.push(`the replay has node ${n}; QEMU does not`);
    // edges whose both ends are named on both sides (a count per description: edges may repeat)
    const comparable = (e: Named) => e.parent !== null && e.child !== null && !e.parent.startsWith('BlockBackend ');
    const count = (list: Named[]) => {
      const m = new Map<string, number>();
      for (const e of list.filter(comparable)) m.set(key(e), (m.get(key(e)) ?? 0) + 1);
      return m;
    };
    const q = count(xdbgEdges(ret.nodes, ret.edges));
    const r = count(replayEdges(v));
    for (const [k, n] of q) if ((r.get(k) ?? 0) < n) differences.push(`QEMU has the edge ${k}; the replay does not`);
    for (const [k, n] of r) if ((q.get(k) ?? 0) < n) differences.push(`the replay has the edge ${k}; QEMU does not`);
    out.push({ command: index, line: cmd.line, differences });
  });
  return out;
}
