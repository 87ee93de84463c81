// Frames: one object per printed frame, and the assembly of frames from a backtrace's text (joining
// what gdb wrapped onto continuation lines). backtraceText.ts keeps each backtrace as text and its
// frames as rows, and makes Frame objects of them on first use.

import {
  classifyLine,
  classifyValue,
  continuesFrame,
  argItems,
  findArg,
  findArgIn,
  lineBody,
  parseFrameText,
  pointerArgs,
  splitArgs,
  type FrameArg,
  type FrameText,
  type PointerRef,
  type RawArg,
  type Span,
  type Token,
} from './lines';

/** One piece of a wrapped frame: where `joined[from…]` sits in the document. */
export interface Segment {
  from: number;
  line: number;
  col: number;
}

/** An argument's value and what it is, without its place in the document. */
export type ArgValue = Pick<FrameArg, 'value' | 'kind' | 'pointer' | 'text' | 'symbol'>;

/** Where the parser tells what it did not understand: a diagnostic code and a document line. */
export type Report = (code: 'unparsed-frame' | 'truncated-frame', line: number) => void;

/**
 * Where the pointers of frames read as plain ones are (a trace's FrameStore, backtraceText.ts):
 * entry k is `addresses[table[3k]]`, argument `names[table[3k + 1]]`, at column `table[3k + 2]`.
 */
export interface PointerTable {
  readonly pointerTable: Int32Array;
  readonly addresses: readonly string[];
  readonly names: readonly string[];
}

/** One frame of a backtrace, or the stop location of a hit. */
export class Frame {
  // One object per frame, fields copied out of the parser's FrameText: every object more is work
  // for the garbage collector when hundreds of thousands of frames are alive.
  readonly function: string;
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly library: string | null;
  /** gdb's line ended before the frame did (cut off, or a continuation that never came). */
  readonly incomplete: boolean;
  private readonly text: string;
  private readonly start: number;
  private readonly addressStart: number;
  private readonly addressEnd: number;
  private readonly functionStart: number;
  private readonly argsStart: number;
  private readonly argsEnd: number;
  private readonly locationStart: number;
  private readonly locationEnd: number;
  /** Lazily parsed: most features never look at most frames' arguments. */
  private parsedArgs: FrameArg[] | undefined;
  /** Its pointers when they were read with its row: `store.pointerTable`, from entry `pointerAt` on. */
  private pointerStore: PointerTable | null = null;
  /** Its argument list's items once scanned (argValue). */
  private items: number[] | undefined = undefined;
  private pointerAt = 0;
  private pointerCount = 0;

  constructor(
    /** Frame number (`#3` → 3); -1 for a hit's stop location. */
    readonly level: number,
    source: FrameText,
    /** The document line of a one-line frame, or where each piece of a wrapped frame sits. */
    private readonly place: number | readonly Segment[],
    /** Its names are the one copy already (a frame made again from its row). */
    interned = false,
  ) {
    this.function = interned ? source.function : intern(source.function);
    this.file = source.file === null || interned ? source.file : intern(source.file);
    this.line = source.line;
    this.column = source.column;
    this.library = source.library === null || interned ? source.library : intern(source.library);
    this.incomplete = source.open === 'args' || source.open === 'maybe-args';
    this.text = source.text;
    this.start = source.start;
    this.addressStart = source.addressStart;
    this.addressEnd = source.addressEnd;
    this.functionStart = source.functionStart;
    this.argsStart = source.argsStart;
    this.argsEnd = source.argsEnd;
    this.locationStart = source.locationStart;
    this.locationEnd = source.locationEnd;
  }

  get address(): string | null {
    return this.addressStart < 0 ? null : this.text.slice(this.addressStart, this.addressEnd);
  }
  /** The document line where the frame starts. */
  get logLine(): number {
    return typeof this.place === 'number' ? this.place : this.place[0].line;
  }
  /** No address on a frame below #0: gdb's mark of a function inlined into the next frame. */
  get inlined(): boolean {
    return this.level > 0 && this.addressStart < 0;
  }
  /** The whole frame, from `#N` (or the function for a stop location) to its last character. */
  get range(): Span {
    const segments = this.segments;
    const first = segments[0];
    const last = segments[segments.length - 1];
    let end = this.text.length;
    while (end > 0 && this.text.charCodeAt(end - 1) === 32) end--;
    const startCol = this.level >= 0 ? this.text.lastIndexOf('#', this.start) : this.start;
    return { startLine: first.line, startCol: Math.max(startCol, first.col), endLine: last.line, endCol: last.col + (end - last.from) };
  }
  get addressRange(): Token | null {
    return this.addressStart < 0 ? null : this.token(this.addressStart, this.addressEnd);
  }
  get functionRange(): Token | null {
    return this.function === '' ? null : this.token(this.functionStart, this.functionStart + this.function.length);
  }
  /** The `file:line` token (or `file:line:col`), or the library path for library frames. */
  get locationRange(): Token | null {
    return this.locationStart < 0 ? null : this.token(this.locationStart, this.locationEnd);
  }
  /** The argument list as printed (joined when gdb wrapped it), without the parentheses. */
  get argsText(): string {
    return this.argsStart < 0 ? '' : this.text.slice(this.argsStart, this.argsEnd);
  }
  get args(): FrameArg[] {
    if (this.parsedArgs === undefined) this.parsedArgs = this.parseArgs();
    return this.parsedArgs;
  }
  /** Every object pointer among the arguments, with its exact range (read without parsing the others). */
  get pointers(): PointerRef[] {
    const out: PointerRef[] = [];
    if (this.pointerStore !== null) {
      this.eachPointer((value, arg, line, start, end) => out.push({ value, arg, range: { line, start, end } }));
      return out;
    }
    if (this.parsedArgs !== undefined) {
      for (const a of this.parsedArgs) {
        if (a.pointer !== undefined && a.pointer !== '0x0') {
          out.push({ value: a.pointer, arg: a.name, range: { line: a.valueRange.line, start: a.valueRange.start, end: a.valueRange.start + a.pointer.length } });
        }
      }
      return out;
    }
    if (this.argsStart < 0) return out;
    // a list without `0x` holds no pointer: not scanned (main_loop_wait (nonblocking=false), …)
    const hex = this.text.indexOf('0x', this.argsStart);
    if (hex < 0 || hex >= this.argsEnd) return out;
    for (const p of pointerArgs(this.text, this.argsStart, this.argsEnd)) out.push({ value: p.value, arg: p.name, range: this.token(p.start, p.start + p.value.length) });
    return out;
  }
  /**
   * Each of its pointers, as `pointers` gives them, without making an object for each: `visit(value,
   * arg, line, start, end, address)`, `address` the number of the value in its `pointerSource` (-1 without one).
   */
  eachPointer(visit: (value: string, arg: string, line: number, start: number, end: number, address: number) => void): void {
    const store = this.pointerStore;
    if (store === null) {
      for (const p of this.pointers) visit(p.value, p.arg, p.range.line, p.range.start, p.range.end, -1);
      return;
    }
    const table = store.pointerTable;
    const addresses = store.addresses;
    const names = store.names;
    if (typeof this.place !== 'number') {
      // a wrapped frame's: offsets in its joined text
      for (let k = this.pointerAt, e = this.pointerAt + this.pointerCount; k < e; k++) {
        const value = addresses[table[3 * k]];
        const t = this.token(table[3 * k + 2], table[3 * k + 2] + value.length);
        visit(value, names[table[3 * k + 1]], t.line, t.start, t.end, table[3 * k]);
      }
      return;
    }
    const line = this.place;
    for (let k = this.pointerAt, e = this.pointerAt + this.pointerCount; k < e; k++) {
      const value = addresses[table[3 * k]];
      const start = table[3 * k + 2];
      visit(value, names[table[3 * k + 1]], line, start, start + value.length, table[3 * k]);
    }
  }

  /** The table its pointers are in, whose address numbers `eachPointer` gives (null: none, they are -1). */
  get pointerSource(): PointerTable | null {
    return this.pointerStore;
  }

  /**
   * The same frame, afresh: what a use reads of its arguments (`args`, `argValue`) is kept with the
   * copy, not with this frame. A backtrace hands out copies of the frames it keeps as objects (the
   * wrapped ones): reading every argument of a large log's frames once kept 230 MB of them.
   */
  copy(): Frame {
    const source: FrameText = {
      text: this.text,
      start: this.start,
      addressStart: this.addressStart,
      addressEnd: this.addressEnd,
      function: this.function,
      functionStart: this.functionStart,
      argsStart: this.argsStart,
      argsEnd: this.argsEnd,
      file: this.file,
      line: this.line,
      column: this.column,
      library: this.library,
      locationStart: this.locationStart,
      locationEnd: this.locationEnd,
      open: this.incomplete ? 'args' : null,
    };
    const f = new Frame(this.level, source, this.place, true);
    if (this.pointerStore !== null) f.pointersIn(this.pointerStore, this.pointerAt, this.pointerCount);
    return f;
  }

  /** Its pointers are entries `[at, at + count)` of the store's table (a frame made from a plain row, or a wrapped one read as plain). */
  pointersIn(store: PointerTable, at: number, count: number): void {
    this.pointerStore = store;
    this.pointerAt = at;
    this.pointerCount = count;
  }

  /** Whether the printed argument list contains `needle` (cheap: no argument parsing). */
  argsMention(needle: string): boolean {
    if (this.argsStart < 0) return false;
    const at = this.text.indexOf(needle, this.argsStart);
    return at >= 0 && at < this.argsEnd;
  }
  /**
   * What argument `name` holds, as `arg(name)` reads it but without where it is printed: for the
   * identities and the replay, which ask every hit's frames for a few arguments each.
   */
  argValue(name: string): ArgValue | undefined {
    if (this.parsedArgs !== undefined) return this.arg(name);
    if (this.argsStart < 0) return undefined;
    // kept: a frame is asked for one argument after another (bs, drv, node_name; child_class, opaque)
    const items = (this.items ??= argItems(this.text, this.argsStart, this.argsEnd));
    const r = findArgIn(this.text, items, items.length / 3, name);
    if (r === undefined) return undefined;
    const v = classifyValue(r.value) as ArgValue;
    v.value = r.value;
    return v;
  }

  /** The value of argument `name` (the first one, not an @entry copy when both are printed). */
  arg(name: string): FrameArg | undefined {
    if (this.parsedArgs === undefined) {
      // read alone: most frames are asked for one or two arguments, and never for the others
      if (this.argsStart < 0) return undefined;
      const r = findArg(this.text, this.argsStart, this.argsEnd, name);
      return r === undefined ? undefined : this.frameArg(r);
    }
    let entry: FrameArg | undefined;
    for (const a of this.parsedArgs) {
      if (a.name === name) {
        if (!a.entry) return a;
        entry ??= a;
      }
    }
    return entry;
  }

  private get segments(): readonly Segment[] {
    return typeof this.place === 'number' ? [{ from: 0, line: this.place, col: 0 }] : this.place;
  }

  private parseArgs(): FrameArg[] {
    if (this.argsStart < 0) return [];
    return splitArgs(this.text, this.argsStart, this.argsEnd).map((r) => this.frameArg(r));
  }

  private frameArg(r: RawArg): FrameArg {
    const v = classifyValue(r.value);
    const arg: FrameArg = {
      name: r.name,
      value: r.value,
      kind: v.kind,
      entry: r.entry,
      nameRange: this.token(r.nameStart, r.nameStart + r.name.length + (r.entry ? 6 : 0)),
      valueRange: this.token(r.valueStart, r.valueStart + r.value.length),
    };
    if (v.pointer !== undefined) arg.pointer = v.pointer;
    if (v.text !== undefined) arg.text = v.text;
    if (v.symbol !== undefined) arg.symbol = v.symbol;
    return arg;
  }

  /** Map offsets of the joined frame text back to a document token. */
  private token(from: number, to: number): Token {
    if (typeof this.place === 'number') return { line: this.place, start: from, end: to };
    let seg = this.place[0];
    for (const s of this.place) if (s.from <= from) seg = s;
    return { line: seg.line, start: seg.col + (from - seg.from), end: seg.col + (to - seg.from) };
  }
}

// Function and file names repeat across hundreds of thousands of frames: one copy of each, so that
// the slices die young instead of each keeping a string object alive.
const interned = new Map<string, string>();
function intern(s: string): string {
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size >= 50_000) interned.clear();
  interned.set(s, s);
  return s;
}

const MAX_CONTINUATIONS = 64;

interface PendingFrame {
  level: number;
  text: string;
  segments: Segment[];
  parsed: FrameText;
  continuations: number;
}

/**
 * Builds frames from lines, joining continuation lines into the frame they continue: the argument
 * list moved to the next line (older gdb), wrapped in its middle (gdb 13), `at file:line` alone.
 */
export class FrameAssembler {
  private pending: PendingFrame | null = null;

  constructor(
    private readonly report: Report,
    /**
     * A whole frame: its level, what was read of it, and its line (or the lines of its pieces); `ended`
     * when its own lines ended it (its text is complete), not the line after it or the end.
     */
    private readonly emit: (level: number, source: FrameText, place: number | readonly Segment[], ended: boolean) => void,
  ) {}

  get isOpen(): boolean {
    return this.pending !== null;
  }

  /** Give `other` this assembler's open frame, if any (a copy: each goes on alone). */
  copyTo(other: FrameAssembler): void {
    const p = this.pending;
    other.pending = p && { ...p, segments: [...p.segments] };
  }

  start(level: number, parsed: FrameText, lineNo: number): void {
    this.finish();
    if (parsed.open === null) this.emit(level, parsed, lineNo, true);
    else this.pending = { level, text: parsed.text, segments: [{ from: 0, line: lineNo, col: 0 }], parsed, continuations: 0 };
  }

  /** Read `raw` as the continuation of the open frame; true when it was one. */
  continueWith(raw: string, lineNo: number): boolean {
    const p = this.pending;
    if (!p) return false;
    const body = lineBody(raw);
    const cont = body.text.slice(body.offset).trimEnd();
    const indented = body.offset > body.quoteEnd;
    if (!continuesFrame(p.parsed.open, cont) || /^#\d/.test(cont)) return false;
    if (!indented && classifyLine(raw).line.kind !== 'text') return false;
    const base = p.text.trimEnd();
    const from = base.length + 1;
    p.text = `${base} ${cont}`;
    p.segments.push({ from, line: lineNo, col: body.offset });
    p.continuations++;
    const reparsed = parseFrameText(p.text, p.parsed.start);
    if (!reparsed) {
      this.report('unparsed-frame', lineNo);
      this.pending = null;
      return true;
    }
    p.parsed = reparsed;
    if (reparsed.open === null || p.continuations >= MAX_CONTINUATIONS) this.finish(reparsed.open === null);
    return true;
  }

  /** Emit the open frame, if any; an argument list that never closed is reported. */
  finish(ended = false): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.parsed.open === 'args') this.report('truncated-frame', p.segments[0].line);
    this.emit(p.level, p.parsed, p.segments.length === 1 ? p.segments[0].line : p.segments, ended);
  }
}

/** `#N ` at the start of a frame line (after quote prefixes and indentation): N and where the rest starts. */
export function frameLevel(text: string, offset: number): { level: number; rest: number } | null {
  if (text.charCodeAt(offset) !== 35 /* # */) return null;
  let j = offset + 1;
  let level = 0;
  for (let c = text.charCodeAt(j); c >= 48 && c <= 57; c = text.charCodeAt(++j)) level = level * 10 + (c - 48);
  if (j === offset + 1 || text.charCodeAt(j) !== 32) return null;
  while (text.charCodeAt(j) === 32) j++;
  return { level, rest: j };
}

/** Parse the frame on one line, or null when the line holds no frame. */
export function frameOnLine(raw: string): { level: number; frame: FrameText } | null {
  const body = lineBody(raw);
  const at = frameLevel(body.text, body.offset);
  if (!at) return null;
  const frame = parseFrameText(body.text, at.rest);
  return frame ? { level: at.level, frame } : null;
}

/**
 * Read a backtrace's text (its lines joined by \n, the first at document line `firstLine`) frame by
 * frame, joining wrapped ones: `emit` gets each, with where its line starts and ends in `text`.
 */
export function readFrames(
  text: string,
  firstLine: number,
  report: Report,
  emit: (level: number, source: FrameText, place: number | readonly Segment[], line: { start: number; end: number; verbatim: boolean }, ended: boolean) => void,
  /** Takes a line `text[start, end)` that is a plain frame (plainFrame.ts) whole, if it can: true when it did. */
  plainLine?: (start: number, end: number, lineNo: number) => boolean,
  /**
   * Takes the frame that starts on the frame line at `start` (not a plain one) and goes on over the
   * lines after it, when it knows that text: how many lines it took (0: none).
   */
  knownFrame?: (start: number, lineNo: number) => number,
): void {
  // where the line of the frame being assembled starts and ends (a one-line frame is emitted when
  // the next line begins), and whether the frame's text is that line as it is in `text`
  const frameLine = { start: 0, end: 0, verbatim: true };
  const asm = new FrameAssembler(report, (level, source, place, ended) => emit(level, source, place, frameLine, ended));
  let lineNo = firstLine;
  let start = 0;
  for (;;) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    // a frame line (`#N`) ends the open frame, whatever it is (see continueWith)
    const isFrameLine = text.charCodeAt(start) === 35 /* # */ && text.charCodeAt(start + 1) >= 48 && text.charCodeAt(start + 1) <= 57;
    if (isFrameLine) asm.finish();
    // (a plain frame is whole: no open frame can take the line, and no line after it continues it)
    if (plainLine !== undefined && !asm.isOpen && plainLine(start, end, lineNo)) {
      if (nl >= text.length) break;
      start = nl + 1;
      lineNo++;
      continue;
    }
    const taken = knownFrame !== undefined && isFrameLine && !asm.isOpen ? knownFrame(start, lineNo) : 0;
    if (taken > 0) {
      // its lines, the last one's break included
      for (let k = 1; k < taken && nl >= 0; k++) nl = text.indexOf('\n', nl + 1);
      if (nl < 0 || nl >= text.length) break;
      start = nl + 1;
      lineNo += taken;
      continue;
    }
    const raw = text.slice(start, end);
    if (!asm.continueWith(raw, lineNo)) {
      const f = frameOnLine(raw);
      if (f) {
        asm.finish();
        frameLine.start = start;
        frameLine.end = end;
        // (lineBody reads no-break spaces as spaces)
        frameLine.verbatim = f.frame.text === raw;
        asm.start(f.level, f.frame, lineNo);
      } else {
        asm.finish();
        const body = lineBody(raw);
        if (frameLevel(body.text, body.offset)) report('unparsed-frame', lineNo);
        // other lines inside a backtrace are `bt full` locals
      }
    }
    if (nl >= text.length) break;
    start = nl + 1;
    lineNo++;
  }
  asm.finish();
}

/** Turn a backtrace's text (its lines joined by \n, the first at document line `firstLine`) into frames. */
export function buildFrames(text: string, firstLine: number, report: Report): Frame[] {
  const frames: Frame[] = [];
  readFrames(text, firstLine, report, (level, source, place) => frames.push(new Frame(level, source, place)));
  return frames;
}

// The event loop, AIO dispatch, glib, coroutine entry and thread start frames that end every stack.
const PLUMBING =
  /^(?:main|qemu_main|qemu_default_main|qemu_main_loop|main_loop_wait|os_host_main_loop_wait|glib_pollfds_poll|aio_\w+|g_main_\w+|g_main_context_\w+|qemu_bh_\w+|aio_bh_\w+|do_qmp_dispatch_bh|monitor_qmp_\w+|coroutine_trampoline|__start_context|qemu_coroutine_switch|start_thread|clone3?|__clone\w*|qemu_thread_start|iothread_run|__libc_start_\w+|_start|\?\?|)$/;

export function isPlumbingFrame(frame: Frame): boolean {
  return PLUMBING.test(frame.function);
}
