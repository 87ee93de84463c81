// The structure of a trace as nested sections with line ranges: commands → hits → frames, free-
// standing backtraces, and the runs of plumbing frames. The editor's outline, breadcrumbs and
// folding are views of this.

import type { QmpCommand } from './qmp';
import { backtraceLabel, plumbingStart, shortLocation } from './hitGroups';
import { commandLabel } from './qmp';
import type { Hit, Trace } from './trace';

export interface Section {
  kind: 'command' | 'hit' | 'frame' | 'backtrace';
  name: string;
  detail: string;
  /** First and last document line of the section; `line` is where its name stands. */
  startLine: number;
  endLine: number;
  line: number;
  children: Section[];
}

export function hitName(hit: Hit): string {
  const where = shortLocation(hit.stop);
  const fn = hit.stop?.function ?? (hit.watch ? `watch ${hit.watch.expression ?? ''}` : 'hit');
  return `#${hit.index} ${fn}${where ? ` — ${where}` : ''}`;
}

function hitSection(hit: Hit, withFrames: boolean): Section {
  const frames = withFrames ? hit.frames : [];
  return {
    kind: 'hit',
    name: hitName(hit),
    detail: hit.thread ? `thread ${hit.thread.number}` : '',
    startLine: hit.line,
    endLine: Math.max(hit.line, hit.endLine),
    line: hit.line,
    children: frames.map((f) => ({
      kind: 'frame' as const,
      name: `#${f.level} ${f.function || '??'}`,
      detail: shortLocation(f) ?? '',
      startLine: f.range.startLine,
      endLine: f.range.endLine,
      line: f.logLine,
      children: [],
    })),
  };
}

/** Commands (in log order) with their hits; hits before any command and free-standing backtraces at the top. */
export function traceOutline(trace: Trace, withFrames = false): Section[] {
  const top: Section[] = [];
  const byCommand = new Map<number, Hit[]>();
  for (const h of trace.hits) {
    if (h.command === null) top.push(hitSection(h, withFrames));
    else (byCommand.get(h.command) ?? byCommand.set(h.command, []).get(h.command)!).push(h);
  }
  trace.commands.forEach((cmd: QmpCommand, i) => {
    const hits = byCommand.get(i) ?? [];
    const children = hits.map((h) => hitSection(h, withFrames));
    const line = cmd.line ?? hits[0]?.line ?? 0;
    const startLine = Math.min(line, ...children.map((c) => c.startLine));
    const endLine = Math.max(line, ...children.map((c) => c.endLine));
    const count = `${hits.length} hit${hits.length === 1 ? '' : 's'}`;
    top.push({ kind: 'command', name: commandLabel(cmd), detail: cmd.origin === 'inferred' ? `${count}, inferred` : count, startLine, endLine, line, children });
  });
  // a backtrace printed while a hit was stopped (`thread apply all bt` after its `bt`) is part of that hit
  const hitSections = new Map<number, Section>();
  const collect = (list: Section[]) => {
    for (const sct of list) {
      if (sct.kind === 'hit') hitSections.set(sct.startLine, sct);
      collect(sct.children);
    }
  };
  collect(top);
  for (const b of trace.backtraces) {
    const section: Section = { kind: 'backtrace', name: backtraceLabel(b), detail: `${b.frameCount} frames`, startLine: b.line, endLine: b.endLine, line: b.line, children: [] };
    const hit = b.hit !== null ? trace.hits[b.hit - 1] : undefined;
    const owner = hit && hit.line <= b.line && b.endLine <= hit.endLine ? hitSections.get(hit.line) : undefined;
    if (owner) owner.children.push(section);
    else top.push(section);
  }
  for (const h of hitSections.values()) h.children.sort((a, b) => a.startLine - b.startLine);
  return top.sort((a, b) => a.startLine - b.startLine);
}

export interface Fold {
  start: number;
  end: number;
  kind: 'section' | 'plumbing';
}

/** Foldable regions: command sections, hits, free-standing backtraces, and the plumbing frame runs. */
export function traceFolds(trace: Trace): Fold[] {
  const folds: Fold[] = [];
  // a command section runs from its line to the line before the next command (or its last hit)
  // (the hits are in log order: one sweep over them for all sections, not one per command)
  const starts = trace.commands.map((c) => c.line).filter((l): l is number => l !== null).sort((a, b) => a - b);
  const hits = trace.hits;
  let h = 0;
  starts.forEach((start, i) => {
    const next = i + 1 < starts.length ? starts[i + 1] - 1 : trace.lineCount - 1;
    let end = start;
    while (h < hits.length && hits[h].line <= start) h++;
    for (let k = h; k < hits.length && hits[k].line <= next; k++) end = Math.max(end, hits[k].endLine);
    if (end > start) folds.push({ start, end, kind: 'section' });
  });
  for (const h of trace.hits) {
    if (h.endLine > h.line) folds.push({ start: h.line, end: h.endLine, kind: 'section' });
    const frames = h.frames;
    const cut = plumbingStart(frames);
    if (frames.length - cut >= 2) folds.push({ start: frames[cut].logLine, end: frames[frames.length - 1].range.endLine, kind: 'plumbing' });
  }
  for (const b of trace.backtraces) if (b.endLine > b.line) folds.push({ start: b.line, end: b.endLine, kind: 'section' });
  return folds;
}
