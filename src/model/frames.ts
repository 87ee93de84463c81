// Frames: one object per printed frame, and the assembly of frames from backtrace text (joining
// what gdb wrapped onto continuation lines). Backtraces are kept as text by the parser and turned
// into frames here on first use, so that opening a 100 MB log does not build 750,000 objects.

import {
  classifyLine,
  classifyValue,
  continuesFrame,
  argItems,
  findArg,
  findArgIn,
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
import { Plain, plain, plainPointers, readPlainFrame } from './plainFrame';

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
  /** Its pointers when they were read with its row: `store.pointerTable`, from entry `pointerAt` on. */
  private pointerStore: FrameStore | null = null;
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
  /** Each of its pointers, as `pointers` gives them, without making an object for each: `visit(value, arg, line, start, end)`. */
  eachPointer(visit: (value: string, arg: string, line: number, start: number, end: number) => void): void {
    const store = this.pointerStore;
    if (store === null) {
      for (const p of this.pointers) visit(p.value, p.arg, p.range.line, p.range.start, p.range.end);
      return;
    }
    const table = store.pointerTable;
    const addresses = store.addresses;
    const names = store.names;
    const line = this.place as number;
    for (let k = this.pointerAt, e = this.pointerAt + this.pointerCount; k < e; k++) {
      const value = addresses[table[3 * k]];
      const start = table[3 * k + 2];
      visit(value, names[table[3 * k + 1]], line, start, start + value.length);
    }
  }

  /** Its pointers are entries `[at, at + count)` of the store's table (a frame made from a plain row). */
  pointersIn(store: FrameStore, at: number, count: number): void {
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
  /** Takes a line `text[start, end)` that is a plain frame (plainFrame.ts) whole, if it can: true when it did. */
  plainLine?: (start: number, end: number, lineNo: number) => boolean,
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
    // (a plain frame is whole: no open frame can take the line, and no line after it continues it)
    if (plainLine !== undefined && !asm.isOpen && plainLine(start, end, lineNo)) {
      if (nl >= text.length) break;
      start = nl + 1;
      lineNo++;
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

// A backtrace's frames kept as rows of numbers rather than as objects: a 100 MB log has 650,000
// frames, and as objects they were most of the heap and most of the garbage collector's work.
// A row says where the frame's line is in the backtrace's text and which shape it has: what
// parseFrameText found on the line (offsets in the line, names as numbers in the trace's
// FrameStore) and, for a plain frame (plainFrame.ts), its pointer arguments. A plain line printed
// again (the same frame in the next hit) has the same shape, read once. A wrapped frame, rare,
// stays an object. Frames are made again from their rows when asked for, and the last few
// backtraces' are kept.
const ROW = 4;
const enum Row {
  LineIndex,
  LineStart,
  LineEnd,
  /** The shape's number, or -1: the frame is `objects[i]`. */
  Shape,
}
const SHAPE = 17;
const enum Shape {
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
  /** Where its pointer arguments are in the store's table, for a plain frame (else -1: they are read from its text). */
  PointerAt,
  PointerCount,
}
const INCOMPLETE = 1;

/** How a line was read: as a plain frame, or the general way. */
const enum Read {
  Plain,
  General,
}

/** What a line that is not a plain frame is remembered with. */
const NOT_PLAIN = -2;

/** Lines longer than this are not remembered (V8 hashes a string of more than 16,383 characters by its length alone). */
const MAX_REMEMBERED_LENGTH = 16_000;

/** Lines remembered with their shape, at most: beyond, a line read is a shape of its own. */
const MAX_REMEMBERED_LINES = 1 << 18;

/**
 * What a trace's frames are kept in (one per trace, its parser's, so that it goes with the trace):
 * function, file and library names, each once, by number; the shapes of its frames; the pointer
 * arguments of its plain frames; and the rows of its backtraces.
 */
export class FrameStore {
  private readonly numbering = new Numbering<string>();
  private readonly addressNumbering = new Numbering<string>();
  /** The shapes, SHAPE numbers each. */
  shapes = new Int32Array(SHAPE * 1024);
  shapeCount = 0;
  /**
   * The shape of each line read, by its text: of a plain line (a frame whatever comes after it),
   * and of a line read as a one-line frame the general way (one because of the line after it: a
   * frame that may go on, `#1  0x… in f`, alone only when the next line does not continue it).
   */
  private readonly lineShapes = [new Map<string, number>(), new Map<string, number>()];
  /**
   * The pointer arguments of the plain frames' shapes, three numbers each: the address's and the
   * argument name's numbers, and where the value starts on the frame's line.
   */
  pointerTable = new Int32Array(3 * 1024);
  pointerCount = 0;

  /** The names, by number. */
  get names(): readonly string[] {
    return this.numbering.items;
  }

  /** The addresses in the pointer table, by number (each the one copy of its text). */
  get addresses(): readonly string[] {
    return this.addressNumbering.items;
  }

  /** A new shape: its number (its fields are written at `shapes[SHAPE * number]`). */
  newShape(): number {
    if (SHAPE * (this.shapeCount + 1) > this.shapes.length) this.shapes = grown(this.shapes);
    return this.shapeCount++;
  }

  /** The shape of line `line` read before as a plain frame, or as a one-line frame the general way; -1 when it was not. */
  shapeOfLine(line: string, how: Read): number {
    return this.lineShapes[how].get(line) ?? -1;
  }

  /** Remember that line `line`, read as a plain frame or the general way, has shape `shape`. */
  rememberLine(line: string, how: Read, shape: number): void {
    const lines = this.lineShapes[how];
    if (lines.size < MAX_REMEMBERED_LINES) lines.set(line, shape);
  }

  /** Add a pointer to the table. */
  addPointer(address: string, arg: string, start: number): void {
    if (3 * this.pointerCount + 3 > this.pointerTable.length) this.pointerTable = grown(this.pointerTable);
    const o = 3 * this.pointerCount++;
    this.pointerTable[o] = this.addressNumbering.number(address);
    this.pointerTable[o + 1] = this.numbering.number(arg);
    this.pointerTable[o + 2] = start;
  }

  /**
   * The rows of the trace's backtraces, in blocks: each backtrace's rows are together in one block
   * (a typed array of its own for each of 34,000 backtraces cost a tenth of a second to make).
   */
  private block = new Int32Array(0);
  private used = 0;

  /** Keep the `count` rows at the start of `rows` for good: where they are now. */
  keep(rows: Int32Array, count: number): { block: Int32Array; at: number } {
    const n = count * ROW;
    if (this.used + n > this.block.length) {
      this.block = new Int32Array(Math.max(ROW_BLOCK, n));
      this.used = 0;
    }
    const at = this.used;
    this.block.set(rows.subarray(0, n), at);
    this.used += n;
    return { block: this.block, at };
  }

  /**
   * The backtraces whose frames are kept, the last few made: a hit's frames are asked for several
   * times in a row. Kept here, with the trace, not in the module: a closed log goes with its store.
   */
  private readonly recent: (BacktraceText | undefined)[] = new Array(RECENT);
  private recentNext = 0;

  /** `bt` has made its frames: the backtrace that must now forget its own, if any. */
  madeFrames(bt: BacktraceText): BacktraceText | undefined {
    const out = this.recent[this.recentNext];
    this.recent[this.recentNext] = bt;
    this.recentNext = (this.recentNext + 1) % RECENT;
    return out === bt ? undefined : out;
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

/** Numbers in a block of rows (about 16,000 frames). */
const ROW_BLOCK = 1 << 16;

/** A backtrace's frames: rows `block[at …]`, and the frames that stay objects, by index. */
interface FrameRows {
  block: Int32Array;
  at: number;
  count: number;
  objects: Frame[] | null;
}

/** Where rows are written while a backtrace is read (one buffer, reused). */
let scratch = new Int32Array(ROW * 1024);

function readFrameRows(text: string, firstLine: number, report: Report, store: FrameStore): FrameRows {
  let rows = scratch;
  let count = 0;
  let objects: Frame[] | null = null;
  const addRow = (lineNo: number, start: number, end: number, shape: number) => {
    if (ROW * (count + 1) > rows.length) rows = scratch = grown(rows);
    const r = ROW * count++;
    rows[r + Row.LineIndex] = lineNo - firstLine;
    rows[r + Row.LineStart] = start;
    rows[r + Row.LineEnd] = end;
    rows[r + Row.Shape] = shape;
  };
  readFrames(
    text,
    firstLine,
    report,
    (level, source, place, line) => {
      // a row remakes the line from the backtrace's text: not for a wrapped frame, nor for a line
      // lineBody changed (no-break spaces), nor numbers too large for the row
      const asRow = typeof place === 'number' && line.verbatim && fits(level) && fits(source.line) && fits(source.column) && !store.full;
      if (!asRow) {
        (objects ??= [])[count] = new Frame(level, source, place);
        addRow(firstLine, 0, 0, -1);
        return;
      }
      // (a row's shape depends on its line alone: the same line printed again has the same one)
      const remember = line.end - line.start <= MAX_REMEMBERED_LENGTH;
      const key = remember ? text.slice(line.start, line.end) : '';
      let k = remember ? store.shapeOfLine(key, Read.General) : -1;
      if (k >= 0) {
        addRow(place, line.start, line.end, k);
        return;
      }
      k = store.newShape();
      if (remember) store.rememberLine(key, Read.General, k);
      const shapes = store.shapes;
      const o = SHAPE * k;
      shapes[o + Shape.Level] = level;
      shapes[o + Shape.Start] = source.start;
      shapes[o + Shape.AddressStart] = source.addressStart;
      shapes[o + Shape.AddressEnd] = source.addressEnd;
      shapes[o + Shape.FunctionStart] = source.functionStart;
      shapes[o + Shape.Function] = store.number(source.function);
      shapes[o + Shape.ArgsStart] = source.argsStart;
      shapes[o + Shape.ArgsEnd] = source.argsEnd;
      shapes[o + Shape.File] = store.number(source.file);
      shapes[o + Shape.Line] = source.line ?? -1;
      shapes[o + Shape.Column] = source.column ?? -1;
      shapes[o + Shape.Library] = store.number(source.library);
      shapes[o + Shape.LocationStart] = source.locationStart;
      shapes[o + Shape.LocationEnd] = source.locationEnd;
      shapes[o + Shape.Flags] = source.open === 'args' || source.open === 'maybe-args' ? INCOMPLETE : 0;
      shapes[o + Shape.PointerAt] = -1;
      shapes[o + Shape.PointerCount] = 0;
      addRow(place, line.start, line.end, k);
    },
    (start, end, lineNo) => {
      // a plain frame: read once, and its shape again wherever the same line is printed (frame
      // lines only: not a backtrace's locals)
      if (text.charCodeAt(start) !== 35 /* # */) return false;
      const remember = end - start <= MAX_REMEMBERED_LENGTH;
      const key = remember ? text.slice(start, end) : '';
      let k = remember ? store.shapeOfLine(key, Read.Plain) : -1;
      if (k === NOT_PLAIN) return false;
      if (k < 0) {
        k = plainShape(text, start, end, store);
        if (remember) store.rememberLine(key, Read.Plain, k < 0 ? NOT_PLAIN : k);
        if (k < 0) return false;
      }
      addRow(lineNo, start, end, k);
      return true;
    },
  );
  const { block, at } = store.keep(rows, count);
  return { block, at, count, objects };
}

/** Read plain frame `text[start, end)` into a new shape: its number, or -1 when it is not one. */
function plainShape(text: string, start: number, end: number, store: FrameStore): number {
  const pointers = readPlainFrame(text, start, end);
  if (pointers < 0 || store.full) return -1;
  const at = (k: number) => (k < 0 ? -1 : k - start);
  const library = plain[Plain.IsLibrary] === 1;
  const location = text.slice(plain[Plain.LocationStart], library ? plain[Plain.LocationEnd] : plain[Plain.FileEnd]);
  const fn = store.number(text.slice(plain[Plain.FunctionStart], plain[Plain.FunctionEnd]));
  const where = store.number(location);
  const pointerAt = store.pointerCount;
  for (let k = 0; k < pointers; k++) {
    const o = 4 * k;
    store.addPointer(text.slice(plainPointers[o], plainPointers[o + 1]), text.slice(plainPointers[o + 2], plainPointers[o + 3]), plainPointers[o] - start);
  }
  const k = store.newShape();
  const shapes = store.shapes;
  const o = SHAPE * k;
  shapes[o + Shape.Level] = plain[Plain.Level];
  shapes[o + Shape.Start] = plain[Plain.Start] - start;
  shapes[o + Shape.AddressStart] = at(plain[Plain.AddressStart]);
  shapes[o + Shape.AddressEnd] = at(plain[Plain.AddressEnd]);
  shapes[o + Shape.FunctionStart] = plain[Plain.FunctionStart] - start;
  shapes[o + Shape.Function] = fn;
  shapes[o + Shape.ArgsStart] = plain[Plain.ArgsStart] - start;
  shapes[o + Shape.ArgsEnd] = plain[Plain.ArgsEnd] - start;
  shapes[o + Shape.File] = library ? -1 : where;
  shapes[o + Shape.Line] = plain[Plain.Line];
  shapes[o + Shape.Column] = -1;
  shapes[o + Shape.Library] = library ? where : -1;
  shapes[o + Shape.LocationStart] = plain[Plain.LocationStart] - start;
  shapes[o + Shape.LocationEnd] = plain[Plain.LocationEnd] - start;
  shapes[o + Shape.Flags] = 0;
  shapes[o + Shape.PointerAt] = pointerAt;
  shapes[o + Shape.PointerCount] = pointers;
  return k;
}

/** The frames of a backtrace's rows, made again. */
function framesOfRows(t: FrameRows, text: string, firstLine: number, store: FrameStore): Frame[] {
  const frames: Frame[] = new Array(t.count);
  const rows = t.block;
  const shapes = store.shapes;
  const names = store.names;
  const name = (k: number) => (k < 0 ? null : names[k]);
  for (let i = 0; i < t.count; i++) {
    const r = t.at + ROW * i;
    const k = rows[r + Row.Shape];
    if (k < 0) {
      frames[i] = t.objects![i];
      continue;
    }
    const o = SHAPE * k;
    const source: FrameText = {
      text: text.slice(rows[r + Row.LineStart], rows[r + Row.LineEnd]),
      start: shapes[o + Shape.Start],
      addressStart: shapes[o + Shape.AddressStart],
      addressEnd: shapes[o + Shape.AddressEnd],
      function: names[shapes[o + Shape.Function]],
      functionStart: shapes[o + Shape.FunctionStart],
      argsStart: shapes[o + Shape.ArgsStart],
      argsEnd: shapes[o + Shape.ArgsEnd],
      file: name(shapes[o + Shape.File]),
      line: shapes[o + Shape.Line] < 0 ? null : shapes[o + Shape.Line],
      column: shapes[o + Shape.Column] < 0 ? null : shapes[o + Shape.Column],
      library: name(shapes[o + Shape.Library]),
      locationStart: shapes[o + Shape.LocationStart],
      locationEnd: shapes[o + Shape.LocationEnd],
      open: shapes[o + Shape.Flags] & INCOMPLETE ? 'args' : null,
    };
    frames[i] = new Frame(shapes[o + Shape.Level], source, firstLine + rows[r + Row.LineIndex], true);
    if (shapes[o + Shape.PointerAt] >= 0) frames[i].pointersIn(store, shapes[o + Shape.PointerAt], shapes[o + Shape.PointerCount]);
  }
  return frames;
}

/** How many backtraces of a trace keep the frames last made of them (FrameStore.madeFrames). */
const RECENT = 8;

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
    this.made = framesOfRows(this.rows, this.text, this.firstLine, this.store);
    this.store.madeFrames(this)?.forgetFrames();
    return this.made;
  }

  /** Let go of the frames last made (its store keeps those of a few backtraces only). */
  forgetFrames(): void {
    this.made = undefined;
  }

  /** Whether one of its frames is in function `fn` (read from its rows, or found in its text first). */
  calls(fn: string): boolean {
    if (this.rows === undefined) return this.text.includes(fn) && this.frames.some((f) => f.function === fn);
    const { block: rows, at, count, objects } = this.rows;
    const shapes = this.store.shapes;
    const n = this.store.find(fn);
    for (let i = 0; i < count; i++) {
      const k = rows[at + ROW * i + Row.Shape];
      if (k < 0 ? objects![i].function === fn : n >= 0 && shapes[SHAPE * k + Shape.Function] === n) return true;
    }
    return false;
  }

  /** The function of its frame `#level` (undefined when it has none), read from its rows. */
  functionAt(level: number): string | undefined {
    if (this.rows === undefined) return this.frames.find((f) => f.level === level)?.function;
    const { block: rows, at, count, objects } = this.rows;
    const shapes = this.store.shapes;
    for (let i = 0; i < count; i++) {
      const k = rows[at + ROW * i + Row.Shape];
      if (k < 0) {
        if (objects![i].level === level) return objects![i].function;
      } else if (shapes[SHAPE * k + Shape.Level] === level) return this.store.names[shapes[SHAPE * k + Shape.Function]];
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
