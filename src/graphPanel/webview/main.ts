// The graph panel's page: lays out the DOT the host sends with Graphviz (WASM, loaded on first
// draw), draws it in the theme's colours, and steps through the hits. Everything it shows that
// came from the log is set as text (textContent) or went through Graphviz, which escapes it.

import { Graphviz } from '@hpcc-js/wasm-graphviz';
import * as l10n from '@vscode/l10n';
import { permString, type GraphEdgeView, type GraphNodeView, type GraphView } from '../../model/graphView';
import type { CommandMark, GraphPanelState, HostMessage, WebviewMessage } from '../messages';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): GraphPanelState | undefined;
  setState(state: GraphPanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
// the host hands over VS Code's bundle for the display language (none for English)
l10n.config({ contents: JSON.parse(document.body.dataset.l10n || '{}') as Record<string, string> });
const post = (m: WebviewMessage) => vscode.postMessage(m);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const title = $('title');
const explanation = $('explanation');
const kindBadge = $('kind');
const slider = $<HTMLInputElement>('slider');
const ticks = $('ticks');
const position = $('position');
const canvas = $('canvas');
const details = $('details');
const status = $('status');
const recordedLine = $('recorded');
const recordedToggle = $<HTMLButtonElement>('recordedToggle');

let uri: string | null = null;
let hitCount = 0;
let commands: CommandMark[] = [];
let hit = 0;
let current: { view: GraphView; svg: string } | null = null;
let selected: string | null = null;
let graphviz: Promise<Graphviz> | null = null;
/** The draw in flight: a newer state makes an older one moot. */
let drawing = 0;
/** The last step asked of the host: answers to older steps are stale (keys pressed fast). */
let stepSeq = 0;

function setText(el: HTMLElement, text: string): void {
  el.textContent = text;
}

function requestHit(n: number): void {
  if (hitCount === 0) return;
  n = Math.max(0, Math.min(hitCount, n));
  if (n === hit && current) return;
  hit = n;
  slider.value = String(n);
  setText(position, `${n} / ${hitCount}`);
  post({ type: 'step', hit: n, seq: ++stepSeq });
}

function commandStart(direction: 1 | -1): number {
  if (direction === 1) return commands.find((c) => c.hit > hit)?.hit ?? hitCount;
  // the start of this command, or of the one before when already at its start
  const starts = commands.filter((c) => c.hit < hit);
  return starts.length > 0 ? starts[starts.length - 1].hit : 0;
}

const actions: Record<string, () => void> = {
  first: () => requestHit(1),
  previousCommand: () => requestHit(commandStart(-1)),
  previous: () => requestHit(hit - 1),
  next: () => requestHit(hit + 1),
  nextCommand: () => requestHit(commandStart(1)),
  last: () => requestHit(hitCount),
  zoom: () => {
    const actual = document.body.classList.toggle('actual-size');
    const button = $('zoom');
    button.textContent = actual ? l10n.t('Fit') : l10n.t('Actual size');
    button.setAttribute('aria-pressed', String(actual));
    fitOrScroll();
  },
  exportSvg: () => current && post({ type: 'export', format: 'svg', svg: current.svg }),
  exportDot: () => post({ type: 'export', format: 'dot' }),
  recorded: () => {
    const on = recordedToggle.getAttribute('aria-pressed') !== 'true';
    recordedToggle.setAttribute('aria-pressed', String(on));
    post({ type: 'showRecorded', on });
  },
};

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
  button.addEventListener('click', () => actions[button.dataset.action!]?.());
}
slider.addEventListener('input', () => requestHit(Number(slider.value)));

document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement && e.target !== slider) return;
  const key = e.key;
  const map: Record<string, string> = { ArrowLeft: 'previous', ArrowRight: 'next', ArrowUp: 'previous', ArrowDown: 'next', Home: 'first', End: 'last', PageUp: 'previousCommand', PageDown: 'nextCommand', z: 'zoom' };
  const action = map[key];
  if (!action) return;
  e.preventDefault();
  actions[action]();
});

/** Ticks closer than this (px) merge: one tick then stands for the commands around it. */
const MIN_TICK_GAP = 6;

function renderTicks(): void {
  ticks.replaceChildren();
  const at = (h: number) => (hitCount <= 1 ? 0 : (h - 1) / (hitCount - 1));
  // one tick per command while they fit, else one per run of commands that would overlap
  const slots = Math.max(1, Math.floor((ticks.clientWidth || 300) / MIN_TICK_GAP));
  const groups: (typeof commands)[] = [];
  let lastSlot = -1;
  for (const c of commands) {
    const slot = Math.round(at(c.hit) * slots);
    if (groups.length > 0 && slot - lastSlot < 1) groups[groups.length - 1].push(c);
    else {
      groups.push([c]);
      lastSlot = slot;
    }
  }
  for (const g of groups) {
    const tick = document.createElement('button');
    tick.className = g.length > 1 ? 'tick group' : 'tick';
    tick.title = g.length === 1 ? l10n.t('hit {0}: {1}', g[0].hit, g[0].label) : l10n.t('{0} commands from hit {1}: {2} … {3}', g.length, g[0].hit, g[0].label, g[g.length - 1].label);
    tick.setAttribute('aria-label', tick.title);
    tick.style.left = `${at(g[0].hit) * 100}%`;
    tick.addEventListener('click', () => requestHit(g[0].hit));
    ticks.append(tick);
  }
}
new ResizeObserver(() => renderTicks()).observe(ticks);

/**
 * Fit the graph in the panel, but never below a readable size: a graph that would shrink its
 * smallest text (edge labels, 9 pt) under MIN_TEXT_PX is drawn at that size and scrolls instead.
 */
const MIN_TEXT_PX = 8;
const SMALLEST_FONT_PT = 9;
function fitOrScroll(): void {
  const svg = canvas.querySelector('svg');
  if (!svg) return;
  const box = svg.viewBox.baseVal;
  if (document.body.classList.contains('actual-size') || !box || box.width === 0) {
    canvas.classList.remove('scrolls');
    svg.style.width = '';
    svg.style.height = '';
    return;
  }
  const style = getComputedStyle(canvas);
  const w = canvas.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const h = canvas.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
  const fit = Math.min(w / box.width, h / box.height);
  const min = MIN_TEXT_PX / SMALLEST_FONT_PT;
  const scrolls = fit < min;
  canvas.classList.toggle('scrolls', scrolls);
  svg.style.width = scrolls ? `${box.width * min}px` : '';
  svg.style.height = scrolls ? `${box.height * min}px` : '';
}
new ResizeObserver(() => fitOrScroll()).observe(canvas);

async function layout(dot: string): Promise<string> {
  graphviz ??= Graphviz.load();
  return (await graphviz).dot(dot, 'svg');
}

async function draw(view: GraphView, dot: string, command: string | null, logLine: number | null): Promise<void> {
  const mine = ++drawing;
  hit = view.hit;
  slider.value = String(view.hit);
  setText(position, `${view.hit} / ${hitCount}`);
  setText(title, view.hit === 0 ? l10n.t('Before the first hit') : `${l10n.t('Hit {0} of {1}', view.hit, hitCount)}${command ? ` · ${command}` : ''}${logLine ? ` · ${l10n.t('line {0}', logLine)}` : ''}`);
  setText(explanation, view.explanation);
  setText(kindBadge, view.kind === 'none' || view.kind === 'unrecognised' ? l10n.t('no change') : view.kind);
  kindBadge.className = `kind kind-${view.kind}`;
  const started = performance.now();
  let svgText: string;
  try {
    svgText = await layout(dot);
  } catch (e) {
    setText(status, l10n.t('Graphviz could not lay out this graph: {0}', (e as Error).message));
    return;
  }
  if (mine !== drawing) return;
  const parsed = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = parsed.documentElement;
  if (svg.nodeName !== 'svg') {
    setText(status, l10n.t('Graphviz returned something that is not SVG.'));
    return;
  }
  // nothing active survives: the page's CSP forbids scripts anyway
  for (const s of svg.querySelectorAll('script, foreignObject')) s.remove();
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', l10n.t('Block graph after hit {0}: {1} nodes, {2} edges', view.hit, view.nodes.length, view.edges.length));
  canvas.replaceChildren(document.importNode(svg, true));
  fitOrScroll();
  const layoutMs = performance.now() - started;
  current = { view, svg: svgText };
  setText(
    status,
    view.nodes.length > 0
      ? l10n.t('{0} nodes, {1} edges · permissions at attach', view.nodes.length, view.edges.length)
      : view.removed.length > 0
        ? l10n.t('No block nodes are left after this hit.')
        : l10n.t('No block nodes known at this hit: the hits so far changed no edge of the graph.'),
  );
  wireNodes();
  if (selected && !view.nodes.some((n) => n.id === selected)) selected = null;
  showDetails();
  if (uri) vscode.setState({ uri, hit: view.hit });
  post({ type: 'drawn', hit: view.hit, layoutMs, nodes: view.nodes.length });
}

/** `node-n3` in the SVG is the third node of the view (dot.ts numbers them in order). */
function nodeOfElement(el: Element): GraphNodeView | undefined {
  const m = /^node-n(\d+)$/.exec(el.id);
  return m && current ? current.view.nodes[Number(m[1]) - 1] : undefined;
}

function wireNodes(): void {
  for (const g of canvas.querySelectorAll<SVGGElement>('g.node')) {
    const node = nodeOfElement(g);
    if (!node) continue;
    g.setAttribute('tabindex', '0');
    g.setAttribute('role', 'button');
    g.setAttribute('aria-label', `${node.label}, ${node.type}${node.state === 'live' ? '' : `, ${node.state}`}`);
    if (node.id === selected) g.classList.add('selected');
    const choose = () => {
      selected = selected === node.id ? null : node.id;
      for (const other of canvas.querySelectorAll('g.node.selected')) other.classList.remove('selected');
      if (selected) g.classList.add('selected');
      showDetails();
      post({ type: 'selectNode', id: selected });
    };
    g.addEventListener('click', choose);
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        e.stopPropagation();
        choose();
      }
    });
  }
}

function row(dl: HTMLElement, term: string, value: string): void {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  dl.append(dt, dd);
}

function edgeLine(e: GraphEdgeView, nodes: Map<string, GraphNodeView>, dir: 'in' | 'out'): string {
  const other = nodes.get(dir === 'out' ? e.child : e.parent)?.label ?? '?';
  const perm = e.perm === null ? l10n.t('permissions unknown') : l10n.t('{0} / {1} at attach', permString(e.perm), permString(e['shared-perm']));
  return dir === 'out' ? `—${e.name}→ ${other} (${perm})` : `${other} —${e.name}→ (${perm})`;
}

function showDetails(): void {
  details.replaceChildren();
  const view = current?.view;
  const node = view?.nodes.find((n) => n.id === selected);
  if (!view || !node) {
    details.hidden = true;
    return;
  }
  details.hidden = false;
  const h = document.createElement('h2');
  h.textContent = node.label;
  const dl = document.createElement('dl');
  row(dl, l10n.t('What'), node.type === 'block-driver' ? l10n.t('node (BlockDriverState)') : node.type === 'block-backend' ? 'BlockBackend' : l10n.t('block job'));
  if (node.name) row(dl, l10n.t('Name'), node.name);
  if (node.driver) row(dl, l10n.t('Driver'), node.driver);
  if (node.filename) row(dl, l10n.t('File'), node.filename);
  row(dl, l10n.t('Address'), node.address ?? l10n.t('never printed in the log'));
  row(
    dl,
    l10n.t('State'),
    node.state === 'live'
      ? node.preExisting
        ? l10n.t('live, there before the log began')
        : l10n.t('live')
      : node.state === 'placeholder'
        ? l10n.t('placeholder: a parent that existed before the log and is never printed')
        : l10n.t('probably freed: its last parent went away'),
  );
  const nodes = new Map(view.nodes.map((n) => [n.id, n]));
  const list = (label: string, items: string[]) => {
    if (items.length === 0) return;
    const p = document.createElement('h3');
    p.textContent = label;
    const ul = document.createElement('ul');
    for (const t of items) {
      const li = document.createElement('li');
      li.textContent = t;
      ul.append(li);
    }
    details.append(p, ul);
  };
  details.append(h, dl);
  list(l10n.t('Parents'), view.edges.filter((e) => e.child === node.id).map((e) => edgeLine(e, nodes, 'in')));
  list(l10n.t('Children'), view.edges.filter((e) => e.parent === node.id).map((e) => edgeLine(e, nodes, 'out')));
  if (node.address) {
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent = l10n.t('Its pointer {0} is highlighted in the log.', node.address);
    details.append(note);
  }
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const m = event.data;
  switch (m.type) {
    case 'trace':
      uri = m.uri;
      hitCount = m.hitCount;
      commands = m.commands;
      slider.max = String(m.hitCount);
      slider.disabled = m.hitCount === 0;
      renderTicks();
      document.body.classList.remove('empty');
      break;
    case 'state':
      if (m.replyTo !== undefined && m.replyTo !== stepSeq) break;
      recordedLine.hidden = !m.recorded;
      recordedToggle.hidden = !m.recorded?.available && recordedToggle.getAttribute('aria-pressed') !== 'true';
      recordedLine.className = m.recorded && !m.recorded.agrees ? 'differs' : '';
      setText(recordedLine, m.recorded?.text ?? '');
      void draw(m.view, m.dot, m.command, m.logLine);
      break;
    case 'busy':
      setText(status, m.text);
      break;
    case 'empty':
      document.body.classList.add('empty');
      setText(title, m.text);
      setText(explanation, '');
      canvas.replaceChildren();
      current = null;
      break;
  }
});

post({ type: 'ready', state: vscode.getState() ?? null });
