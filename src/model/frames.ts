// Frames: one object per printed frame, and the assembly of frames from backtrace text (joining
// what gdb wrapped onto continuation lines). Backtraces are kept as text by the parser and turned
// into frames here on first use, so that opening a 100 MB log does not build 750,000 objects.

import {
  classifyLine,
  classifyValue,
  continuesFrame,
  findArg,
  findClosingParen,
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
import { grown, Numbering } from './columns';

/** One piece of a wrapped frame: where `joined[from…]` sits in the document. */
interface Segment {
  from: number;
  line: number;
  col: number;
}

/** An argument's value and what it is, without its place in the document. */
export type ArgValue = Pick<FrameArg, 'value' | 'kind' | 'pointer' | 'text' | 'symbol'>;

/** Where the parser tells what it did not understand: a diagnostic code and a document line. */
export type Report = (code: 'unparsed-frame' | 'truncated-frame', line: number) => void;

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
    const r = findArg(this.text, this.argsStart, this.argsEnd, name);
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
    /** A whole frame: its level, what was read of it, and its line (or the lines of its pieces). */
    private readonly emit: (level: number, source: FrameText, place: number | readonly Segment[]) => void,
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
    if (parsed.open === null) this.emit(level, parsed, lineNo);
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
    if (reparsed.open === null || p.continuations >= MAX_CONTINUATIONS) this.finish();
    return true;
  }

  /** Emit the open frame, if any; an argument list that never closed is reported. */
  finish(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.parsed.open === 'args') this.report('truncated-frame', p.segments[0].line);
    this.emit(p.level, p.parsed, p.segments.length === 1 ? p.segments[0].line : p.segments);
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
function readFrames(
  text: string,
  firstLine: number,
  report: Report,
  emit: (level: number, source: FrameText, place: number | readonly Segment[], line: { start: number; end: number; verbatim: boolean }) => void,
): void {
  // where the line of the frame being assembled starts and ends (a one-line frame is emitted when
  // the next line begins), and whether the frame's text is that line as it is in `text`
  const frameLine = { start: 0, end: 0, verbatim: true };
  const asm = new FrameAssembler(report, (level, source, place) => emit(level, source, place, frameLine));
  let lineNo = firstLine;
  let start = 0;
  for (;;) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
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

// A backtrace's frames kept as rows of numbers rather than as objects: a 100 MB log has 650,000
// frames, and as objects they were most of the heap and most of the garbage collector's work. A
// one-line frame is a row (where its line is in the backtrace's text, the offsets parseFrameText
// found, its names as numbers in the trace's FrameStore); a wrapped frame, rare, stays an object.
// Frames are made again from their rows when asked for, and the last few backtraces' are kept.
const STRIDE = 18;
const enum Col {
  LineIndex,
  LineStart,
  LineEnd,
  Level,
  Start,
  AddressStart,
  AddressEnd,
  FunctionStart,
  Function,
  ArgsStart,
  ArgsEnd,
  File,
  Line,
  Column,
  Library,
  LocationStart,
  LocationEnd,
  Flags,
}
const INCOMPLETE = 1;
/** The frame is `objects[i]`, not a row. */
const OBJECT = 2;

/**
 * What a trace's frames are kept in (one per trace, its parser's, so that it goes with the trace):
 * function, file and library names, each once, by number, and the rows of its backtraces.
 */
export class FrameStore {
  private readonly numbering = new Numbering<string>();

  /** The names, by number. */
  get names(): readonly string[] {
    return this.numbering.items;
  }

  /**
   * The rows of the trace's backtraces, in blocks: each backtrace's rows are together in one block
   * (a typed array of its own for each of 34,000 backtraces cost a tenth of a second to make).
   */
  private block = new Int32Array(0);
  private used = 0;

  /** Keep the `count` rows at the start of `rows` for good: where they are now. */
  keep(rows: Int32Array, count: number): { block: Int32Array; at: number } {
    const n = count * STRIDE;
    if (this.used + n > this.block.length) {
      this.block = new Int32Array(Math.max(ROW_BLOCK, n));
      this.used = 0;
    }
    const at = this.used;
    this.block.set(rows.subarray(0, n), at);
    this.used += n;
    return { block: this.block, at };
  }

  /** More distinct names than any QEMU has: the rest of a damaged log's frames stay objects. */
  get full(): boolean {
    return this.numbering.size >= 200_000;
  }

  /** The number of a name already in the store, or -1. */
  find(name: string): number {
    return this.numbering.find(name);
  }

  /** The number of a name (-1 for none), given it now if it has none. */
  number(name: string | null): number {
    return name === null ? -1 : this.numbering.number(name);
  }
}

const fits = (n: number | null) => n === null || (n >= 0 && n <= 0x7fffffff);

/** Numbers in a block of rows (about 3,600 frames). */
const ROW_BLOCK = 1 << 16;

/** A backtrace's frames: rows `block[at …]`, and the frames that stay objects, by index. */
interface FrameRows {
  block: Int32Array;
  at: number;
  count: number;
  objects: Frame[] | null;
}

/** Where rows are written while a backtrace is read (one buffer, reused). */
let scratch = new Int32Array(STRIDE * 256);

function readFrameRows(text: string, firstLine: number, report: Report, store: FrameStore): FrameRows {
  let rows = scratch;
  let count = 0;
  let objects: Frame[] | null = null;
  readFrames(text, firstLine, report, (level, source, place, line) => {
    if (STRIDE * (count + 1) > rows.length) rows = scratch = grown(rows);
    const r = STRIDE * count;
    const i = count++;
    // a row remakes the line from the backtrace's text: not for a wrapped frame, nor for a line
    // lineBody changed (no-break spaces), nor numbers too large for the row
    const asRow = typeof place === 'number' && line.verbatim && fits(level) && fits(source.line) && fits(source.column) && !store.full;
    if (!asRow) {
      (objects ??= [])[i] = new Frame(level, source, place);
      rows[r + Col.Flags] = OBJECT;
      return;
    }
    rows[r + Col.LineIndex] = place - firstLine;
    rows[r + Col.LineStart] = line.start;
    rows[r + Col.LineEnd] = line.end;
    rows[r + Col.Level] = level;
    rows[r + Col.Start] = source.start;
    rows[r + Col.AddressStart] = source.addressStart;
    rows[r + Col.AddressEnd] = source.addressEnd;
    rows[r + Col.FunctionStart] = source.functionStart;
    rows[r + Col.Function] = store.number(source.function);
    rows[r + Col.ArgsStart] = source.argsStart;
    rows[r + Col.ArgsEnd] = source.argsEnd;
    rows[r + Col.File] = store.number(source.file);
    rows[r + Col.Line] = source.line ?? -1;
    rows[r + Col.Column] = source.column ?? -1;
    rows[r + Col.Library] = store.number(source.library);
    rows[r + Col.LocationStart] = source.locationStart;
    rows[r + Col.LocationEnd] = source.locationEnd;
    rows[r + Col.Flags] = source.open === 'args' || source.open === 'maybe-args' ? INCOMPLETE : 0;
  });
  const { block, at } = store.keep(rows, count);
  return { block, at, count, objects };
}

/** The frames of a backtrace's rows, made again. */
function framesOfRows(t: FrameRows, text: string, firstLine: number, names: readonly string[]): Frame[] {
  const frames: Frame[] = new Array(t.count);
  const rows = t.block;
  const name = (k: number) => (k < 0 ? null : names[k]);
  for (let i = 0; i < t.count; i++) {
    const r = t.at + STRIDE * i;
    if (rows[r + Col.Flags] & OBJECT) {
      frames[i] = t.objects![i];
      continue;
    }
    const source: FrameText = {
      text: text.slice(rows[r + Col.LineStart], rows[r + Col.LineEnd]),
      start: rows[r + Col.Start],
      addressStart: rows[r + Col.AddressStart],
      addressEnd: rows[r + Col.AddressEnd],
      function: names[rows[r + Col.Function]],
      functionStart: rows[r + Col.FunctionStart],
      argsStart: rows[r + Col.ArgsStart],
      argsEnd: rows[r + Col.ArgsEnd],
      file: name(rows[r + Col.File]),
      line: rows[r + Col.Line] < 0 ? null : rows[r + Col.Line],
      column: rows[r + Col.Column] < 0 ? null : rows[r + Col.Column],
      library: name(rows[r + Col.Library]),
      locationStart: rows[r + Col.LocationStart],
      locationEnd: rows[r + Col.LocationEnd],
      open: rows[r + Col.Flags] & INCOMPLETE ? 'args' : null,
    };
    frames[i] = new Frame(rows[r + Col.Level], source, firstLine + rows[r + Col.LineIndex], true);
  }
  return frames;
}

/**
 * The backtraces whose frames are kept, the last few made: a hit's frames are asked for several
 * times in a row. The one pushed out forgets its frames. (A backtrace here has read its frames and
 * let go of its parser: a closed log is not kept by this.)
 */
const RECENT = 8;
const recent: (BacktraceText | undefined)[] = new Array(RECENT);
let recentNext = 0;

// Counting frames without building them. A line that is one whole frame, as gdb prints nearly all
// of them: `#N  0xADDR in fn (args) at file:line`, `… at /lib/libc.so.6`, `… from lib`, or
// `#N  0xADDR in  ()` (no name), at the line's start. parseFrameText reads every such line as one
// complete frame. (A frame with no location is complete too: only a line that is not a frame could
// continue it, and such a line makes the backtrace not plain.) With gdb's default width, a frame too
// long for the terminal is wrapped before its argument list, and the location may go on a third
// line: `#1  0x… in bdrv_attach_child_common` / `    (child_bs=…, errp=…)` / `    at ../block.c:3159`.
// buildFrames joins the pieces with a space, and the joined text is again such a line.
const FUNCTION = '(?:[A-Za-z_$~][^ (\\t]*|\\?\\?)';
// the argument list opens with `(`, not with a sanitizer's module (`(/usr/bin/qemu+0x12)`)
const PLAIN_FRAME = new RegExp(`^#\\d+ +(?:0x[0-9a-f]+ in (?:${FUNCTION} | )|${FUNCTION} )\\((?!/).*\\)(?: at \\S+| from \\S+)?$`);
/** The first line of a wrapped frame: its name, and nothing after it. */
const NAME_ONLY = new RegExp(`^#\\d+ +(?:0x[0-9a-f]+ in )?${FUNCTION}$`);
const ARGS_LINE = /^ +\((?!\/).*\)(?: at \S+| from \S+)?$/;
const LOCATION_LINE = /^ +(?:at|from) \S+$/;

/** `line` is one whole frame, its argument list closing where the location starts (not inside a string cut off, not before more text: `f (x) junk (y)`). */
function plainFrame(line: string): boolean {
  if (!PLAIN_FRAME.test(line)) return false;
  const close = line.endsWith(')') ? line.length - 1 : Math.max(line.lastIndexOf(') at '), line.lastIndexOf(') from '));
  return findClosingParen(line, line.indexOf('(') + 1) === close;
}

/**
 * How many frames a backtrace's text holds when every frame is a plain one (one line, or wrapped as
 * gdb wraps them), which buildFrames reads without a problem to report; -1 when not.
 */
export function plainFrameCount(text: string): number {
  // lineBody reads a no-break space as a space, which the patterns here do not
  if (text.indexOf('\u00a0') >= 0) return -1;
  const lines = text.split('\n');
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (plainFrame(line)) {
      count++;
      continue;
    }
    if (!NAME_ONLY.test(line)) return -1;
    // `#1  0x… in fn` alone: a frame, whether or not its argument list follows
    count++;
    const args = lines[i + 1];
    if (args === undefined || !ARGS_LINE.test(args)) continue;
    let joined = `${line} ${args.trimStart()}`;
    if (!plainFrame(joined)) return -1;
    i++;
    const location = lines[i + 1];
    if (!joined.endsWith(')') || location === undefined || !LOCATION_LINE.test(location)) continue;
    joined = `${joined} ${location.trimStart()}`;
    if (!plainFrame(joined)) return -1;
    i++;
  }
  return count;
}

/** A backtrace as printed, turned into frames on first use. */
export class BacktraceText {
  private rows: FrameRows | undefined;
  /** Its frames while it is one of the recent ones. */
  private made: Frame[] | undefined;
  /** The frame count when known without reading the frames into rows (see frameCount). */
  private counted = -1;

  constructor(
    /** The backtrace's lines, joined by \n. */
    readonly text: string,
    /** Document line of its first line. */
    readonly firstLine: number,
    /** Document line of its last line. */
    readonly lastLine: number,
    /** Where its frames' problems are told, until they have been (it is the parser's). */
    private report: Report | null,
    /** Where its frames are kept (the trace's store). */
    private readonly store: FrameStore = new FrameStore(),
  ) {}

  /** Its frames, innermost first (made again from its rows: do not keep them for long). */
  get frames(): Frame[] {
    if (this.made !== undefined) return this.made;
    if (this.rows === undefined) this.rows = readFrameRows(this.text, this.firstLine, this.reportOnce(), this.store);
    this.made = framesOfRows(this.rows, this.text, this.firstLine, this.store.names);
    const out = recent[recentNext];
    if (out !== undefined) out.made = undefined;
    recent[recentNext] = this;
    recentNext = (recentNext + 1) % RECENT;
    return this.made;
  }

  /** Whether one of its frames is in function `fn` (read from its rows, or found in its text first). */
  calls(fn: string): boolean {
    if (this.rows === undefined) return this.text.includes(fn) && this.frames.some((f) => f.function === fn);
    const { block: rows, at, count, objects } = this.rows;
    const n = this.store.find(fn);
    for (let i = 0; i < count; i++) {
      const r = at + STRIDE * i;
      if (rows[r + Col.Flags] & OBJECT ? objects![i].function === fn : n >= 0 && rows[r + Col.Function] === n) return true;
    }
    return false;
  }

  /** The function of its frame `#level` (undefined when it has none), read from its rows. */
  functionAt(level: number): string | undefined {
    if (this.rows === undefined) return this.frames.find((f) => f.level === level)?.function;
    const { block: rows, at, count, objects } = this.rows;
    for (let i = 0; i < count; i++) {
      const r = at + STRIDE * i;
      if (rows[r + Col.Flags] & OBJECT) {
        if (objects![i].level === level) return objects![i].function;
      } else if (rows[r + Col.Level] === level) return this.store.names[rows[r + Col.Function]];
    }
    return undefined;
  }

  /** Problems of the frames are told once, whether they were counted or read first. */
  private reportOnce(): Report {
    const report = this.report;
    this.report = null;
    return report ?? (() => undefined);
  }

  get isParsed(): boolean {
    return this.rows !== undefined;
  }

  /**
   * How many frames, with every problem of its frames reported, as `frames` would: without reading
   * them when each is a plain one, and without keeping them when it reads them (the summary of a
   * 100 MB log counts 650,000).
   */
  get frameCount(): number {
    if (this.rows !== undefined) return this.rows.count;
    // counted, not kept: a summary of a large log would otherwise hold millions of frames
    if (this.counted < 0) this.counted = plainFrameCount(this.text);
    if (this.counted < 0) {
      let n = 0;
      readFrames(this.text, this.firstLine, this.reportOnce(), () => n++);
      this.counted = n;
    }
    return this.counted;
  }
}
