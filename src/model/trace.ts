// The trace model: a gdb session log parsed into breakpoint hits, their backtraces, free-standing
// backtraces, QMP commands and diagnostics. Lines are 0-based everywhere in the model (as in
// VS Code); the JSON output of the CLI adds 1 (`logLine`), as people and grep count.

import {
  classifyLine,
  classifyValue,
  MAX_LINE_LENGTH,
  continuesFrame,
  lineBody,
  parseFrameText,
  splitArgs,
  type FrameArg,
  type FrameText,
  type HitHeader,
  type PointerRef,
  type Span,
  type Token,
} from './lines';
import { attributeCommands, parseHmpCommand, parseQmpJson, parseQmpShellCommand, type QmpCommand } from './commands';

export type { FrameArg, PointerRef, Span, Token, ValueKind } from './lines';
export type { QmpCommand, CommandOrigin } from './commands';

export interface ThreadRef {
  number: number;
  name: string | null;
}

/** One piece of a (possibly wrapped) frame: where `joined[from…]` sits in the document. */
interface Segment {
  from: number;
  line: number;
  col: number;
}

/** One frame of a backtrace, or the stop location of a hit. */
export class Frame {
  // One object per frame, fields copied out of the parser's FrameText: a 100 MB log holds
  // three quarters of a million frames, and every object more is work for the garbage collector.
  readonly function: string;
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly library: string | null;
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
  ) {
    this.function = intern(source.function);
    this.file = source.file === null ? null : intern(source.file);
    this.line = source.line;
    this.column = source.column;
    this.library = source.library === null ? null : intern(source.library);
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
  /** Every object pointer among the arguments, with its exact range. */
  get pointers(): PointerRef[] {
    const out: PointerRef[] = [];
    for (const a of this.args) {
      if (a.pointer !== undefined && a.pointer !== '0x0') {
        out.push({ value: a.pointer, arg: a.name, range: { line: a.valueRange.line, start: a.valueRange.start, end: a.valueRange.start + a.pointer.length } });
      }
    }
    return out;
  }
  /** Whether the printed argument list contains `needle` (cheap: no argument parsing). */
  argsMention(needle: string): boolean {
    if (this.argsStart < 0) return false;
    const at = this.text.indexOf(needle, this.argsStart);
    return at >= 0 && at < this.argsEnd;
  }
  /** The value of argument `name` (the first one, not an @entry copy when both are printed). */
  arg(name: string): FrameArg | undefined {
    let entry: FrameArg | undefined;
    for (const a of this.args) {
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
    return splitArgs(this.text, this.argsStart, this.argsEnd).map((r) => {
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
    });
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
// the many slices die young instead of each keeping a string object alive.
const interned = new Map<string, string>();
function intern(s: string): string {
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size >= 50_000) interned.clear();
  interned.set(s, s);
  return s;
}

export interface SourceEcho {
  /** The source line number gdb printed. */
  number: number;
  /** The C text after the TAB. */
  text: string;
  /** Where the C text is in the log. */
  range: Token;
}

export interface Hit {
  /** 1-based, in log order. */
  index: number;
  /** Document line of the hit header. */
  line: number;
  /** Last non-blank line of the hit's section (before the next hit, command or separator). */
  endLine: number;
  thread: ThreadRef | null;
  breakpoint: number;
  kind: 'breakpoint' | 'watchpoint' | 'catchpoint';
  temporary: boolean;
  /** Where it stopped, as printed in the header (or, for a watchpoint, on the line after the values). */
  stop: Frame | null;
  /** The line gdb echoed after the header, e.g. `2843\t    BdrvChild *child = *childp;`. */
  source: SourceEcho | null;
  /** The backtrace printed at this hit (`bt`), outermost last. Empty when none was printed. */
  frames: Frame[];
  watch: { expression: string | null; old: string | null; new: string | null } | null;
  /** Index into `Trace.commands`, or null before any command. */
  command: number | null;
  /** The block job this hit ran for (job completion bottom halves), when known. */
  job: string | null;
}

export type BacktraceKind = 'thread' | 'sanitizer' | 'command' | 'orphan';

/** A backtrace that belongs to no hit: `thread apply all bt`, a sanitizer report, a pasted crash. */
export interface Backtrace {
  kind: BacktraceKind;
  /** The line that introduced it (thread header, sanitizer line, gdb command), if any. */
  title: string | null;
  thread: ThreadRef | null;
  /** Document line of its first frame. */
  line: number;
  endLine: number;
  frames: Frame[];
  /** The hit in effect when it was printed (1-based), if any. */
  hit: number | null;
}

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  count: number;
  /** Up to MAX_DIAGNOSTIC_LINES document lines where it happened. */
  lines: number[];
}

export type DiagnosticCode =
  | 'unparsed-frame'
  | 'unparsed-hit'
  | 'truncated-frame'
  | 'truncated-hit'
  | 'long-line'
  | 'binary'
  | 'bad-command'
  | 'unfinished-transaction'
  | 'nothing-recognised';

export interface BreakpointDef {
  number: number;
  file: string | null;
  line: number | null;
  logLine: number;
}

export interface Trace {
  hits: Hit[];
  backtraces: Backtrace[];
  commands: QmpCommand[];
  breakpoints: BreakpointDef[];
  diagnostics: Diagnostic[];
  lineCount: number;
}

const MAX_DIAGNOSTIC_LINES = 20;
const MAX_CONTINUATIONS = 64;
const MAX_JSON_LINES = 2000;

const DIAGNOSTIC_TEXT: Record<DiagnosticCode, string> = {
  'unparsed-frame': 'lines start like a frame (#N) but could not be read as one',
  'unparsed-hit': 'lines look like a breakpoint hit but could not be read as one',
  'truncated-frame': 'frames end before their argument list closes (the log is cut off)',
  'truncated-hit': 'the log ends inside a hit, before its backtrace was complete',
  'long-line': 'lines are longer than 100,000 characters and were skipped',
  binary: 'lines hold binary data (control characters) and were skipped',
  'bad-command': 'QMP command lines could not be read',
  'unfinished-transaction': 'a qmp-shell transaction( was never closed with TRANS> )',
  'nothing-recognised': 'no breakpoint hits, backtraces or QMP commands were found: is this a gdb log?',
};

const BT_COMMAND = /^(?:bt|backtrace|where|info stack)(?:\s|$)/;
const THREAD_APPLY = /^(?:thr(?:ead)? a(?:pply)?|taas|tfaas)(?:\s|$)/;
const RESUME = /^(?:c|cont|continue|n|next|s|step|fin|finish|r|run|u|until|advance|ni|si|nexti|stepi|k|kill|q|quit)(?:\s|$)/;
const SANITIZER_TITLE = /^(?:==\d+==|READ of size|WRITE of size|freed by thread|previously allocated by thread|SUMMARY: |Thread T\d+ created by|Direct leak|Indirect leak)/;
const HMP_COMMAND = /^[a-z][a-z0-9_-]*(?:\s|$)/;
// eslint-disable-next-line no-control-regex
const BINARY = /[\x00-\x08\x0e-\x1a\x1c-\x1f]/;

interface PendingFrame {
  level: number;
  text: string;
  segments: Segment[];
  parsed: FrameText;
  continuations: number;
  /** Where the finished frame goes. */
  target: 'backtrace' | 'stop';
}

interface OpenBacktrace {
  frames: Frame[];
  owner: Hit | Backtrace;
}

type Context =
  | { kind: 'none' }
  | { kind: 'thread'; thread: ThreadRef; title: string }
  | { kind: 'sanitizer'; title: string }
  | { kind: 'command'; title: string };

/** Parses a log one chunk at a time; `end()` returns the Trace. Never throws on any input. */
export class TraceParser {
  private lineNo = 0;
  private partial = '';
  private pendingCR = false;
  private readonly trace: Trace = { hits: [], backtraces: [], commands: [], breakpoints: [], diagnostics: [], lineCount: 0 };
  private readonly diag = new Map<DiagnosticCode, Diagnostic>();
  /** For each hit (by position), the explicit command in effect (index) or -1. */
  private readonly hitSection: number[] = [];

  private hit: Hit | null = null;
  private hitWantsBacktrace = false;
  private hitWantsStop = false;
  private expectSource = false;
  private pending: PendingFrame | null = null;
  private bt: OpenBacktrace | null = null;
  private context: Context = { kind: 'none' };
  private lastNonBlank = -1;
  private transaction: { line: number; text: string[]; lines: string[] } | null = null;
  private json: { line: number; text: string; depth: number; lines: number } | null = null;

  /** Feed the next chunk of text (any split, including inside a line or a CRLF pair). */
  push(chunk: string): void {
    const n = chunk.length;
    let start = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk.charCodeAt(0) === 10) start = 1;
    }
    // The carried-over partial line lives in a local: touching the field on every line made V8
    // thirty times slower on multi-chunk input (measured with npm run bench).
    let partial = this.partial;
    this.partial = '';
    // positions of the next \n and \r, looked up with indexOf (native) and cached
    let nextLF = chunk.indexOf('\n', start);
    let nextCR = chunk.indexOf('\r', start);
    while (start < n) {
      if (nextLF >= 0 && nextLF < start) nextLF = chunk.indexOf('\n', start);
      if (nextCR >= 0 && nextCR < start) nextCR = chunk.indexOf('\r', start);
      const nl = nextCR < 0 ? nextLF : nextLF < 0 ? nextCR : Math.min(nextLF, nextCR);
      if (nl < 0) {
        partial += chunk.slice(start);
        break;
      }
      const line = partial === '' ? chunk.slice(start, nl) : partial + chunk.slice(start, nl);
      partial = '';
      this.feedLine(line);
      start = nl + 1;
      if (nl === nextCR) {
        if (start < n) {
          if (chunk.charCodeAt(start) === 10) start++;
        } else {
          this.pendingCR = true;
        }
      }
    }
    this.partial = partial;
  }

  /** Finish: the last line without a newline, open frames, attribution. */
  end(): Trace {
    if (this.partial !== '') {
      const last = this.partial;
      this.partial = '';
      this.feedLine(last);
    }
    this.finishFrame(true);
    if (this.hit && this.hitWantsBacktrace && this.hit.frames.length === 0 && this.lastPromptWasBt) {
      this.report('truncated-hit', this.hit.line);
    }
    this.closeBacktrace();
    this.closeHit();
    if (this.transaction) {
      this.report('unfinished-transaction', this.transaction.line);
      this.finishTransaction();
    }
    this.trace.lineCount = this.lineNo;
    attributeCommands(this.trace, this.hitSection);
    if (this.trace.hits.length === 0 && this.trace.backtraces.length === 0 && this.trace.commands.length === 0) {
      this.report('nothing-recognised', 0);
    }
    this.trace.diagnostics = [...this.diag.values()];
    return this.trace;
  }

  private lastPromptWasBt = false;

  private feedLine(raw: string): void {
    const lineNo = this.lineNo++;
    if (this.pending && this.continuePending(raw, lineNo)) return;
    this.finishFrame(false);
    if (raw.length > MAX_LINE_LENGTH) {
      this.report('long-line', lineNo);
      return;
    }
    // fast path for the commonest line by far: a frame at column 0
    if (raw.charCodeAt(0) === 35 /* # */ && !this.json && raw.indexOf('\u00a0') < 0) {
      let j = 1;
      let level = 0;
      for (let c = raw.charCodeAt(j); c >= 48 && c <= 57; c = raw.charCodeAt(++j)) level = level * 10 + (c - 48);
      if (j > 1 && raw.charCodeAt(j) === 32) {
        while (raw.charCodeAt(j) === 32) j++;
        const frame = parseFrameText(raw, j);
        if (frame) {
          this.lastNonBlank = lineNo;
          this.expectSource = false;
          this.onFrame(level, frame, lineNo);
          return;
        }
      }
    }
    const { body, line } = classifyLine(raw);
    if (this.json) {
      this.continueJson(body.text.slice(body.offset), lineNo);
      return;
    }
    if (line.kind !== 'blank') this.lastNonBlank = lineNo;
    const expectSource = this.expectSource;
    this.expectSource = false;

    switch (line.kind) {
      case 'blank':
        this.closeBacktrace();
        break;
      case 'frame':
        this.onFrame(line.level, line.frame, lineNo);
        break;
      case 'hit':
        this.onHit(line.header, lineNo);
        break;
      case 'source':
        if (expectSource && this.hit && this.hit.source === null) {
          this.hit.source = { number: line.number, text: line.text, range: { line: lineNo, start: line.textStart, end: line.textStart + line.text.length } };
        }
        this.closeBacktrace();
        break;
      case 'prompt':
        this.onPrompt(line.command);
        break;
      case 'qmp-shell':
        this.closeBacktrace();
        this.onQmpShell(line.text, lineNo);
        break;
      case 'trans':
        this.onTrans(line.text, lineNo);
        break;
      case 'hmp':
        this.closeBacktrace();
        if (HMP_COMMAND.test(line.text)) this.addCommand(parseHmpCommand(line.text, lineNo));
        break;
      case 'json':
        this.closeBacktrace();
        this.startJson(line.text, lineNo);
        break;
      case 'thread-header':
        this.closeBacktrace();
        this.context = { kind: 'thread', thread: { number: line.number, name: line.name }, title: raw.trim() };
        break;
      case 'thread-event':
        break;
      case 'breakpoint-set':
        this.trace.breakpoints.push({ number: line.number, file: line.file, line: line.line, logLine: lineNo });
        break;
      case 'watch-value':
        if (this.hit?.watch) this.hit.watch[line.which] = line.value;
        break;
      case 'separator':
        this.closeBacktrace();
        this.closeHit();
        break;
      case 'locals':
        break;
      case 'bt-end':
        this.closeBacktrace();
        break;
      case 'text':
        if (BINARY.test(raw)) {
          this.report('binary', lineNo);
          break;
        }
        this.onText(line.text, body.offset - body.quoteEnd, raw, lineNo);
        break;
    }
  }

  private onText(text: string, indent: number, raw: string, lineNo: number): void {
    // `bt full` prints each frame's locals indented by 8 spaces: they belong to the backtrace
    if (this.bt && indent >= 6) return;
    this.closeBacktrace();
    if (this.hitWantsStop && this.hit) {
      const f = parseFrameText(raw, raw.length - raw.trimStart().length);
      if (f && f.function !== '' && (f.file !== null || f.open !== null)) {
        this.hitWantsStop = false;
        this.startFrame(-1, f, lineNo, 'stop');
        this.expectSource = true;
        return;
      }
    }
    if (SANITIZER_TITLE.test(text)) {
      this.context = { kind: 'sanitizer', title: text };
      return;
    }
    if (/^#\d/.test(text)) this.report('unparsed-frame', lineNo);
    else if (/^(?:Thread \d+ .*)?hit (?:Breakpoint|.*watchpoint)/.test(text)) this.report('unparsed-hit', lineNo);
    else if (this.context.kind === 'none' || this.context.kind === 'command') this.context = { kind: 'none' };
  }

  private onPrompt(command: string): void {
    this.closeBacktrace();
    this.lastPromptWasBt = false;
    if (command === '') return;
    if (BT_COMMAND.test(command)) {
      this.lastPromptWasBt = true;
      this.context = this.hitWantsBacktrace ? { kind: 'none' } : { kind: 'command', title: `(gdb) ${command}` };
    } else if (THREAD_APPLY.test(command)) {
      this.hitWantsBacktrace = false;
      this.context = { kind: 'command', title: `(gdb) ${command}` };
    } else if (RESUME.test(command)) {
      this.hitWantsBacktrace = false;
      this.context = { kind: 'none' };
    } else {
      this.context = { kind: 'command', title: `(gdb) ${command}` };
    }
  }

  private onHit(header: HitHeader, lineNo: number): void {
    this.closeBacktrace();
    this.closeHit();
    const hit: Hit = {
      index: this.trace.hits.length + 1,
      line: lineNo,
      endLine: lineNo,
      thread: header.thread,
      breakpoint: header.number,
      kind: header.kind,
      temporary: header.temporary,
      stop: null,
      source: null,
      frames: [],
      watch: header.kind === 'watchpoint' ? { expression: header.expression, old: null, new: null } : null,
      command: null,
      job: null,
    };
    this.trace.hits.push(hit);
    this.hitSection.push(this.trace.commands.length - 1);
    this.hit = hit;
    this.hitWantsBacktrace = true;
    this.hitWantsStop = header.kind === 'watchpoint';
    this.context = { kind: 'none' };
    if (header.frame) {
      this.startFrame(-1, header.frame, lineNo, 'stop');
      this.expectSource = true;
    }
  }

  private onFrame(level: number, frame: FrameText, lineNo: number): void {
    const last = this.bt?.frames[this.bt.frames.length - 1];
    if (this.bt && last && level <= last.level) this.closeBacktrace();
    if (!this.bt) {
      if (this.hit && this.hitWantsBacktrace && this.context.kind === 'none') {
        this.bt = { frames: this.hit.frames, owner: this.hit };
        this.hitWantsBacktrace = false;
      } else {
        const c = this.context;
        const bt: Backtrace = {
          kind: c.kind === 'none' ? (this.hit ? 'command' : 'orphan') : c.kind,
          title: c.kind === 'none' ? null : c.title,
          thread: c.kind === 'thread' ? c.thread : null,
          line: lineNo,
          endLine: lineNo,
          frames: [],
          hit: this.hit?.index ?? null,
        };
        this.trace.backtraces.push(bt);
        this.bt = { frames: bt.frames, owner: bt };
      }
    }
    this.startFrame(level, frame, lineNo, 'backtrace');
  }

  private startFrame(level: number, parsed: FrameText, lineNo: number, target: PendingFrame['target']): void {
    if (parsed.open === null) this.commitFrame(new Frame(level, parsed, lineNo), target);
    else this.pending = { level, text: parsed.text, segments: [{ from: 0, line: lineNo, col: 0 }], parsed, continuations: 0, target };
  }

  /** Try to read `raw` as the continuation of a wrapped frame; true when consumed. */
  private continuePending(raw: string, lineNo: number): boolean {
    const p = this.pending!;
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
    const start = p.parsed.start;
    const reparsed = parseFrameText(p.text, start);
    if (!reparsed) {
      this.report('unparsed-frame', lineNo);
      this.pending = null;
      return true;
    }
    p.parsed = reparsed;
    this.lastNonBlank = lineNo;
    if (reparsed.open === null || p.continuations >= MAX_CONTINUATIONS) this.finishFrame(false);
    return true;
  }

  /** Commit the pending frame, if any. At the end of the log an unclosed argument list is reported. */
  private finishFrame(atEnd: boolean): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.parsed.open === 'args') {
      this.report('truncated-frame', p.segments[0].line);
      if (atEnd && this.hit && p.target === 'backtrace' && this.bt?.owner === this.hit) this.report('truncated-hit', this.hit.line);
    }
    this.commitFrame(new Frame(p.level, p.parsed, p.segments.length === 1 ? p.segments[0].line : p.segments), p.target);
  }

  private commitFrame(frame: Frame, target: PendingFrame['target']): void {
    if (target === 'stop') {
      if (this.hit) this.hit.stop = frame;
    } else if (this.bt) {
      this.bt.frames.push(frame);
      if (!('index' in this.bt.owner)) this.bt.owner.endLine = frame.range.endLine;
    }
  }

  private closeBacktrace(): void {
    this.bt = null;
  }

  private closeHit(): void {
    if (this.hit) this.hit.endLine = Math.max(this.hit.line, this.lastNonBlank);
    this.hit = null;
    this.hitWantsBacktrace = false;
    this.hitWantsStop = false;
  }

  private onQmpShell(text: string, lineNo: number): void {
    if (text === '') return;
    this.closeHit();
    if (/^transaction\(\s*$/.test(text)) {
      this.transaction = { line: lineNo, text: [], lines: [] };
      return;
    }
    const cmd = parseQmpShellCommand(text, lineNo);
    if (cmd) this.addCommand(cmd);
    else this.report('bad-command', lineNo);
  }

  private onTrans(text: string, lineNo: number): void {
    if (!this.transaction) {
      this.report('bad-command', lineNo);
      return;
    }
    if (text === ')') {
      this.finishTransaction();
      return;
    }
    this.transaction.text.push(text);
  }

  private finishTransaction(): void {
    const t = this.transaction;
    if (!t) return;
    this.transaction = null;
    const actions: { type: string; data: Record<string, unknown> }[] = [];
    for (const a of t.text) {
      const cmd = parseQmpShellCommand(a, t.line);
      if (cmd) actions.push({ type: cmd.name, data: cmd.arguments });
      else this.report('bad-command', t.line);
    }
    this.addCommand({
      name: 'transaction',
      arguments: { actions },
      origin: 'qmp-shell',
      line: t.line,
      text: ['transaction(', ...t.text.map((x) => `  ${x}`), ')'].join('\n'),
      hits: [],
      inferredFrom: null,
      reply: null,
    });
  }

  private startJson(text: string, lineNo: number): void {
    const depth = jsonDepth(text);
    if (depth > 0) {
      this.json = { line: lineNo, text, depth, lines: 1 };
      return;
    }
    this.onJson(text, lineNo);
  }

  private continueJson(text: string, lineNo: number): void {
    const j = this.json!;
    j.text += `\n${text}`;
    j.depth += jsonDepth(text);
    j.lines++;
    this.lastNonBlank = lineNo;
    if (j.depth <= 0 || j.lines >= MAX_JSON_LINES) {
      this.json = null;
      this.onJson(j.text, j.line);
    }
  }

  private onJson(text: string, lineNo: number): void {
    const msg = parseQmpJson(text, lineNo);
    if (msg === null) return;
    if (msg.kind === 'command') {
      // qmp-shell -v echoes the JSON it sends right after the command line: one command, not two
      const prev = this.trace.commands[this.trace.commands.length - 1];
      const prevHasHits = this.trace.hits.length > 0 && this.hitSection[this.hitSection.length - 1] === this.trace.commands.length - 1;
      if (prev && prev.origin === 'qmp-shell' && prev.name === msg.command.name && !prevHasHits && prev.line !== null && lineNo - prev.line <= 3) return;
      this.closeHit();
      this.addCommand(msg.command);
    } else if (msg.kind === 'reply') {
      const prev = this.trace.commands[this.trace.commands.length - 1];
      if (prev && prev.reply === null) prev.reply = msg.reply;
    } else if (msg.kind === 'bad') {
      this.report('bad-command', lineNo);
    }
  }

  private addCommand(cmd: QmpCommand): void {
    this.closeHit();
    this.trace.commands.push(cmd);
  }

  private report(code: DiagnosticCode, line: number): void {
    let d = this.diag.get(code);
    if (!d) {
      d = { code, message: DIAGNOSTIC_TEXT[code], count: 0, lines: [] };
      this.diag.set(code, d);
    }
    d.count++;
    if (d.lines.length < MAX_DIAGNOSTIC_LINES && !d.lines.includes(line)) d.lines.push(line);
  }
}

/** Net `{`/`[` nesting of a JSON fragment, ignoring brackets inside strings. */
function jsonDepth(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++;
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 || ch === 91) depth++;
    else if (ch === 125 || ch === 93) depth--;
  }
  return depth;
}

/** Parse a whole log held in memory. */
export function parseTrace(text: string): Trace {
  const p = new TraceParser();
  p.push(text);
  return p.end();
}

/** Parse a log from a stream of text chunks (a file read piece by piece). */
export async function parseTraceStream(chunks: AsyncIterable<string>): Promise<Trace> {
  const p = new TraceParser();
  for await (const chunk of chunks) p.push(chunk);
  return p.end();
}
