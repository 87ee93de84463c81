// Positions in a log: which hit a document line is in, the next or previous hit, and the frame a
// line shows with the frames around it that relocating it needs (design.md §6). For the editor and
// the CLI alike.

import type { FrameContext } from './cSource';
import { partitionPoint } from './columns';
import { frameContext } from './source';
import type { Backtrace, Frame, Hit, Trace } from './trace';

/** The hit whose section holds document line `line` (header to its last line), if any. */
export function hitAtLine(trace: Trace, line: number): Hit | undefined {
  const hits = trace.hits;
  // the last hit that starts at or before the line
  const found = partitionPoint(hits.length, (i) => hits[i].line <= line) - 1;
  if (found < 0) return undefined;
  const h = hits[found];
  return line <= h.endLine ? h : undefined;
}

/** The hits and the free-standing backtraces whose lines meet lines `from` to `to` (both included), in log order. */
export function sectionsBetween(trace: Trace, from: number, to: number): { hits: Hit[]; backtraces: Backtrace[] } {
  // each list is in log order, its sections one after another: from the first that ends at or after `from`
  const meet = <T extends { line: number; endLine: number }>(list: readonly T[]) => {
    const out: T[] = [];
    for (let i = partitionPoint(list.length, (k) => list[k].endLine < from); i < list.length && list[i].line <= to; i++) out.push(list[i]);
    return out;
  };
  return { hits: meet(trace.hits), backtraces: meet(trace.backtraces) };
}

/** The hit after (or before) document line `line`, for Next / Previous Hit. */
export function hitAfterLine(trace: Trace, line: number, direction: 1 | -1): Hit | undefined {
  const hits = trace.hits;
  if (direction === 1) return hits.find((h) => h.line > line);
  for (let i = hits.length - 1; i >= 0; i--) if (hits[i].line < line) return hits[i];
  return undefined;
}

/** The frame (or hit stop location) whose lines hold `line`, with what is needed to relocate it. */
export function frameAt(trace: Trace, line: number): { frame: Frame; inner: FrameContext; hit: Hit | undefined } | undefined {
  // a free-standing backtrace printed during a hit lies inside the hit's lines: it comes first
  for (const b of trace.backtraces) {
    if (line < b.line || line > b.endLine) continue;
    const i = b.frames.findIndex((f) => f.range.startLine <= line && line <= f.range.endLine);
    if (i >= 0) return { frame: b.frames[i], inner: frameContext(b.frames, i, undefined), hit: undefined };
  }
  const hit = hitAtLine(trace, line);
  if (hit) {
    if (hit.stop && hit.stop.range.startLine <= line && line <= hit.stop.range.endLine) return { frame: hit.stop, inner: frameContext([hit.stop, ...hit.frames.slice(1)], 0, hit.source?.text), hit };
    const i = hit.frames.findIndex((f) => f.range.startLine <= line && line <= f.range.endLine);
    if (i >= 0) return { frame: hit.frames[i], inner: frameContext(hit.frames, i, hit.source?.text), hit };
  }
  return undefined;
}
