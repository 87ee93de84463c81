// How hits are grouped, labelled, filtered and found, for the Hits tree (and anything else that
// lists hits). Pure: no vscode; reads backtraces as text where it can, so that listing 40,000 hits
// does not build their frames.

import { frameOnLine, isPlumbingFrame, type Frame } from './frames';
import type { Identities } from './identities';
import { basename } from './paths';
import { hitAtLine } from './positions';
import { commandLabel, type QmpCommand } from './qmp';
import type { Backtrace, Hit, Trace } from './trace';

export type Grouping = 'command' | 'thread' | 'breakpoint' | 'caller' | 'flat';

export const GROUPINGS: readonly { id: Grouping; label: string; detail: string }[] = [
  { id: 'command', label: 'QMP Command', detail: 'the command that caused each hit' },
  { id: 'caller', label: 'Caller (frame #1)', detail: 'the function that called the breakpoint' },
  { id: 'thread', label: 'Thread', detail: 'the thread that hit the breakpoint' },
  { id: 'breakpoint', label: 'Breakpoint', detail: 'which breakpoint or watchpoint' },
  { id: 'flat', label: 'None (flat list)', detail: 'every hit in log order' },
];

export interface HitGroup {
  /** Stable within a grouping across re-parses of the same log. */
  key: string;
  label: string;
  hits: Hit[];
  /** For command groups: the command (null for hits before any command). */
  command?: QmpCommand | null;
}

/** Group the hits of a trace; groups in order of their first hit (commands in log order). */
export function groupHits(trace: Trace, by: Grouping, hits: readonly Hit[] = trace.hits): HitGroup[] {
  if (by === 'flat') return [{ key: 'all', label: 'All hits', hits: [...hits] }];
  if (by === 'command') {
    const groups: HitGroup[] = [];
    const before = hits.filter((h) => h.command === null);
    if (before.length > 0) groups.push({ key: 'before', label: 'Before any command', hits: before, command: null });
    const seen = new Map<string, number>();
    const byCommand = new Map<number, Hit[]>();
    for (const h of hits) if (h.command !== null) (byCommand.get(h.command) ?? byCommand.set(h.command, []).get(h.command)!).push(h);
    trace.commands.forEach((c, i) => {
      const label = commandLabel(c);
      // the same command twice gets the same key plus its occurrence, stable when other text changes
      const n = (seen.get(label) ?? 0) + 1;
      seen.set(label, n);
      const own = byCommand.get(i);
      if (own || hits === trace.hits) groups.push({ key: `${label}#${n}`, label, hits: own ?? [], command: c });
    });
    return groups;
  }
  const map = new Map<string, HitGroup>();
  for (const h of hits) {
    const key = groupKey(trace, h, by);
    let g = map.get(key);
    if (!g) {
      g = { key, label: key, hits: [] };
      map.set(key, g);
    }
    g.hits.push(h);
  }
  const groups = [...map.values()];
  // callers: the most frequent first, as a profile reads
  if (by === 'caller') groups.sort((a, b) => b.hits.length - a.hits.length || a.label.localeCompare(b.label));
  return groups;
}

function groupKey(trace: Trace, h: Hit, by: Exclude<Grouping, 'flat' | 'command'>): string {
  switch (by) {
    case 'thread':
      return h.thread ? `Thread ${h.thread.number}${h.thread.name ? ` "${h.thread.name}"` : ''}` : 'Thread (not named by gdb)';
    case 'breakpoint': {
      const kind = h.kind === 'watchpoint' ? 'Watchpoint' : h.kind === 'catchpoint' ? 'Catchpoint' : 'Breakpoint';
      const def = trace.breakpoints.find((b) => b.number === h.breakpoint);
      const where = h.kind === 'watchpoint' ? h.watch?.expression : (h.stop?.function ?? (def?.file ? `${basename(def.file)}:${def.line}` : null));
      return `${kind} ${h.breakpoint}${where ? ` — ${where}` : ''}`;
    }
    case 'caller':
      return callerOf(h) ?? '(no caller printed)';
  }
}

/** The function of frame #1 (the breakpoint's caller), read from the backtrace text alone. */
export function callerOf(hit: Hit): string | null {
  const bt = hit.backtrace;
  if (!bt) return null;
  // its frames' rows when they are read, or else the line of #1 alone (the rows when it is not plain)
  const text = bt.text;
  const at = bt.isParsed ? -1 : text.indexOf('\n#1 ');
  if (at < 0) return bt.functionAt(1) ?? null;
  const end = text.indexOf('\n', at + 1);
  return frameOnLine(text.slice(at + 1, end < 0 ? text.length : end))?.frame.function ?? null;
}

/** `block.c:2843`, or the library's file name, or null. */
export function shortLocation(frame: Frame | null): string | null {
  if (!frame) return null;
  if (frame.file !== null) return `${basename(frame.file)}:${frame.line}`;
  if (frame.library !== null) return basename(frame.library);
  return null;
}

/** Where the run of plumbing frames that ends the stack starts (frames.length when there is none). */
export function plumbingStart(frames: readonly Frame[]): number {
  let i = frames.length;
  while (i > 0 && isPlumbingFrame(frames[i - 1])) i--;
  // a stack that is all plumbing keeps its first frame visible
  return Math.max(i, Math.min(1, frames.length));
}

// Where a thread waits rather than works: locks, condition variables, events, futexes, polling.
const WAITING = /^(?:qemu_(?:cond|mutex|rec_mutex|event|futex|sem|lockcnt|co_mutex|co_queue|poll)_\w+|qemu_poll_ns|ppoll|poll|__?\w*poll\w*|syscall|__\w+|pthread_\w+|futex_\w+|\w+@@GLIBC\w*)$/;

/** Whether a frame is QEMU's own code (not the C library, glib or the kernel's entry). */
function isQemuCode(f: Frame): boolean {
  return f.library === null && f.file !== null && !/^\.\/|sysdeps\/|^\/usr\//.test(f.file);
}

/**
 * The frame that says what a thread is doing: its innermost frame of QEMU's own code that is
 * neither a wait primitive nor event-loop plumbing (`worker_thread`, `bdrv_replace_child_noperm`);
 * for an idle thread, its loop (`iothread_run`).
 */
export function innermostInterestingFrame(frames: readonly Frame[]): Frame | undefined {
  return (
    frames.find((f) => isQemuCode(f) && !WAITING.test(f.function) && !isPlumbingFrame(f)) ??
    frames.find((f) => isQemuCode(f) && !WAITING.test(f.function) && !/^(?:qemu_thread_start|start_thread|clone3?|main|qemu_main)$/.test(f.function)) ??
    frames.find((f) => f.function !== '' && f.function !== '??')
  );
}

/** How a free-standing backtrace is named in lists: `Thread 3 "IO iothread0": iothread_run`. */
export function backtraceLabel(b: Backtrace): string {
  const who = b.thread ? `Thread ${b.thread.number}${b.thread.name ? ` "${b.thread.name}"` : ''}` : b.kind === 'sanitizer' ? 'Sanitizer report' : 'Backtrace';
  const f = innermostInterestingFrame(b.frames);
  return f ? `${who}: ${f.function}` : who;
}

/** Whether a free-standing backtrace matches a filter: its title or anything printed in it. */
export function backtraceMatches(b: Backtrace, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  if (/^#\d+$/.test(q)) return false;
  return (b.title?.toLowerCase().includes(q) ?? false) || b.text.text.toLowerCase().includes(q);
}

/**
 * Whether a hit matches a filter: its command, its stop function, or anything printed in its
 * backtrace (function names, pointers, node names in string arguments, file names). Case-insensitive.
 */
export function hitMatches(trace: Trace, hit: Hit, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  // `#21` names hit 21 (not frame #21 of every deep stack)
  if (/^#\d+$/.test(q)) return `#${hit.index}` === q;
  const cmd = hit.command === null ? null : trace.commands[hit.command];
  if (cmd && commandLabel(cmd).toLowerCase().includes(q)) return true;
  if (hit.job?.toLowerCase().includes(q)) return true;
  if (hit.stop?.function.toLowerCase().includes(q)) return true;
  return (hit.backtrace?.text.toLowerCase().includes(q) ?? false) || (hit.stop?.args.some((a) => a.value.toLowerCase().includes(q)) ?? false);
}

/**
 * The hits (and free-standing backtraces, by first line) that print a pointer of an object named
 * `query` (a node name, job id, device or export id), in that object's lifetime: after the line
 * that names it, a log shows only its address. Edges are left out: their names (`root`, `file`)
 * are shared by many.
 */
export function hitsOfNamedObjects(trace: Trace, ids: Identities, query: string): { hits: Set<number>; backtraces: Set<number> } {
  const q = query.trim().toLowerCase();
  const hits = new Set<number>();
  const backtraces = new Set<number>();
  if (q === '' || q.startsWith('#')) return { hits, backtraces };
  // the whole name, or the start of it from three letters on (`over` for over01): `0` is no name
  const names = (name: string) => name === q || (q.length >= 3 && name.startsWith(q));
  const inBacktrace = (line: number) => trace.backtraces.find((b) => b.line <= line && line <= b.endLine);
  const lines = ids.linesOf((id) => id.kind !== 'edge' && id.kind !== 'transaction' && !!id.name && names(id.name.toLowerCase()));
  for (const line of lines) {
    const b = trace.backtraces.length > 0 ? inBacktrace(line) : undefined;
    if (b) backtraces.add(b.line);
    else {
      const h = hitAtLine(trace, line);
      if (h) hits.add(h.index);
    }
  }
  return { hits, backtraces };
}

/** Why a command was inferred, in words. */
export function inferredBecause(cmd: QmpCommand): string | null {
  if (cmd.origin !== 'inferred' || !cmd.inferredFrom) return null;
  const f = cmd.inferredFrom;
  return `No command line in the log: inferred from frame #${f.frame} ${f.function} of hit #${f.hit}.`;
}
