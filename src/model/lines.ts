// The only module that knows gdb's (and qmp-shell's) line syntax. Everything here is pure string
// work: it classifies one line at a time and parses frame descriptions and argument lists, keeping
// exact columns so that every token can be mapped back to the document.

import { grown } from './columns';

/** A token on one line: 0-based line, UTF-16 columns [start, end). */
export interface Token {
  line: number;
  start: number;
  end: number;
}

/** A range that may cover several lines (a wrapped frame): 0-based lines, UTF-16 columns. */
export interface Span {
  startLine: number;
  startCol: number;
  endLine: number;
  endCol: number;
}

export type ValueKind =
  | 'pointer'
  | 'string'
  | 'symbol'
  | 'number'
  | 'char'
  | 'bool'
  | 'enum'
  | 'optimized-out'
  | 'struct'
  | 'elided'
  | 'other';

export interface FrameArg {
  /** As gdb names it, without a trailing `@entry`. */
  name: string;
  /** The value exactly as printed. */
  value: string;
  kind: ValueKind;
  /** gdb printed `name@entry=value`: the value on entry to the function. */
  entry: boolean;
  /** For pointer, string and symbol values: the pointer part (`0x5555560db1d8`). */
  pointer?: string;
  /** For string values: the text between the quotes, C escapes kept as printed. */
  text?: string;
  /** For symbol values: the symbol between `<` and `>`. */
  symbol?: string;
  nameRange: Token;
  valueRange: Token;
}

/** One `0x…` object pointer printed as (part of) an argument value; never 0x0. */
export interface PointerRef {
  value: string;
  arg: string;
  range: Token;
}

export const MAX_LINE_LENGTH = 100_000;

// ---------------------------------------------------------------------------------------------
// Line normalisation: quote prefixes from mail (`> `, `> > `), non-breaking spaces. Columns are
// preserved: the body starts at `offset` of the original line, and NBSP→space keeps lengths.

export interface Body {
  /** The line with quote prefix kept in place but NBSPs replaced; columns equal the document's. */
  text: string;
  /** Column where content starts (after quote prefixes and leading white space). */
  offset: number;
  /** Column where the quote prefix ends (white space after it counts as indentation). */
  quoteEnd: number;
}

// A non-breaking space, or its mojibake: UTF-8 C2 A0 read as Latin-1 (`Â` + NBSP) and saved
// again, as archived mail often has it. Each character becomes one space, so columns stay.
const NBSP = /\u00c2\u00a0|\u00a0/g;
const spaces = (m: string) => (m.length === 1 ? ' ' : '  ');

export function lineBody(raw: string): Body {
  const text = raw.indexOf('\u00a0') >= 0 ? raw.replace(NBSP, spaces) : raw;
  let i = 0;
  let quoteEnd = 0;
  const n = text.length;
  // quote prefixes: ">" optionally followed by one space, repeated
  while (i < n && text.charCodeAt(i) === 62 /* > */) {
    // `>bt` typed at gdb's "commands" prompt is also stripped: harmless, it was plain text anyway
    i++;
    if (i < n && text.charCodeAt(i) === 32) i++;
    quoteEnd = i;
  }
  while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return { text, offset: i, quoteEnd };
}

// ---------------------------------------------------------------------------------------------
// Line kinds

export type LineKind =
  | { kind: 'blank' }
  | { kind: 'hit'; header: HitHeader }
  | { kind: 'frame'; level: number; frame: FrameText }
  | { kind: 'source'; number: number; text: string; textStart: number }
  | { kind: 'prompt'; command: string; commandStart: number }
  | { kind: 'qmp-shell'; text: string; textStart: number }
  | { kind: 'trans'; text: string; textStart: number }
  | { kind: 'hmp'; text: string; textStart: number }
  | { kind: 'json'; text: string; textStart: number }
  /** `qbt-graph {json}`: QEMU's block graph read from its memory at a stop (resources/gdb/qemu_block_trace.py). */
  | { kind: 'recorded-graph'; json: string; textStart: number }
  | { kind: 'thread-header'; number: number; lwp: number | null; name: string | null; id: string }
  | { kind: 'thread-event'; text: string }
  | { kind: 'breakpoint-set'; number: number; file: string | null; line: number | null }
  | { kind: 'watch-value'; which: 'old' | 'new'; value: string }
  | { kind: 'separator' }
  | { kind: 'locals'; text: string }
  | { kind: 'bt-end'; text: string }
  /**
   * A line of QEMU's own trace (the `log` backend, `--trace 'qmp_*'`), in any of its three forms:
   * `PID@SEC.USEC:name args` (before 6.0), `name args`, `2025-07-21T18:43:28.089797Z name args` (10.1+).
   */
  | { kind: 'qemu-trace'; event: string; args: string; eventStart: number }
  | { kind: 'text'; text: string };

export interface HitHeader {
  thread: { number: number; name: string | null } | null;
  /** "breakpoint", "watchpoint" (any kind of watchpoint), "catchpoint". */
  kind: 'breakpoint' | 'watchpoint' | 'catchpoint';
  temporary: boolean;
  number: number;
  /** For breakpoints: the stop location, parsed like a frame. */
  frame: FrameText | null;
  /** For watchpoints: the watched expression. */
  expression: string | null;
}

/**
 * A frame description as it stands in the text: `[0xADDR in ]func [(args)] [at file:line | from lib]`.
 * `start` is the column (in `text`) where the description begins.
 */
export interface FrameText {
  text: string;
  start: number;
  /** Offsets in `text` of the `0x…` code address; -1 when there is none (frame #0, inlined frames). */
  addressStart: number;
  addressEnd: number;
  function: string;
  functionStart: number;
  /** Offsets in `text` of the argument list, without the parentheses; -1 when none. */
  argsStart: number;
  argsEnd: number;
  file: string | null;
  line: number | null;
  column: number | null;
  library: string | null;
  /** Offsets in `text` of the `file:line` token (or the library path); -1 when none. */
  locationStart: number;
  locationEnd: number;
  /** What the line still needs: it may continue on the next line. */
  open: 'args' | 'maybe-args' | 'maybe-location' | null;
}

const HIT_RE =
  /^(?:Thread (\d+)(?: "((?:[^"\\]|\\.)*)")? hit )?(Temporary breakpoint|Breakpoint|Hardware watchpoint|Hardware read watchpoint|Hardware access \(read\/write\) watchpoint|Read watchpoint|Acc watchpoint|Watchpoint|Catchpoint) (\d+)(?:\.\d+)?(?:, |: )/;
const THREAD_HEADER_RE =
  /^Thread (\d+) \((?:Thread (0x[0-9a-fA-F]+) \(LWP (\d+)\)|LWP (\d+)|process (\d+))(?: "((?:[^"\\]|\\.)*)")?\):?\s*$/;
const BREAKPOINT_SET_RE = /^(?:Breakpoint|Temporary breakpoint|Hardware assisted breakpoint) (\d+) at (0x[0-9a-fA-F]+)(?:: (?:file (.+), line (\d+)|([^.]+))\.?)?\s*$/;
const FRAME_RE = /^#(\d+) +/;
const SOURCE_RE = /^(\d+)\t/;
const SEPARATOR_RE = /^(?:={4,}|-{4,}|\*{4,})\s*$/;

/** Classify one line. `raw` must not contain line breaks. Never throws. */
export function classifyLine(raw: string): { body: Body; line: LineKind } {
  const body = lineBody(raw);
  if (body.offset >= body.text.length) return { body, line: { kind: 'blank' } };
  if (body.text.length > MAX_LINE_LENGTH) return { body, line: { kind: 'text', text: '' } };
  return { body, line: classifyAt(body.text, body.offset) };
}

function classifyAt(text: string, offset: number): LineKind {
  const c = text.charCodeAt(offset);
  const rest = offset === 0 ? text : text.slice(offset);
  switch (c) {
    case 35 /* # */: {
      const m = FRAME_RE.exec(rest);
      if (m) {
        const frame = parseFrameText(text, offset + m[0].length);
        if (frame) return { kind: 'frame', level: Number(m[1]), frame };
      }
      break;
    }
    case 40 /* ( */: {
      if (rest.startsWith('(gdb)')) {
        let s = offset + 5;
        while (s < text.length && text.charCodeAt(s) === 32) s++;
        return { kind: 'prompt', command: text.slice(s).trimEnd(), commandStart: s };
      }
      if (rest.startsWith('(QEMU)')) {
        let s = offset + 6;
        while (s < text.length && text.charCodeAt(s) === 32) s++;
        return { kind: 'qmp-shell', text: text.slice(s).trimEnd(), textStart: s };
      }
      if (rest.startsWith('(qemu)')) {
        let s = offset + 6;
        while (s < text.length && text.charCodeAt(s) === 32) s++;
        // The HMP prompt shares its line with whatever QEMU or gdb printed next
        // (`(qemu) [New Thread …]`, `(qemu) Thread 1 "…" hit Breakpoint 1, …`).
        if (s < text.length) {
          const after = classifyAt(text, s);
          if (after.kind !== 'text') return after;
        }
        return { kind: 'hmp', text: text.slice(s).trimEnd(), textStart: s };
      }
      break;
    }
    case 123 /* { */:
      return { kind: 'json', text: rest.trimEnd(), textStart: offset };
    case 91 /* [ */:
      if (/^\[(?:New Thread|New LWP|New process|Thread |Switching to|Inferior |LWP |Detaching|Current thread)/.test(rest)) {
        return { kind: 'thread-event', text: rest.trimEnd() };
      }
      break;
    case 113 /* q */:
      if (rest.startsWith('qbt-graph {')) return { kind: 'recorded-graph', json: rest.slice(10).trimEnd(), textStart: offset + 10 };
      break;
    case 84 /* T */: {
      if (rest.startsWith('TRANS>')) {
        let s = offset + 6;
        while (s < text.length && text.charCodeAt(s) === 32) s++;
        return { kind: 'trans', text: text.slice(s).trimEnd(), textStart: s };
      }
      if (rest.startsWith('Temporary breakpoint ')) {
        // `tbreak`'s answer (its hit, `Temporary breakpoint 7, f (…)`, is read below)
        const set = BREAKPOINT_SET_RE.exec(rest);
        if (set) return { kind: 'breakpoint-set', number: Number(set[1]), file: set[3] ?? null, line: set[4] ? Number(set[4]) : null };
      }
      if (rest.startsWith('Thread ')) {
        const h = parseHitHeader(text, offset);
        if (h) return { kind: 'hit', header: h };
        const t = THREAD_HEADER_RE.exec(rest);
        if (t) {
          const lwp = t[3] ?? t[4] ?? t[5];
          return {
            kind: 'thread-header',
            number: Number(t[1]),
            id: t[2] ?? (t[4] ? `LWP ${t[4]}` : `process ${t[5]}`),
            lwp: lwp ? Number(lwp) : null,
            name: t[6] ?? null,
          };
        }
      }
      if (rest.startsWith('Temporary breakpoint ')) {
        const h = parseHitHeader(text, offset);
        if (h) return { kind: 'hit', header: h };
      }
      break;
    }
    case 66 /* B */:
    case 72 /* H */:
    case 87 /* W */:
    case 82 /* R */:
    case 65 /* A */:
    case 67 /* C */: {
      if (c === 66 && rest.startsWith('Backtrace stopped')) return { kind: 'bt-end', text: rest.trimEnd() };
      const set = BREAKPOINT_SET_RE.exec(rest);
      if (set) {
        return { kind: 'breakpoint-set', number: Number(set[1]), file: set[3] ?? null, line: set[4] ? Number(set[4]) : null };
      }
      const h = parseHitHeader(text, offset);
      if (h) return { kind: 'hit', header: h };
      break;
    }
    case 79 /* O */:
    case 78 /* N */: {
      const w = /^(Old|New) value = (.*)$/.exec(rest);
      if (w) return { kind: 'watch-value', which: w[1] === 'Old' ? 'old' : 'new', value: w[2].trimEnd() };
      if (rest.startsWith('No locals.') || rest.startsWith('No symbol table info')) {
        return { kind: 'locals', text: rest.trimEnd() };
      }
      break;
    }
    case 61 /* = */:
    case 45 /* - */:
    case 42 /* * */:
      if (SEPARATOR_RE.test(rest)) return { kind: 'separator' };
      break;
    default:
      break;
  }
  if (c >= 48 && c <= 57) {
    const m = SOURCE_RE.exec(rest);
    if (m) {
      return { kind: 'source', number: Number(m[1]), text: rest.slice(m[0].length), textStart: offset + m[0].length };
    }
  }
  if (rest.startsWith('(More stack frames follow')) return { kind: 'bt-end', text: rest.trimEnd() };
  const t = qemuTrace(rest, offset);
  if (t) return t;
  return { kind: 'text', text: rest.trimEnd() };
}

// A trace line's prefix: the PID and time of QEMU before 6.0, or the UTC time of 10.1 and later.
const TRACE_PREFIX_RE = /^(?:\d+@\d+\.\d+:|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z )/;
const TRACE_EVENT_RE = /^([a-z][a-z0-9_]*)(?: (.*))?$/;
/** Events read without a prefix, where a plain line could otherwise be anything: those the model uses. */
const KNOWN_TRACE_EVENTS = /^(?:qmp_enter_\w+|qmp_exit_\w+|qmp_job_\w+|bdrv_open_common|blk_root_attach|blk_root_detach|job_state_transition|job_apply_verb|job_completed)$/;

/** Whether `line` is one of QEMU's trace lines (with its prefix, or one of the events the model reads). */
export function isQemuTraceLine(line: string): boolean {
  return qemuTrace(line, 0) !== null;
}

function qemuTrace(rest: string, offset: number): LineKind | null {
  const prefix = TRACE_PREFIX_RE.exec(rest);
  const body = prefix ? rest.slice(prefix[0].length) : rest;
  const m = TRACE_EVENT_RE.exec(body.trimEnd());
  if (!m || (!prefix && !KNOWN_TRACE_EVENTS.test(m[1]))) return null;
  // a prefixed line with an event name and arguments that look like QEMU's (`name=value`, JSON, words)
  if (prefix && m[2] === undefined && !KNOWN_TRACE_EVENTS.test(m[1])) return null;
  return { kind: 'qemu-trace', event: m[1], args: m[2] ?? '', eventStart: offset + (prefix ? prefix[0].length : 0) };
}

function parseHitHeader(text: string, offset: number): HitHeader | null {
  const rest = offset === 0 ? text : text.slice(offset);
  const m = HIT_RE.exec(rest);
  if (!m) return null;
  const what = m[3];
  const kind: HitHeader['kind'] = what.includes('atchpoint') ? 'watchpoint' : what === 'Catchpoint' ? 'catchpoint' : 'breakpoint';
  const after = offset + m[0].length;
  const thread = m[1] ? { number: Number(m[1]), name: m[2] ?? null } : null;
  if (kind === 'breakpoint') {
    const frame = parseFrameText(text, after);
    if (!frame) return null;
    return { thread, kind, temporary: what.startsWith('Temporary'), number: Number(m[4]), frame, expression: null };
  }
  return { thread, kind, temporary: false, number: Number(m[4]), frame: null, expression: text.slice(after).trim() || null };
}

// ---------------------------------------------------------------------------------------------
// Frame descriptions

const AT_RE = /^ at (.+?):(\d+)\s*$/;
const FROM_RE = /^ from (\S.*?)\s*$/;
// older gdb: `__start_context () at /lib64/libc.so.6` (a library, no line)
const AT_LIBRARY_RE = /^ at (\S+?)\s*$/;
// AddressSanitizer: `in func /path/file.c:442:10` or `in func (/lib/libasan.so.6+0x3f1e2)`
const SAN_LOCATION_RE = /^ (\S+?):(\d+)(?::(\d+))?(?: \(BuildId: [0-9a-f]+\))?\s*$/;
const SAN_MODULE_RE = /^ ?\(([^()=]+)\+0x[0-9a-fA-F]+\)(?: \(BuildId: [0-9a-f]+\))?\s*$/;

/**
 * Parse `[0xADDR in ]func[ (args)][ at file:line| from lib]` starting at column `start` of `text`.
 * Returns null only when nothing frame-like is there.
 */
export function parseFrameText(text: string, start: number): FrameText | null {
  const n = text.length;
  // one record, filled in as the line is read
  const f: FrameText = {
    text,
    start,
    addressStart: -1,
    addressEnd: -1,
    function: '',
    functionStart: start,
    argsStart: -1,
    argsEnd: -1,
    file: null,
    line: null,
    column: null,
    library: null,
    locationStart: -1,
    locationEnd: -1,
    open: null,
  };
  let i = start;
  if (text.charCodeAt(i) === 48 /* 0 */ && text.charCodeAt(i + 1) === 120 /* x */) {
    let j = i + 2;
    while (j < n && isHex(text.charCodeAt(j))) j++;
    if (j > i + 2) {
      f.addressStart = i;
      f.addressEnd = j;
      i = j;
      if (text.startsWith(' in ', i)) {
        i += 4;
        // a space doubled by mail (an NBSP and its mojibake read as two spaces)
        while (text.charCodeAt(i) === 32) i++;
      } else if (text.startsWith(' (', i) || text.startsWith(' in', i)) {
        // sanitizer frame with no function: `#2 0x55d3 (/usr/bin/qemu+0x1234)`
        f.function = '??';
        f.functionStart = i;
        if (withModule(f, i)) return f;
        if (text.startsWith(' in', i) && i + 3 === n) i += 3;
        else return null;
      } else if (i >= n) {
        f.function = '??';
        f.functionStart = i;
        return f;
      } else {
        return null;
      }
    }
  }
  // function name
  f.functionStart = i;
  if (text.charCodeAt(i) === 60 /* < */) {
    const close = text.indexOf('>', i);
    if (close < 0) return null;
    f.function = text.slice(i, close + 1);
    i = close + 1;
  } else {
    let j = i;
    while (j < n) {
      const ch = text.charCodeAt(j);
      if (ch === 32 || ch === 40 /* ( */ || ch === 9) break;
      j++;
    }
    f.function = text.slice(i, j);
    i = j;
    // C, C++ and linker names, `??`; not the debris of a damaged line
    if (f.function !== '' && !FUNCTION_START.test(f.function)) return null;
  }
  if (f.addressStart < 0 && f.function === '') return null;
  // arguments
  let k = i;
  while (k < n && text.charCodeAt(k) === 32) k++;
  if (k < n && text.charCodeAt(k) === 40 /* ( */ && !(text.charCodeAt(k + 1) === 47 /* / */ && SAN_MODULE_RE.test(text.slice(i)))) {
    f.argsStart = k + 1;
    // Fast path, nearly every frame: the argument list closes right before ` at file:line` or
    // ` from lib` at the end of the line, so it need not be scanned character by character.
    // (Not when a quote follows: then that `) at ` is inside a string argument, `a=") at x"`, and
    // the list is read character by character.)
    const at = text.lastIndexOf(') at ');
    const close = at >= 0 ? at : text.lastIndexOf(') from ');
    if (close >= f.argsStart - 1 && text.indexOf('"', close) < 0 && text.indexOf("'", close) < 0) {
      f.argsEnd = close;
      if (withLocation(f, close + 1) && f.open === null) return f;
    }
    const end = findClosingParen(text, f.argsStart);
    if (end < 0) {
      // wrapped mid-argument-list (gdb 13) or cut off: the next line may continue it
      f.argsEnd = n;
      f.open = 'args';
      return f;
    }
    f.argsEnd = end;
    return withLocation(f, end + 1);
  }
  if (k >= n) {
    // `#1  0x… in bdrv_attach_child_common` with the argument list on the next line
    f.open = f.function.startsWith('<') ? null : 'maybe-args';
    return f;
  }
  return withLocation(f, i);
}

const FUNCTION_START = /^(?:[A-Za-z_$~]|\?\?)/;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Read what follows the argument list (from `i`): ` at file:line`, ` from lib`, sanitizer forms. */
function withLocation(f: FrameText, i: number): FrameText | null {
  const text = f.text;
  f.open = null;
  // fast path for ` at FILE:LINE` ending the line, without slicing or regular expressions
  if (text.startsWith(' at ', i)) {
    const colon = text.lastIndexOf(':');
    let end = text.length;
    while (end > colon && text.charCodeAt(end - 1) === 32) end--;
    let lineNo = 0;
    let k = colon + 1;
    for (; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c < 48 || c > 57) break;
      lineNo = lineNo * 10 + (c - 48);
    }
    // a path with spaces falls through to the regular expression below
    if (colon > i + 4 && k === end && end > colon + 1 && !hasSpace(text, i + 4, colon)) {
      return located(f, text.slice(i + 4, colon), lineNo, null, i + 4, end);
    }
  }
  const tail = text.slice(i);
  if (tail.trim() === '') {
    f.open = 'maybe-location';
    return f;
  }
  let m = AT_RE.exec(tail);
  if (m) return located(f, m[1], Number(m[2]), null, i + 4, i + 4 + m[1].length + 1 + m[2].length);
  const from = FROM_RE.exec(tail);
  m = from ?? AT_LIBRARY_RE.exec(tail);
  if (m) {
    // right after `from ` or `at ` (not where the name first appears: a library called `t`)
    const at = i + (from ? 6 : 4);
    f.library = m[1];
    f.locationStart = at;
    f.locationEnd = at + m[1].length;
    return f;
  }
  m = SAN_LOCATION_RE.exec(tail);
  if (m) {
    const len = m[1].length + 1 + m[2].length + (m[3] ? 1 + m[3].length : 0);
    return located(f, m[1], Number(m[2]), m[3] ? Number(m[3]) : null, i + 1, i + 1 + len);
  }
  return withModule(f, i) ? f : null;
}

/** A sanitizer's `(/path/module.so+0x1234)` after the function (from `i`): the module is the library. */
function withModule(f: FrameText, i: number): boolean {
  const tail = f.text.slice(i);
  const m = SAN_MODULE_RE.exec(tail);
  if (!m) return false;
  const at = i + tail.indexOf('(') + 1;
  f.library = m[1];
  f.locationStart = at;
  f.locationEnd = at + m[1].length;
  return true;
}

function located(f: FrameText, file: string, line: number, column: number | null, from: number, to: number): FrameText {
  f.file = file;
  f.line = line;
  f.column = column;
  f.locationStart = from;
  f.locationEnd = to;
  return f;
}

function hasSpace(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) === 32) return true;
  return false;
}

/**
 * Continue an open frame with the next line. `joined` is the frame text so far; the caller appends
 * the continuation (with one space where gdb broke the line) and calls this again.
 * Returns whether `cont` (trimmed) can continue a frame whose state is `open`.
 */
export function continuesFrame(open: FrameText['open'], cont: string): boolean {
  switch (open) {
    case 'args':
      return cont.length > 0;
    case 'maybe-args':
      return cont.startsWith('(');
    case 'maybe-location':
      return cont.startsWith('at ') || cont.startsWith('from ');
    default:
      return false;
  }
}

/** Where findClosingParen looks: quotes and brackets, found by the regular expression engine rather than character by character. */
const PAREN_STOPS = /["'(){}[\]]/g;

/** Index of the `)` closing the argument list that starts at `from`, or -1. */
export function findClosingParen(text: string, from: number): number {
  let depth = 0;
  const stops = PAREN_STOPS;
  stops.lastIndex = from;
  for (let m = stops.exec(text); m !== null; m = stops.exec(text)) {
    const i = m.index;
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */ || ch === 39 /* ' */) {
      const q = skipQuoted(text, i);
      if (q < 0) return -1;
      stops.lastIndex = q + 1;
    } else if (ch === 40 || ch === 123 /* { */ || ch === 91 /* [ */) {
      depth++;
    } else if (ch === 125 || ch === 93) {
      depth--;
    } else if (ch === 41 /* ) */) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Index of the closing quote of the quoted run opening at `i`, or -1 if it never closes. */
function skipQuoted(text: string, i: number): number {
  const q = text.charCodeAt(i);
  const n = text.length;
  for (let j = i + 1; j < n; j++) {
    const ch = text.charCodeAt(j);
    if (ch === 92 /* \ */) j++;
    else if (ch === q) return j;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Argument lists

export interface RawArg {
  name: string;
  entry: boolean;
  value: string;
  nameStart: number;
  valueStart: number;
}

/**
 * The items of an argument list (`a=1, b=0x5 "x, y", c=<optimized out>`), as (itemStart, eq,
 * itemEnd) triples in ITEMS, offsets into `text`; `eq` is -1 for an item without `=` at its top
 * level. Returns how many. One buffer, reused: read it before the next call.
 *
 * The last list scanned is remembered: a frame is asked for its pointers and then for one argument
 * after another (identities look up `bs`, `drv`, `child_class`, `filename` of the same frame), and
 * each lookup would scan its whole list again.
 */
let ITEMS = new Int32Array(3 * 64);
let scannedText = '';
let scannedStart = -1;
let scannedEnd = -1;
let scannedCount = 0;
function scanItems(text: string, start: number, end: number): number {
  if (scannedStart === start && scannedEnd === end && scannedText === text) return scannedCount;
  scannedCount = scanItemsAfresh(text, start, end);
  scannedText = text;
  scannedStart = start;
  scannedEnd = end;
  return scannedCount;
}

/** The characters scanItems acts on: quotes, brackets, `<` `>`, `=` and `,`. */
const ITEM_STOPS = new Uint8Array(128);
for (const c of '"\'(){}[]<>=,') ITEM_STOPS[c.charCodeAt(0)] = 1;

function scanItemsAfresh(text: string, start: number, end: number): number {
  let count = 0;
  let i = start;
  while (i < end) {
    while (i < end && text.charCodeAt(i) === 32) i++;
    if (i >= end) break;
    const itemStart = i;
    let depth = 0;
    let eq = -1;
    let j = i;
    for (; j < end; j++) {
      const ch = text.charCodeAt(j);
      // most characters are none of those below: one look in a table
      if (ch >= 128 || ITEM_STOPS[ch] === 0) continue;
      if (ch === 34 || (ch === 39 && eq >= 0)) {
        const q = skipQuoted(text, j);
        j = q < 0 || q > end ? end - 1 : q;
      } else if (ch === 40 || ch === 123 || ch === 91) depth++;
      else if (ch === 41 || ch === 125 || ch === 93) depth--;
      else if (ch === 60 /* < */ && (j === itemStart || text.charCodeAt(j - 1) === 32 || text.charCodeAt(j - 1) === 61)) depth++;
      else if (ch === 62 /* > */ && depth > 0) depth--;
      else if (ch === 61 /* = */ && eq < 0 && depth === 0) eq = j;
      else if (ch === 44 /* , */ && depth <= 0) break;
    }
    let itemEnd = j;
    while (itemEnd > itemStart && text.charCodeAt(itemEnd - 1) === 32) itemEnd--;
    if (itemEnd > itemStart) {
      if (3 * count + 3 > ITEMS.length) ITEMS = grown(ITEMS);
      ITEMS[3 * count] = itemStart;
      ITEMS[3 * count + 1] = eq;
      ITEMS[3 * count + 2] = itemEnd;
      count++;
    }
    i = j + 1;
  }
  return count;
}

/** `text[from, to)` is a C identifier, optionally followed by `@entry`. */
function isArgName(text: string, from: number, to: number): boolean {
  let e = to;
  if (e - from > 6 && text.startsWith('@entry', e - 6)) e -= 6;
  if (e <= from) return false;
  for (let k = from; k < e; k++) {
    const c = text.charCodeAt(k);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
    if (!letter && (k === from || c < 48 || c > 57)) return false;
  }
  return true;
}

/**
 * The argument `name` of a list, as splitArgs would give it: the first one not marked `@entry`,
 * else the first `@entry` one; found without splitting the others.
 */
export function findArg(text: string, start: number, end: number, name: string): RawArg | undefined {
  // (scanned first: the scan may give ITEMS a larger buffer)
  const n = scanItems(text, start, end);
  return findArgIn(text, ITEMS, n, name);
}

/** The items of an argument list, as scanItems reads them, in an array of their own: for a frame asked for one argument after another. */
export function argItems(text: string, start: number, end: number): number[] {
  const n = 3 * scanItems(text, start, end);
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) out[k] = ITEMS[k];
  return out;
}

/** findArg, in the `count` items `items` of a list (argItems). */
export function findArgIn(text: string, items: ArrayLike<number>, count: number, name: string): RawArg | undefined {
  let entry: RawArg | undefined;
  const ITEMS = items;
  for (let k = 0; k < count; k++) {
    const itemStart = ITEMS[3 * k];
    const eq = ITEMS[3 * k + 1];
    if (!text.startsWith(name, itemStart)) continue;
    const after = itemStart + name.length;
    const isEntry = after !== eq;
    if (isEntry && (entry !== undefined || eq !== after + 6 || !text.startsWith('@entry', after))) continue;
    if (!isArgName(text, itemStart, eq)) continue;
    const arg = { name, entry: isEntry, value: text.slice(eq + 1, ITEMS[3 * k + 2]), nameStart: itemStart, valueStart: eq + 1 };
    if (!isEntry) return arg;
    entry = arg;
  }
  return entry;
}

/** Split `a=1, b=0x5 "x, y", c=<optimized out>` (offsets relative to `text`). */
export function splitArgs(text: string, start: number, end: number): RawArg[] {
  const args: RawArg[] = [];
  const n = scanItems(text, start, end);
  for (let k = 0; k < n; k++) {
    const itemStart = ITEMS[3 * k];
    const eq = ITEMS[3 * k + 1];
    const itemEnd = ITEMS[3 * k + 2];
    if (eq > 0 && isArgName(text, itemStart, eq)) {
      let name = text.slice(itemStart, eq);
      const entry = name.endsWith('@entry');
      if (entry) name = name.slice(0, -6);
      args.push({ name, entry, value: text.slice(eq + 1, itemEnd), nameStart: itemStart, valueStart: eq + 1 });
    } else {
      args.push({ name: '', entry: false, value: text.slice(itemStart, itemEnd), nameStart: itemStart, valueStart: itemStart });
    }
  }
  return args;
}

/**
 * The arguments whose value is an object pointer other than 0x0, as `classifyValue` reads values
 * (`0x…`, `0x… "text"`, `0x… <symbol>`), found without splitting the rest: what identities need
 * from every frame. `start` is the pointer's offset in `text`.
 */
export function pointerArgs(text: string, start: number, end: number): { name: string; value: string; start: number }[] {
  const out: { name: string; value: string; start: number }[] = [];
  const n = scanItems(text, start, end);
  for (let k = 0; k < n; k++) {
    const itemStart = ITEMS[3 * k];
    const eq = ITEMS[3 * k + 1];
    const itemEnd = ITEMS[3 * k + 2];
    // as splitArgs: an item that is not `name=value` is a value without a name
    const named = eq > 0 && isArgName(text, itemStart, eq);
    const v = named ? eq + 1 : itemStart;
    if (text.charCodeAt(v) !== 48 || text.charCodeAt(v + 1) !== 120 /* 0x */) continue;
    let h = v + 2;
    for (let c = text.charCodeAt(h); h < itemEnd && ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)); c = text.charCodeAt(++h));
    if (h === v + 2) continue;
    if (h < itemEnd) {
      // the same three forms as classifyValue's patterns, on the item in place
      const rest = text.slice(h, itemEnd);
      if (!POINTER_STRING_REST.test(rest) && !POINTER_SYMBOL_REST.test(rest)) continue;
    }
    const value = text.slice(v, h);
    if (value === '0x0') continue;
    let name = named ? text.slice(itemStart, eq) : '';
    if (name.endsWith('@entry')) name = name.slice(0, -6);
    out.push({ name, value, start: v });
  }
  return out;
}

const POINTER_STRING_REST = /^ "(?:[^"\\]|\\.)*"/;
const POINTER_SYMBOL_REST = /^ <.+>$/;
const POINTER_ONLY = /^0x[0-9a-fA-F]+$/;
const POINTER_STRING = /^(0x[0-9a-fA-F]+) "((?:[^"\\]|\\.)*)"/;
const POINTER_SYMBOL = /^(0x[0-9a-fA-F]+) <(.+)>$/;
const NUMBER = /^-?(?:\d+(?:\.\d+)?(?:e[-+]?\d+)?|inf|nan\(0x[0-9a-f]+\))$/;
const CHAR = /^-?\d+ '(?:[^'\\]|\\.+)'$/;
const IDENT = /^[A-Za-z_][\w:]*$/;

/** The text of a printed C string with gdb's quote and backslash escapes undone (`a\"b` → `a"b`). */
export function unescapeC(text: string): string {
  return text.replace(/\\(["\\'])/g, '$1');
}

/** What kind of value gdb printed, and its pointer, text or symbol parts. */
export function classifyValue(value: string): { kind: ValueKind; pointer?: string; text?: string; symbol?: string } {
  const c = value.charCodeAt(0);
  if (c === 48 /* 0 */ && value.charCodeAt(1) === 120 /* x */) {
    if (POINTER_ONLY.test(value)) return { kind: 'pointer', pointer: value };
    let m = POINTER_STRING.exec(value);
    if (m) return { kind: 'string', pointer: m[1], text: m[2] };
    m = POINTER_SYMBOL.exec(value);
    if (m) return { kind: 'symbol', pointer: m[1], symbol: m[2] };
    return { kind: 'other' };
  }
  if (value === '<optimized out>') return { kind: 'optimized-out' };
  if (value === 'true' || value === 'false') return { kind: 'bool' };
  if (value === '...') return { kind: 'elided' };
  if (c === 34 /* " */) {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(value);
    return m ? { kind: 'string', text: m[1] } : { kind: 'other' };
  }
  if (c === 123 /* { */) return { kind: 'struct' };
  if (NUMBER.test(value)) return { kind: 'number' };
  if (CHAR.test(value)) return { kind: 'char' };
  if (IDENT.test(value) || /^\([A-Za-z_]\w*(?: \| [A-Za-z_]\w*)+\)$/.test(value)) return { kind: 'enum' };
  return { kind: 'other' };
}
