// A backtrace as the parser keeps it: its text, and its frames as rows of numbers, made into Frame
// objects (frames.ts) when asked for; and its frames counted without building them.

import { grown, Numbering, TurnoverMap } from './columns';
import { buildFrames, Frame, readFrames, type Report, type Segment } from './frames';
import { findClosingParen, type FrameText } from './lines';
import { Plain, plain, plainPointers, readPlainFrame } from './plainFrame';

// A backtrace's frames kept as rows of numbers rather than as objects: a 100 MB log has 650,000
// frames, and as objects they were most of the heap and most of the garbage collector's work.
// A row says where the frame's line is in the backtrace's text and which shape it has: what
// parseFrameText found on the line (offsets in the line, names as numbers in the trace's
// FrameStore) and, for a plain frame (plainFrame.ts), its pointer arguments. A plain line printed
// again (the same frame in the next hit) has the same shape, read once. A frame gdb wrapped over
// lines (a seventh of them: those with the longest argument lists) stays an object; the same lines
// printed again are made into that frame again without being assembled anew. Frames are made
// again from their rows when asked for, and the last few backtraces' are kept.
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
/** The frame is one gdb wrapped over lines: its shape is of their text joined (joinWrapped). */
const WRAPPED = 2;

/** How a line was read: as a plain frame, or the general way. */
const enum Read {
  Plain,
  General,
}

/** What a line that is not a plain frame is remembered with. */
const NOT_PLAIN = -2;

/** Lines longer than this are not remembered (V8 hashes a string of more than 16,383 characters by its length alone). */
const MAX_REMEMBERED_LENGTH = 16_000;

/** Lines remembered with their shape at a time (of each kind, twice: the last ones and the older ones). */
const MAX_REMEMBERED_LINES = 1 << 17;

/** First two lines of wrapped frames remembered at a time (twice: the last ones and the older ones), and frames remembered for each. */
const MAX_KNOWN_FRAMES = 1 << 12;
const KNOWN_PER_LINE = 4;

/**
 * A frame gdb wrapped over lines, as its lines were read (it ended with them: the line after it had
 * no say): found again by the text of its first two lines (its name, its argument list), and then
 * its whole text compared.
 */
interface KnownFrame {
  /** Its lines' text, the first one's start to the last one's end. */
  raw: string;
  lines: number;
  level: number;
  /** What was read of it, its names the store's copies. */
  source: FrameText;
  /** Its pieces, and the line of the first. */
  segments: readonly Segment[];
  firstLine: number;
  /** Its pointers in the store's table; `pointerCount` -1 when they are read from its text. */
  pointerAt: number;
  pointerCount: number;
}

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
  private readonly lineShapes = [new TurnoverMap<string, number>(MAX_REMEMBERED_LINES), new TurnoverMap<string, number>(MAX_REMEMBERED_LINES)];
  /**
   * The pointer arguments of the plain frames' shapes, three numbers each: the address's and the
   * argument name's numbers, and where the value starts on the frame's line.
   */
  pointerTable = new Int32Array(3 * 1024);
  pointerCount = 0;
  /** Wrapped frames read before, the last few of each first two lines, by their text. */
  private readonly wrapped = new TurnoverMap<string, KnownFrame[]>(MAX_KNOWN_FRAMES);

  /** The wrapped frames whose first two lines are `lines` read last (the last first), if any. */
  knownFrames(lines: string): readonly KnownFrame[] | undefined {
    return this.wrapped.get(lines);
  }

  /** Remember wrapped frame `f`, whose first two lines are `lines` (unless the same lines are remembered). */
  rememberFrame(lines: string, f: KnownFrame): void {
    const known = this.wrapped.get(lines);
    if (known === undefined) {
      this.wrapped.set(lines, [f]);
    } else if (!known.some((k) => k.raw === f.raw)) {
      if (known.length >= KNOWN_PER_LINE) known.pop();
      known.unshift(f);
    }
  }

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

  /** Remember that line `line`, read as a plain frame or the general way, has shape `shape` (the last stretch's lines are kept: TurnoverMap). */
  rememberLine(line: string, how: Read, shape: number): void {
    this.lineShapes[how].set(line, shape);
  }

  /**
   * Add to the table the `count` pointers readPlainFrame left in `plainPointers` (offsets in `text`),
   * each at its value's offset less `base` (the start of its line): where the first one is.
   */
  addPlainPointers(text: string, count: number, base: number): number {
    const at = this.pointerCount;
    while (3 * (at + count) > this.pointerTable.length) this.pointerTable = grown(this.pointerTable);
    const table = this.pointerTable;
    for (let k = 0; k < count; k++) {
      const o = 4 * k;
      const t = 3 * this.pointerCount++;
      table[t] = this.addressNumbering.number(text.slice(plainPointers[o], plainPointers[o + 1]));
      table[t + 1] = this.numbering.number(text.slice(plainPointers[o + 2], plainPointers[o + 3]));
      table[t + 2] = plainPointers[o] - base;
    }
    return at;
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
    (level, source, place, line, ended) => {
      // a row remakes the line from the backtrace's text: not for a wrapped frame, nor for a line
      // lineBody changed (no-break spaces), nor numbers too large for the row
      const asRow = typeof place === 'number' && line.verbatim && fits(level) && fits(source.line) && fits(source.column) && !store.full;
      if (!asRow) {
        const frame = new Frame(level, source, place);
        (objects ??= [])[count] = frame;
        const pointers = pointersOfWrapped(frame, source, store);
        addRow(firstLine, 0, 0, -1);
        // (the same lines printed again are this frame again: its lines alone ended it)
        if (ended && typeof place !== 'number' && !store.full) rememberWrapped(text, line.start, place, level, frame, source, pointers, store);
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
    (start, lineNo) => {
      // a frame gdb wrapped, whose lines joined are a plain frame: a row, as a plain line is
      const { end: wrapped, lines } = wrappedFrame(text, start);
      if (wrapped >= 0) {
        const remember = wrapped - start <= MAX_REMEMBERED_LENGTH;
        const key = remember ? text.slice(start, wrapped) : '';
        let k = remember ? store.shapeOfLine(key, Read.Plain) : -1;
        if (k < 0 && k !== NOT_PLAIN) {
          const { joined } = joinWrapped(text, start, wrapped, lineNo);
          k = plainShape(joined, 0, joined.length, store);
          if (k >= 0) store.shapes[SHAPE * k + Shape.Flags] |= WRAPPED;
          if (remember) store.rememberLine(key, Read.Plain, k < 0 ? NOT_PLAIN : k);
        }
        if (k >= 0) {
          addRow(lineNo, start, wrapped, k);
          return lines;
        }
      }
      // a wrapped frame read before: made again without assembling it
      const first = text.indexOf('\n', start);
      if (first < 0) return 0;
      const second = lineEndAt(text, first + 1);
      if (second - start > MAX_REMEMBERED_LENGTH) return 0;
      const known = store.knownFrames(text.slice(start, second));
      if (known === undefined) return 0;
      let f: KnownFrame | undefined;
      for (const k of known) {
        const after = start + k.raw.length;
        if (text.startsWith(k.raw, start) && (after === text.length || text.charCodeAt(after) === 10)) {
          f = k;
          break;
        }
      }
      if (f === undefined) return 0;
      const moved = lineNo - f.firstLine;
      const frame = new Frame(
        f.level,
        f.source,
        f.segments.map((s) => ({ from: s.from, line: s.line + moved, col: s.col })),
        true,
      );
      if (f.pointerCount >= 0) frame.pointersIn(store, f.pointerAt, f.pointerCount);
      (objects ??= [])[count] = frame;
      addRow(firstLine, 0, 0, -1);
      return f.lines;
    },
  );
  const { block, at } = store.keep(rows, count);
  return { block, at, count, objects };
}

/**
 * The pointers of a frame that stays an object (gdb wrapped it over lines), put in the store's table
 * when its joined text is a plain frame that reads its argument list where the frame's own reading
 * does: then they are what `pointerArgs` finds there, and are not looked for again at each use.
 */
function pointersOfWrapped(frame: Frame, source: FrameText, store: FrameStore): number {
  const text = source.text;
  if (store.full || source.argsStart < 0) return -1;
  const hash = text.lastIndexOf('#', source.start);
  let end = text.length;
  while (end > hash && text.charCodeAt(end - 1) === 32) end--;
  const pointers = hash < 0 ? -1 : readPlainFrame(text, hash, end);
  if (pointers < 0 || plain[Plain.ArgsStart] !== source.argsStart || plain[Plain.ArgsEnd] !== source.argsEnd) return -1;
  frame.pointersIn(store, store.addPlainPointers(text, pointers, 0), pointers);
  return pointers;
}

/** Characters outside printable ASCII, other than line breaks: a frame holding one is read the general way (lineBody, no-break spaces, trimming). */
const NOT_PRINTABLE = /[^\x20-\x7e\n]/;

/**
 * Where a frame gdb wrapped before its argument list ends, and over how many lines, when it starts at `start`: its name
 * (`#1  0x… in fn`), its argument list, and its location if that is on a line of its own, as
 * plainFrameCount takes them, in printable ASCII (no no-break spaces: lineBody would change them);
 * end -1 when its lines are not such a frame, or when the frame assembler (frames.ts) could read them
 * otherwise (a line after the list that starts like a location without being one).
 */
function wrappedFrame(text: string, start: number): { end: number; lines: number } {
  const none = { end: -1, lines: 0 };
  const end1 = lineEndAt(text, start);
  if (end1 >= text.length || !NAME_ONLY.test(text.slice(start, end1))) return none;
  const end2 = lineEndAt(text, end1 + 1);
  const line2 = text.slice(end1 + 1, end2);
  if (!ARGS_LINE.test(line2)) return none;
  let end = end2;
  let lines = 2;
  // with its location on the second line it is whole; else the assembler takes the next line when
  // it is the location, and gives up at a frame line or the end
  if (line2.endsWith(')') && end2 < text.length) {
    const end3 = lineEndAt(text, end2 + 1);
    if (LOCATION_LINE.test(text.slice(end2 + 1, end3))) {
      end = end3;
      lines = 3;
    } else if (text.charCodeAt(end2 + 1) !== 35 /* # */) {
      return none;
    }
  }
  return NOT_PRINTABLE.test(text.slice(start, end)) ? none : { end, lines };
}

/**
 * The text of the wrapped frame `text[start, end)` (wrappedFrame) as the frame assembler joins its
 * lines (each after the first without its indentation, after a space), and where each piece sits,
 * the first on document line `lineNo`.
 */
function joinWrapped(text: string, start: number, end: number, lineNo: number): { joined: string; place: Segment[] } {
  const lines = text.slice(start, end).split('\n');
  let joined = lines[0];
  const place: Segment[] = [{ from: 0, line: lineNo, col: 0 }];
  for (let i = 1; i < lines.length; i++) {
    const piece = lines[i].trimStart();
    place.push({ from: joined.length + 1, line: lineNo + i, col: lines[i].length - piece.length });
    joined = `${joined} ${piece}`;
  }
  return { joined, place };
}

/** Where the line starting at `start` ends (its line break, or the end of the text). */
function lineEndAt(text: string, start: number): number {
  const nl = text.indexOf('\n', start);
  return nl < 0 ? text.length : nl;
}

/** Remember wrapped frame `frame` (its lines `place`, the first at `start` in `text`; `pointers` of them in the store's table, or -1). */
function rememberWrapped(text: string, start: number, place: readonly Segment[], level: number, frame: Frame, source: FrameText, pointers: number, store: FrameStore): void {
  // (only what the hook looks up: `#N` at the line's start, and not too long)
  const first = text.indexOf('\n', start);
  if (first < 0 || first - start > MAX_REMEMBERED_LENGTH || text.charCodeAt(start) !== 35 /* # */) return;
  const second = lineEndAt(text, first + 1);
  let end = first;
  for (let k = 1; k < place.length && end >= 0; k++) end = text.indexOf('\n', end + 1);
  if (end < 0) end = text.length;
  if (end - start > MAX_REMEMBERED_LENGTH) return;
  // (the assembler's record, no one else's now: given the store's copies of its names)
  source.function = frame.function;
  source.file = frame.file;
  source.library = frame.library;
  store.rememberFrame(text.slice(start, second), {
    raw: text.slice(start, end),
    lines: place.length,
    level,
    source,
    segments: place,
    firstLine: place[0].line,
    pointerAt: pointers < 0 ? -1 : store.pointerCount - pointers,
    pointerCount: pointers,
  });
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
  const pointerAt = store.addPlainPointers(text, pointers, start);
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
      frames[i] = t.objects![i].copy();
      continue;
    }
    const o = SHAPE * k;
    const lineNo = firstLine + rows[r + Row.LineIndex];
    const wrapped = shapes[o + Shape.Flags] & WRAPPED ? joinWrapped(text, rows[r + Row.LineStart], rows[r + Row.LineEnd], lineNo) : null;
    const source: FrameText = {
      text: wrapped ? wrapped.joined : text.slice(rows[r + Row.LineStart], rows[r + Row.LineEnd]),
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
    frames[i] = new Frame(shapes[o + Shape.Level], source, wrapped ? wrapped.place : lineNo, true);
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
export function plainFrame(line: string): boolean {
  if (!PLAIN_FRAME.test(line)) return false;
  let close = line.length - 1;
  if (line.charCodeAt(close) !== 41 /* ) */) {
    // ` at X` or ` from X` after the list, X without white space: the line's last space is X's
    const space = line.lastIndexOf(' ');
    close = line.charCodeAt(space - 1) === 116 /* t */ ? space - 4 : space - 6;
  }
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

/**
 * The function of the plain frame whose line starts at `start`: after `#N  0xADDR in ` or `#N  `,
 * up to a space or the line's end (`??` included); '' for a frame with no name (`in  (`); null when
 * the line is not a frame line.
 */
function plainFunctionName(text: string, start: number): string | null {
  if (text.charCodeAt(start) !== 35 /* # */) return null;
  let i = start + 1;
  while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  while (text.charCodeAt(i) === 32) i++;
  if (text.startsWith('0x', i)) {
    const inAt = text.indexOf(' in ', i);
    if (inAt < 0) return null;
    i = inAt + 4;
  }
  let e = i;
  while (e < text.length) {
    const c = text.charCodeAt(e);
    if (c === 32 || c === 10) break;
    e++;
  }
  return text.slice(i, e);
}

/** A backtrace as printed, turned into frames on first use. */
export class BacktraceText {
  private rows: FrameRows | undefined;
  /** Its frames while it is one of the recent ones. */
  private made: Frame[] | undefined;
  /** The frame count when known without reading the frames into rows (see frameCount). */
  private counted = -1;
  /** plainFrameCount of its text once asked (-1: not plain), else -2. */
  private plain = -2;

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

  /**
   * Its frames whose function `wanted` says yes to, innermost first, as `frames` has them; each one
   * read alone when the backtrace is plain (plainFrameCount: each frame is the lines from its `#N`
   * to the next one), so that a few frames of a long stack do not cost all of them (attribution
   * asks the stacks that make a job for two or three of their frames). Otherwise, or once its
   * frames were read, from `frames`.
   */
  framesIn(wanted: (fn: string) => boolean): Frame[] {
    if (this.rows !== undefined || this.plainCount() < 0) return this.frames.filter((f) => wanted(f.function));
    const text = this.text;
    const out: Frame[] = [];
    let line = this.firstLine;
    // (the lines of a plain backtrace are frame lines, `#N`, and the indented rest of a wrapped one)
    for (let start = 0; start < text.length; ) {
      let end = start;
      let lines = 0;
      do {
        const nl = text.indexOf('\n', end);
        end = nl < 0 ? text.length : nl;
        lines++;
        if (nl < 0 || text.charCodeAt(nl + 1) === 35 /* # */) break;
        end = nl + 1;
      } while (end < text.length);
      const fn = plainFunctionName(text, start);
      if (fn !== null && wanted(fn)) {
        const read = buildFrames(text.slice(start, end), line, () => undefined);
        // (one frame, as plainness promises; anything else is read with the others)
        if (read.length !== 1 || read[0].function !== fn) return this.frames.filter((f) => wanted(f.function));
        out.push(read[0]);
      }
      line += lines;
      start = end + 1;
    }
    return out;
  }

  /** How many frames when every one is plain (plainFrameCount), else -1; counted once. */
  private plainCount(): number {
    if (this.plain === -2) this.plain = plainFrameCount(this.text);
    return this.plain;
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
    if (this.counted < 0) this.counted = this.plainCount();
    if (this.counted < 0) {
      let n = 0;
      readFrames(this.text, this.firstLine, this.reportOnce(), () => n++);
      this.counted = n;
    }
    return this.counted;
  }
}
