// The replayed graph as Graphviz DOT, drawn the way QEMU's scripts/render_block_graph.py draws a
// live graph (driver nodes as ellipses `name [drv]`, BlockBackends and jobs as boxes, edges
// labelled with their name and `wrus` permissions), so the two can be held side by side. What the
// replay adds (the hit's change, pre-existing and probably-freed objects) is in attributes and in
// `class`es, which the graph panel styles with the editor theme's colours.

import { permString, type GraphEdgeView, type GraphNodeView, type GraphView } from './graphView';
import { basename } from './paths';

export interface DotOptions {
  /** Draw the edges the hit removed, dashed (default true). */
  removed?: boolean;
  /** Plain colours for a file read outside the editor (default true); the panel styles by class. */
  colours?: boolean;
}

/** A DOT double-quoted string: every character of a log's text is safe in it. */
export function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

/** What a node says on screen, render_block_graph.py style. */
export function nodeText(n: GraphNodeView): string {
  if (n.type === 'block-driver') {
    const file = n.filename ? basename(n.filename) : null;
    let text = n.name ?? (n.driver ? '' : (file ?? 'node'));
    if (n.driver && n.driver !== n.name) text += `${text ? ' ' : ''}[${n.driver}]`;
    if (file && (n.driver === 'file' || (n.name === null && n.driver !== null))) text += `\n${file}`;
    if (n.address) text += `\n${n.address}`;
    return text;
  }
  // render_block_graph.py: `commit job (jobA)`
  if (n.type === 'block-job') return `${n.jobType ? `${n.jobType} job (${n.name ?? n.address})` : n.label}${n.jobState ? `\n${n.jobState}` : ''}${n.address ? `\n${n.address}` : ''}`;
  if (n.state === 'placeholder') return `${n.label}\n(before the log)`;
  return n.name ? `${n.name}${n.address ? `\n${n.address}` : ''}` : n.label.startsWith('BlockBackend') ? `unnamed blk\n${n.address ?? ''}`.trim() : n.label;
}

/** An edge's label: its name and its permissions at attach, `wrus` with `_` for a missing bit. */
export function edgeText(e: GraphEdgeView): string {
  if (e.perm === null) return e.name;
  return `${e.name}\n${permString(e.perm)} / ${permString(e['shared-perm'])}`;
}

const COLOURS = { added: '#2e7d32', moved: '#1565c0', removed: '#c62828', faded: '#9e9e9e' };

export function graphToDot(view: GraphView, options: DotOptions = {}): string {
  const colours = options.colours ?? true;
  const showRemoved = options.removed ?? true;
  const out: string[] = [];
  out.push(`digraph ${dotString(`block graph after hit ${view.hit}`)} {`);
  out.push(`  // ${view.explanation.replace(/[\r\n]/g, ' ')}`);
  out.push('  // permissions are as they were at attach (w: write, r: consistent-read, u: write-unchanged, s: resize) / shared');
  out.push('  graph [fontname="sans-serif", nodesep=0.4, ranksep=0.5];');
  out.push('  node [fontname="sans-serif", fontsize=11];');
  out.push('  edge [fontname="sans-serif", fontsize=9];');
  const ids = new Map<string, string>();
  const id = (key: string) => {
    let v = ids.get(key);
    if (v === undefined) {
      v = `n${ids.size + 1}`;
      ids.set(key, v);
    }
    return v;
  };
  for (const n of view.nodes) {
    const attrs = [`label=${dotString(nodeText(n))}`, `shape=${n.type === 'block-driver' ? 'ellipse' : 'box'}`, `id=${dotString(`node-${id(n.id)}`)}`];
    const cls = ['bg-node', `bg-${n.type}`, `bg-${n.state}`];
    if (n.preExisting) cls.push('bg-pre-existing');
    if (n.state === 'placeholder') attrs.push('style=dashed');
    if (n.state === 'probably-freed') {
      attrs.push('style=dotted');
      if (colours) attrs.push(`color=${dotString(COLOURS.faded)}`, `fontcolor=${dotString(COLOURS.faded)}`);
    }
    attrs.push(`class=${dotString(cls.join(' '))}`);
    out.push(`  ${id(n.id)} [${attrs.join(', ')}];`);
  }
  const edge = (e: GraphEdgeView, removed: boolean) => {
    const attrs = [`label=${dotString(edgeText(e))}`, `id=${dotString(`edge-${id(e.id)}${removed ? '-removed' : ''}`)}`];
    const cls = ['bg-edge'];
    if (removed) {
      cls.push('bg-removed');
      attrs.push('style=dashed');
      if (colours) attrs.push(`color=${dotString(COLOURS.removed)}`, `fontcolor=${dotString(COLOURS.removed)}`);
    } else if (e.change) {
      cls.push(`bg-${e.change}`);
      attrs.push('penwidth=2');
      if (colours) attrs.push(`color=${dotString(COLOURS[e.change])}`, `fontcolor=${dotString(COLOURS[e.change])}`);
    }
    if (e.preExisting) cls.push('bg-pre-existing');
    attrs.push(`class=${dotString(cls.join(' '))}`);
    out.push(`  ${id(e.parent)} -> ${id(e.child)} [${attrs.join(', ')}];`);
  };
  for (const e of view.edges) edge(e, false);
  // a moved edge's old place, dashed, so the move shows
  for (const e of view.edges) {
    if (e.change !== 'moved' || !e.from || !view.nodes.some((n) => n.id === e.from)) continue;
    const attrs = [`label=${dotString(`${e.name} (before)`)}`, 'style=dashed', 'arrowhead=empty', `class="bg-edge bg-moved-from"`, `id=${dotString(`edge-${id(e.id)}-from`)}`];
    if (colours) attrs.push(`color=${dotString(COLOURS.moved)}`, `fontcolor=${dotString(COLOURS.moved)}`);
    out.push(`  ${id(e.parent)} -> ${id(e.from)} [${attrs.join(', ')}];`);
  }
  if (showRemoved) for (const e of view.removed) if (ids.has(e.parent) && ids.has(e.child)) edge(e, true);
  out.push('}');
  return `${out.join('\n')}\n`;
}

/** The DOT id each node got, by node id: the panel maps clicks on the SVG back to nodes. */
export function dotNodeIds(view: GraphView): Map<string, string> {
  const ids = new Map<string, string>();
  for (const n of view.nodes) ids.set(`node-n${ids.size + 1}`, n.id);
  return ids;
}
