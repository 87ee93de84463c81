// The block graph as the views see it (the graph panel's page, DOT, the CLI's JSON): the state after
// a hit in the shape of QEMU's x-debug-query-block-graph, plus addresses and what the hit changed.
// Types and permission names only: the webview bundles this file, not the replayer.

export type NodeType = 'block-driver' | 'block-backend' | 'block-job';
/** `placeholder`: a parent that existed before the log and was never printed. */
export type NodeState = 'live' | 'probably-freed' | 'placeholder';
export type ChangeKind = 'attach' | 'detach' | 'move' | 'rollback' | 'none' | 'unrecognised';

export interface GraphNodeView {
  id: string;
  type: NodeType;
  /** For a block job: commit, mirror, stream or backup, when the stack that created it says. */
  jobType?: string;
  /** For a block job: its state (created, running, ready, …) when QEMU's trace lines tell it. */
  jobState?: string;
  /** Node name, job id or BlockBackend name; null when the log never says. */
  name: string | null;
  /** What to call it on screen: the name, or what it is and its address. */
  label: string;
  address: string | null;
  driver: string | null;
  filename: string | null;
  state: NodeState;
  preExisting: boolean;
  /** Which object at its address it is (1-based; addresses are reused after free), when known. */
  incarnation: number | null;
  /** Where the log said its name, driver and file (1-based lines). */
  evidence: { what: 'name' | 'driver' | 'filename'; value: string; logLine: number }[];
}

export interface GraphEdgeView {
  id: string;
  parent: string;
  child: string;
  name: string;
  /** Permissions at attach, as QEMU's x-debug-query-block-graph lists them; null when unknown. */
  perm: string[] | null;
  'shared-perm': string[] | null;
  role: string[] | null;
  address: string | null;
  change: 'added' | 'moved' | null;
  /** For a moved edge: the node it pointed at before. */
  from?: string;
  preExisting: boolean;
}

/** The graph after a hit, in the shape of QEMU's x-debug-query-block-graph plus addresses and changes. */
export interface GraphView {
  /** 1-based; 0 is the state before the first hit. */
  hit: number;
  kind: ChangeKind;
  explanation: string;
  nodes: GraphNodeView[];
  edges: GraphEdgeView[];
  /** Edges this hit took away, as they were just before. */
  removed: GraphEdgeView[];
}

// BLK_PERM_* bits and their names in QAPI's BlockPermission, in bit order.
const PERMS: readonly [number, string][] = [
  [1, 'consistent-read'],
  [2, 'write'],
  [4, 'write-unchanged'],
  [8, 'resize'],
];
// BdrvChildRole bits.
const ROLES: readonly [number, string][] = [
  [1, 'data'],
  [2, 'metadata'],
  [4, 'filtered'],
  [8, 'cow'],
  [16, 'primary'],
];

function bits(value: number | null, names: readonly [number, string][]): string[] | null {
  if (value === null) return null;
  return names.filter(([bit]) => (value & bit) !== 0).map(([, n]) => n);
}

/** `wrus` with `_` for a missing bit, as QEMU's scripts/render_block_graph.py prints permissions. */
export function permString(perm: readonly string[] | null): string {
  if (perm === null) return '????';
  return (perm.includes('write') ? 'w' : '_') + (perm.includes('consistent-read') ? 'r' : '_') + (perm.includes('write-unchanged') ? 'u' : '_') + (perm.includes('resize') ? 's' : '_');
}

/** BLK_PERM_* bits by name (`consistent-read`, `write`, …); null when not known. */
export function permNames(value: number | null): string[] | null {
  return bits(value, PERMS);
}

/** BdrvChildRole bits by name (`data`, `metadata`, `filtered`, `cow`, `primary`). */
export function roleNames(value: number | null): string[] | null {
  return bits(value, ROLES);
}
