// Parsing a gdb session log into a Trace (trace.ts): one pass over the lines that finds the
// structure (hits, backtraces, commands), then attribution (attribution.ts). Each backtrace keeps its
// text and becomes Frame objects on first use (frames.ts), which is what lets a 100 MB log open in
// well under a second. Logs are read as text or as bytes, in chunks split anywhere, and a log still
// being written can be read as it grows (`snapshot`).

import { attributeCommands } from './attribution';
import { BacktraceText, FrameStore } from './backtraceText';
import { Frame, FrameAssembler, frameLevel } from './frames';
import { classifyLine, lineBody, MAX_LINE_LENGTH, parseFrameText, type HitHeader, type LineKind } from './lines';
import { commandFromTrace, commandOfTraceEvent, parseHmpCommand, parseQmpJson, parseQmpShellCommand, replyFromTrace, type QmpCommand } from './qmp';
import { parseRecordedGraph } from './recorded';
import { LineLengths, startsOwnLine, withoutTerminalCodes } from './terminal';
import { readTraceLine } from './traceEvents';
import { Backtrace, Hit, type BacktraceKind, type Diagnostic, type DiagnosticCode, type ThreadRef, type Trace } from './trace';

/** Read every backtrace now (for complete diagnostics, or to time it). */
export function parseAllFrames(trace: Trace): void {
  for (const h of trace.hits) void h.frames;
  for (const b of trace.backtraces) void b.frames;
}

/** Count every backtrace's frames, with their problems reported as reading them would: the frames are built only where a line is not plain. */
export function countAllFrames(trace: Trace): number {
  let n = 0;
  for (const h of trace.hits) n += h.frameCount;
  for (const b of trace.backtraces) void b.frameCount;
  return n;
}

const MAX_DIAGNOSTIC_LINES = 20;
const MAX_JSON_LINES = 2000;

const DIAGNOSTIC_TEXT: Record<DiagnosticCode, string> = {
  'unparsed-frame': 'lines start like a frame (#N) but could not be read as one',
  'unparsed-hit': 'lines look like a breakpoint hit but could not be read as one',
  'truncated-frame': 'frames break off before they are complete (the log is cut off)',
  'truncated-hit': 'the log ends inside a hit, before its backtrace was complete',
  'long-line': 'lines are longer than 100,000 characters and were skipped',
  binary: 'lines hold binary data (control characters) and were skipped',
  'bad-command': 'QMP command lines could not be read',
  'bad-recorded-graph': 'qbt-graph lines (QEMU\'s graph recorded at a stop) could not be read, or were printed outside a hit',
  'unfinished-transaction': 'a qmp-shell transaction( was never closed with TRANS> )',
  'nothing-recognised': 'no breakpoint hits, backtraces or QMP commands were found: is this a gdb log?',
  'damaged-compression': 'the log\'s gzip data is damaged or cut off here: what came before was read, the rest could not be',
};

const BT_COMMAND = /^(?:bt|backtrace|where|info stack)(?:\s|$)/;
const THREAD_APPLY = /^(?:thr(?:ead)? a(?:pply)?|taas|tfaas)(?:\s|$)/;
const WATCH_COMMAND = /^(?:watch|wa|rwatch|rw|awatch|aw)(?:\s|$)/;
const RESUME = /^(?:c|cont|continue|n|next|s|step|fin|finish|r|run|u|until|advance|ni|si|nexti|stepi|k|kill|q|quit)(?:\s|$)/;
const SANITIZER_TITLE = /^(?:==\d+==|READ of size|WRITE of size|freed by thread|previously allocated by thread|SUMMARY: |Thread T\d+ created by|Direct leak|Indirect leak)/;
const HMP_COMMAND = /^[a-z][a-z0-9_-]*(?:\s|$)/;
const QMP_EVENT = /^\{.*"event" ?: ?"[A-Z0-9_]+"/;
// eslint-disable-next-line no-control-regex
const BINARY = /[\x00-\x08\x0e-\x1a\x1c-\x1f]/;

/**
 * Where the next terminal control code (ESC, backspace, bell) of a chunk is: each code's next
 * position is looked up again only once it is passed (one that does not occur is looked for once).
 */
class TerminalCodes {
  private esc = 0;
  private bs = 0;
  private bel = 0;

  constructor(private readonly chunk: string) {
    this.esc = chunk.indexOf('\x1b');
    this.bs = chunk.indexOf('\b');
    this.bel = chunk.indexOf('\x07');
  }

  /** Whether `chunk[from, to)` holds one. */
  within(from: number, to: number): boolean {
    const c = this.chunk;
    if (this.esc >= 0 && this.esc < from) this.esc = c.indexOf('\x1b', from);
    if (this.bs >= 0 && this.bs < from) this.bs = c.indexOf('\b', from);
    if (this.bel >= 0 && this.bel < from) this.bel = c.indexOf('\x07', from);
    return (this.esc >= 0 && this.esc < to) || (this.bs >= 0 && this.bs < to) || (this.bel >= 0 && this.bel < to);
  }

  /** Whether the chunk holds none at all. */
  get none(): boolean {
    return this.esc < 0 && this.bs < 0 && this.bel < 0;
  }
}

/** A backtrace being read: its text so far and who it belongs to. */
interface OpenBacktrace {
  /** Text finished so far (pieces from earlier chunks), then the run `src[from, to)` being extended. */
  parts: string[];
  src: string;
  from: number;
  to: number;
  lineCount: number;
  firstLine: number;
  lastLevel: number;
  owner: Hit | { kind: BacktraceKind; title: string | null; thread: ThreadRef | null; hit: number | null };
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
  /** The first bytes of a UTF-8 character that the next pushBytes completes. */
  private pendingBytes: Buffer = EMPTY;
  private readonly trace: Trace = { hits: [], backtraces: [], commands: [], breakpoints: [], diagnostics: [], jobs: new Map(), events: [], lineCount: 0 };
  private readonly diag = new Map<DiagnosticCode, Diagnostic>();
  /** For each hit (by position), the explicit command in effect (index) or -1. */
  private readonly hitSection: number[] = [];
  private readonly report = (code: DiagnosticCode, line: number) => this.addDiagnostic(code, line);
  /** Where the trace's frames are kept (shared with the parsers forked from this one: it only grows). */
  private frameStore = new FrameStore();
  /** How long its lines are: whether a screen cut them (terminal.ts). */
  private readonly lengths = new LineLengths();

  private hit: Hit | null = null;
  private hitWantsBacktrace = false;
  private hitWantsStop = false;
  private lastPromptWasBt = false;
  /** The last line was `(gdb) watch …`: gdb's answer says the watchpoint is set. */
  private afterWatch = false;
  private expectSource = false;
  /** The hit's stop location when gdb wrapped the header line. */
  private readonly stopFrames = new FrameAssembler(this.report, (level, source, place) => {
    if (this.hit) this.hit.stop = new Frame(level, source, place);
  });
  private bt: OpenBacktrace | null = null;
  private context: Context = { kind: 'none' };
  private lastNonBlank = -1;
  /** The command QEMU's trace says is running (`qmp_enter_<x>` seen, `qmp_exit_<x>` not yet). */
  private traced: QmpCommand | null = null;
  private readonly replyFromTrace = new WeakSet<QmpCommand>();
  private transaction: { line: number; text: string[] } | null = null;
  /** A JSON message over several lines; `before` is the last non-blank line before it. */
  private json: { line: number; text: string; depth: number; lines: number; before: number } | null = null;

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
    // and of the next terminal control code (a log saved from a terminal), if the chunk has any
    const codes = new TerminalCodes(chunk);
    const plain = codes.none;
    while (start < n) {
      if (nextLF >= 0 && nextLF < start) nextLF = chunk.indexOf('\n', start);
      if (nextCR >= 0 && nextCR < start) nextCR = chunk.indexOf('\r', start);
      const nl = nextCR < 0 ? nextLF : nextLF < 0 ? nextCR : Math.min(nextLF, nextCR);
      if (nl < 0) {
        partial += chunk.slice(start);
        // a line longer than any the parser reads is skipped anyway: keep only enough to know it
        if (partial.length > MAX_LINE_LENGTH + 1) partial = partial.slice(0, MAX_LINE_LENGTH + 1);
        break;
      }
      if (partial === '' && (plain || !codes.within(start, nl))) {
        this.feedLine(chunk, start, nl);
      } else {
        const line = partial + chunk.slice(start, nl);
        partial = '';
        this.feedTerminalLine(line);
      }
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

  /** Feed the next chunk of the log's bytes (UTF-8), split anywhere, even inside a character. */
  pushBytes(chunk: Uint8Array): void {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pendingBytes.length > 0) {
      bytes = Buffer.concat([this.pendingBytes, bytes]);
      this.pendingBytes = EMPTY;
    }
    const cut = completeUtf8(bytes);
    if (cut < bytes.length) this.pendingBytes = Buffer.from(bytes.subarray(cut));
    if (cut > 0) this.push(bytes.toString('utf8', 0, cut));
  }

  /**
   * The trace of what was pushed so far, as `end()` would give it, while the parser goes on: for a
   * log still being written, whose new tail is then pushed without reading the rest again.
   * Problems found later inside the frames of this trace (read on first use) are reported to the
   * parser, so they show in the next snapshot and in `end()`.
   */
  snapshot(): Trace {
    return this.fork().end();
  }

  /** A parser in this one's state, sharing nothing that either changes later. */
  private fork(): TraceParser {
    const c = new TraceParser();
    const hits = new Map<Hit, Hit>();
    const copyHit = (h: Hit) => {
      const x = Object.assign(Object.create(Hit.prototype) as Hit, h);
      if (h.watch) x.watch = { ...h.watch };
      hits.set(h, x);
      return x;
    };
    const t = this.trace;
    c.trace.hits = t.hits.map(copyHit);
    c.trace.backtraces = [...t.backtraces];
    c.trace.commands = t.commands.map((cmd) => ({ ...cmd, hits: [...cmd.hits] }));
    c.trace.breakpoints = [...t.breakpoints];
    for (const d of t.diagnostics) {
      const copy = { ...d, lines: [...d.lines] };
      c.trace.diagnostics.push(copy);
      c.diag.set(d.code, copy);
    }
    c.trace.jobs = new Map([...t.jobs].map(([k, v]) => [k, [...v]]));
    c.trace.events = [...t.events];
    if (t.terminalCodes) c.trace.terminalCodes = { ...t.terminalCodes };
    c.hitSection.push(...this.hitSection);
    c.lineNo = this.lineNo;
    this.lengths.copyTo(c.lengths);
    c.partial = this.partial;
    c.pendingCR = this.pendingCR;
    c.hit = this.hit && hits.get(this.hit)!;
    c.hitWantsBacktrace = this.hitWantsBacktrace;
    c.hitWantsStop = this.hitWantsStop;
    c.lastPromptWasBt = this.lastPromptWasBt;
    c.afterWatch = this.afterWatch;
    c.expectSource = this.expectSource;
    this.stopFrames.copyTo(c.stopFrames);
    if (this.bt) {
      const owner = this.bt.owner instanceof Hit ? hits.get(this.bt.owner)! : this.bt.owner;
      c.bt = { ...this.bt, parts: [...this.bt.parts], owner };
    }
    c.context = this.context;
    c.lastNonBlank = this.lastNonBlank;
    c.traced = this.traced && (c.trace.commands[t.commands.indexOf(this.traced)] ?? null);
    c.transaction = this.transaction && { line: this.transaction.line, text: [...this.transaction.text] };
    c.json = this.json && { ...this.json };
    c.pendingBytes = this.pendingBytes;
    c.frameStore = this.frameStore;
    return c;
  }

  /** The log breaks off here for a reason told by `code` (its compressed data is damaged): said at the line reached. */
  cutOff(code: 'damaged-compression'): void {
    this.addDiagnostic(code, this.lineNo);
  }

  /** Finish: the last line without a newline, open frames, attribution. */
  end(): Trace {
    if (this.pendingBytes.length > 0) {
      // a log cut inside a character: what there is of it, as replacement characters
      const rest = this.pendingBytes;
      this.pendingBytes = EMPTY;
      this.push(rest.toString('utf8'));
    }
    // a log that does not end with a line break may have been cut in the middle of a line
    const unterminated = this.partial !== '';
    if (this.partial !== '') {
      const last = this.partial;
      this.partial = '';
      this.feedTerminalLine(last);
    }
    this.stopFrames.finish();
    const lastBt = this.bt;
    this.closeBacktrace();
    const hit = this.hit;
    if (hit && lastBt?.owner === hit) {
      // the log may end inside this hit's backtrace: read it now to know
      const before = this.diag.get('truncated-frame')?.count ?? 0;
      const last = hit.frames[hit.frames.length - 1];
      let truncated = (this.diag.get('truncated-frame')?.count ?? 0) > before;
      if (!truncated && unterminated && last?.incomplete) {
        this.addDiagnostic('truncated-frame', last.logLine);
        truncated = true;
      }
      if (truncated) this.addDiagnostic('truncated-hit', hit.line);
    } else if (hit && this.hitWantsBacktrace && this.lastPromptWasBt) {
      this.addDiagnostic('truncated-hit', hit.line);
    }
    this.closeHit();
    if (this.transaction) {
      this.addDiagnostic('unfinished-transaction', this.transaction.line);
      this.finishTransaction();
    }
    this.trace.lineCount = this.lineNo;
    const cut = this.lengths.cutAt();
    if (cut) this.trace.cutAt = cut;
    attributeCommands(this.trace, this.hitSection);
    if (this.trace.hits.length === 0 && this.trace.backtraces.length === 0 && this.trace.commands.length === 0) {
      this.addDiagnostic('nothing-recognised', 0);
    }
    return this.trace;
  }

  /** A line that may hold terminal control codes: read as the terminal showed it. */
  private feedTerminalLine(line: string): void {
    const shown = withoutTerminalCodes(line);
    if (shown !== line) {
      const t = (this.trace.terminalCodes ??= { lines: 0, firstLine: this.lineNo });
      t.lines++;
    }
    this.feedLine(shown, 0, shown.length);
  }

  /** One line: `src.slice(start, end)`, passed as offsets so that frame lines are never sliced. */
  private feedLine(src: string, start: number, end: number): void {
    const lineNo = this.lineNo++;
    const lengths = this.lengths;
    if (lengths.wantsNext) lengths.next(startsOwnLine(src.slice(start, end)));
    lengths.add(end - start);
    if (this.stopFrames.isOpen && this.stopFrames.continueWith(src.slice(start, end), lineNo)) {
      this.lastNonBlank = lineNo;
      return;
    }
    this.stopFrames.finish();
    if (end - start > MAX_LINE_LENGTH) {
      this.addDiagnostic('long-line', lineNo);
      return;
    }
    if (this.json) {
      this.continueJson(src.slice(start, end), lineNo);
      return;
    }
    // The commonest line by far, a frame at column 0, is only filed here: frames.ts reads it later.
    if (src.charCodeAt(start) === 35 /* # */) {
      const at = frameLevel(src, start);
      if (at && this.onFrameLine(src, start, end, at.level, lineNo)) return;
    }
    const raw = src.slice(start, end);
    if (this.bt && this.continuesBacktrace(raw, src, start, end, lineNo)) return;
    this.onLine(raw, lineNo);
  }

  /** Lines inside an open backtrace: indented continuations and locals, quoted or indented frames. */
  private continuesBacktrace(raw: string, src: string, start: number, end: number, lineNo: number): boolean {
    const body = lineBody(raw);
    if (body.offset >= body.text.length) return false;
    const at = frameLevel(body.text, body.offset);
    if (at) return this.onFrameLine(src, start, end, at.level, lineNo);
    const indented = body.offset > body.quoteEnd;
    const rest = body.text.slice(body.offset, body.offset + 5);
    // A continuation at column 0 (mail damage) is an argument list or location after a frame;
    // whether it really continues one is for frames.ts to tell.
    const continuation =
      (rest.startsWith('(') || rest.startsWith('at ') || rest.startsWith('from ')) && classifyLine(raw).line.kind === 'text';
    if (indented || continuation || rest.startsWith('No lo') || rest.startsWith('No sy')) {
      appendLine(this.bt!, src, start, end);
      this.lastNonBlank = lineNo;
      return true;
    }
    return false;
  }

  /** A `#N ` line (`src.slice(start, end)`): file it in the open backtrace or open one. */
  private onFrameLine(src: string, start: number, end: number, level: number, lineNo: number): boolean {
    let bt = this.bt;
    if (bt && level <= bt.lastLevel) {
      this.closeBacktrace();
      bt = null;
    }
    if (!bt) {
      // the first frame of a backtrace is read now, so that a `#` line of other text opens none
      const raw = src.slice(start, end);
      const body = lineBody(raw);
      const at = frameLevel(body.text, body.offset);
      if (!at || !parseFrameText(body.text, at.rest)) {
        this.addDiagnostic('unparsed-frame', lineNo);
        this.lastNonBlank = lineNo;
        return true;
      }
      bt = this.openBacktrace(lineNo);
    }
    appendLine(bt, src, start, end);
    bt.lastLevel = level;
    this.lastNonBlank = lineNo;
    this.expectSource = false;
    return true;
  }

  private openBacktrace(lineNo: number): OpenBacktrace {
    let owner: OpenBacktrace['owner'];
    if (this.hit && this.hitWantsBacktrace && this.context.kind === 'none') {
      owner = this.hit;
      this.hitWantsBacktrace = false;
    } else {
      const c = this.context;
      owner = {
        kind: c.kind === 'none' ? (this.hit ? 'command' : 'orphan') : c.kind,
        title: c.kind === 'none' ? null : c.title,
        thread: c.kind === 'thread' ? c.thread : null,
        hit: this.hit?.index ?? null,
      };
    }
    this.bt = { parts: [], src: '', from: 0, to: 0, lineCount: 0, firstLine: lineNo, lastLevel: -1, owner };
    return this.bt;
  }

  private closeBacktrace(): void {
    const bt = this.bt;
    if (!bt) return;
    this.bt = null;
    bt.parts.push(bt.src.slice(bt.from, bt.to));
    let joined = bt.parts.length === 1 ? bt.parts[0] : bt.parts.join('\n');
    // lines joined by \n whatever ended them and wherever the chunks were cut (a run of CRLF lines
    // in one chunk kept its \r\n; a \r is a line break, so it is one only there)
    if (joined.indexOf('\r') >= 0) joined = joined.replace(/\r\n/g, '\n');
    const text = new BacktraceText(joined, bt.firstLine, bt.firstLine + bt.lineCount - 1, this.report, this.frameStore);
    if (bt.owner instanceof Hit) bt.owner.backtrace = text;
    else this.trace.backtraces.push(new Backtrace(bt.owner.kind, bt.owner.title, bt.owner.thread, bt.owner.hit, text));
  }

  private onLine(raw: string, lineNo: number): void {
    const { line } = classifyLine(raw);
    // A hit ends at the last line before whatever ends it: its lastNonBlank is read (closeHit)
    // while this line is handled, so the line counts only afterwards.
    this.onLineOfKind(line, raw, lineNo);
    if (line.kind !== 'blank') this.lastNonBlank = lineNo;
  }

  private onLineOfKind(line: LineKind, raw: string, lineNo: number): void {
    const expectSource = this.expectSource;
    this.expectSource = false;
    const afterWatch = this.afterWatch;
    if (line.kind !== 'blank') this.afterWatch = false;
    // a QMP event or one of QEMU's trace lines printed between two frames (qmp-shell, QEMU and gdb
    // in one terminal; an event arriving late, a thread gdb does not stop): the backtrace goes on
    // after it, its line left blank in it (not a command's own trace line: that starts a command)
    if (this.bt && this.json === null) {
      const event = line.kind === 'json' && jsonDepth(line.text) === 0 && QMP_EVENT.test(line.text);
      const traced = line.kind === 'qemu-trace' && !/^qmp_(?:enter|exit)_/.test(line.event);
      if (event || traced) {
        appendLine(this.bt, '', 0, 0);
        if (line.kind === 'json') this.onJson(line.text, lineNo);
        else if (line.kind === 'qemu-trace') this.onQemuTrace(line, raw.trim(), lineNo);
        return;
      }
    }
    if (line.kind !== 'frame') this.closeBacktrace();

    switch (line.kind) {
      case 'blank':
        break;
      case 'frame':
        // quoted or indented frame (`> #1 …`, sanitizer's `    #0 …`)
        this.onFrameLine(raw, 0, raw.length, line.level, lineNo);
        break;
      case 'hit':
        // `Hardware watchpoint 10: expr` right after `(gdb) watch expr` is gdb saying it is set
        // (a watchpoint that triggers in QEMU says which thread hit it)
        if (afterWatch && line.header.kind === 'watchpoint' && line.header.thread === null) {
          this.trace.breakpoints.push({ number: line.header.number, file: null, line: null, logLine: lineNo });
          break;
        }
        this.onHit(line.header, lineNo);
        break;
      case 'source':
        if (expectSource && this.hit && this.hit.source === null) {
          this.hit.source = { number: line.number, text: line.text, range: { line: lineNo, start: line.textStart, end: line.textStart + line.text.length } };
        }
        break;
      case 'prompt':
        this.onPrompt(line.command);
        break;
      case 'qmp-shell':
        this.onQmpShell(line.text, lineNo);
        break;
      case 'trans':
        this.onTrans(line.text, lineNo);
        break;
      case 'hmp':
        if (HMP_COMMAND.test(line.text)) this.addCommand(parseHmpCommand(line.text, lineNo));
        break;
      case 'qemu-trace':
        this.onQemuTrace(line, raw.trim(), lineNo);
        break;
      case 'recorded-graph': {
        const graph = parseRecordedGraph(line.json);
        if (graph && this.hit && this.hit.recorded === null) {
          this.hit.recorded = graph;
          this.hit.recordedLine = lineNo;
        }
        else this.addDiagnostic('bad-recorded-graph', lineNo);
        break;
      }
      case 'json':
        this.startJson(line.text, lineNo);
        break;
      case 'thread-header':
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
        this.closeHit();
        break;
      case 'locals':
      case 'bt-end':
        break;
      case 'text':
        if (BINARY.test(raw)) this.addDiagnostic('binary', lineNo);
        else this.onText(line.text, raw, lineNo);
        break;
    }
  }

  private onText(text: string, raw: string, lineNo: number): void {
    if (this.hitWantsStop && this.hit) {
      const f = parseFrameText(raw, raw.length - raw.trimStart().length);
      if (f && f.function !== '' && (f.file !== null || f.open !== null)) {
        this.hitWantsStop = false;
        this.stopFrames.start(-1, f, lineNo);
        this.expectSource = true;
        return;
      }
    }
    if (SANITIZER_TITLE.test(text)) {
      this.context = { kind: 'sanitizer', title: text };
      return;
    }
    if (/^(?:Thread \d+ .*)?hit (?:Breakpoint|.*watchpoint)/.test(text)) this.addDiagnostic('unparsed-hit', lineNo);
    else if (this.context.kind === 'command') this.context = { kind: 'none' };
  }

  private onPrompt(command: string): void {
    this.lastPromptWasBt = false;
    this.afterWatch = WATCH_COMMAND.test(command);
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
    this.closeHit();
    const hit = new Hit(this.trace.hits.length + 1, lineNo, header.thread, header.number, header.kind, header.temporary, header.expression);
    this.trace.hits.push(hit);
    this.hitSection.push(this.trace.commands.length - 1);
    this.hit = hit;
    this.hitWantsBacktrace = true;
    this.hitWantsStop = header.kind === 'watchpoint';
    this.context = { kind: 'none' };
    if (header.frame) {
      this.stopFrames.start(-1, header.frame, lineNo);
      this.expectSource = true;
    }
  }

  private closeHit(): void {
    this.closeBacktrace();
    if (this.hit) this.hit.endLine = Math.max(this.hit.line, this.lastNonBlank);
    this.hit = null;
    this.hitWantsBacktrace = false;
    this.hitWantsStop = false;
  }

  private onQmpShell(text: string, lineNo: number): void {
    if (text === '') return;
    this.closeHit();
    if (/^transaction\(\s*$/.test(text)) {
      this.transaction = { line: lineNo, text: [] };
      return;
    }
    const cmd = parseQmpShellCommand(text, lineNo);
    if (cmd) this.addCommand(cmd);
    else this.addDiagnostic('bad-command', lineNo);
  }

  private onTrans(text: string, lineNo: number): void {
    if (!this.transaction) {
      this.addDiagnostic('bad-command', lineNo);
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
      else this.addDiagnostic('bad-command', t.line);
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
      this.json = { line: lineNo, text, depth, lines: 1, before: this.lastNonBlank };
      return;
    }
    this.onJson(text, lineNo);
  }

  private continueJson(raw: string, lineNo: number): void {
    const j = this.json!;
    const body = lineBody(raw);
    const text = body.text.slice(body.offset);
    j.text += `\n${text}`;
    j.depth += jsonDepth(text);
    j.lines++;
    if (j.depth <= 0 || j.lines >= MAX_JSON_LINES) {
      this.json = null;
      // a command closes the hit before it: the hit ends before the message's first line
      this.lastNonBlank = j.before;
      this.onJson(j.text, j.line);
    }
    this.lastNonBlank = lineNo;
  }

  private onJson(text: string, lineNo: number): void {
    const msg = parseQmpJson(text, lineNo);
    if (msg === null) return;
    if (msg.kind === 'command') {
      // qmp-shell -v echoes the JSON it sends right after the command line: one command, not two
      const prev = this.trace.commands[this.trace.commands.length - 1];
      const prevHasHits = this.trace.hits.length > 0 && this.hitSection[this.hitSection.length - 1] === this.trace.commands.length - 1;
      if (prev && prev.origin === 'qmp-shell' && prev.name === msg.command.name && !prevHasHits && prev.line !== null && lineNo - prev.line <= 3) return;
      this.addCommand(msg.command);
    } else if (msg.kind === 'reply') {
      const prev = this.trace.commands[this.trace.commands.length - 1];
      if (prev && (prev.reply === null || this.replyFromTrace.has(prev))) {
        prev.reply = msg.reply;
        this.replyFromTrace.delete(prev);
      }
    } else if (msg.kind === 'bad') {
      this.addDiagnostic('bad-command', lineNo);
    }
  }

  /**
   * QEMU's `qmp_enter_<x>` / `qmp_exit_<x>` trace lines bracket each command it runs: a command the
   * log did not show as typed is known from them, and so is its outcome when no reply is logged.
   */
  private onQemuTrace(line: Extract<LineKind, { kind: 'qemu-trace' }>, text: string, lineNo: number): void {
    const { event, args } = line;
    const enter = event.startsWith('qmp_enter_');
    if (!enter && !event.startsWith('qmp_exit_')) {
      const e = readTraceLine(event, args, line.eventStart + event.length + 1);
      if (e) this.trace.events.push({ ...e, line: lineNo, hitsBefore: this.trace.hits.length });
      return;
    }
    const name = commandOfTraceEvent(event.slice(enter ? 10 : 9));
    const prev = this.trace.commands[this.trace.commands.length - 1];
    const prevHasHits = this.trace.hits.length > 0 && this.hitSection[this.hitSection.length - 1] === this.trace.commands.length - 1;
    if (enter) {
      // the command typed just before (qmp-shell, raw QMP): its echo, not another command
      if (prev && prev.origin !== 'inferred' && prev.origin !== 'hmp' && prev.name === name && !prevHasHits && prev.reply === null) {
        this.traced = prev;
        return;
      }
      // the monitor's own greeting (query-version), the client's handshake and its look at what
      // QEMU offers (qmp-shell's, the recorder's, for completion) are no user's commands
      if (name === 'qmp_capabilities' || name === 'query-version' || name === 'query-commands') {
        this.traced = null;
        return;
      }
      const cmd = commandFromTrace(event.slice(10), args, lineNo, text);
      this.addCommand(cmd);
      this.traced = cmd;
      return;
    }
    const cmd = this.traced;
    if (cmd && cmd.name === name && cmd.reply === null) {
      cmd.reply = replyFromTrace(args);
      // QEMU's reply, when the log shows it after this, says more (the error's class)
      if (cmd.reply) this.replyFromTrace.add(cmd);
    }
    this.traced = null;
  }

  private addCommand(cmd: QmpCommand): void {
    this.closeHit();
    this.trace.commands.push(cmd);
  }

  private addDiagnostic(code: DiagnosticCode, line: number): void {
    let d = this.diag.get(code);
    if (!d) {
      d = { code, message: DIAGNOSTIC_TEXT[code], count: 0, lines: [] };
      this.diag.set(code, d);
      this.trace.diagnostics.push(d);
    }
    d.count++;
    if (d.lines.length < MAX_DIAGNOSTIC_LINES && !d.lines.includes(line)) d.lines.push(line);
  }
}

/** Add line `src[start, end)` to a backtrace: extend the current run when it follows it directly. */
function appendLine(bt: OpenBacktrace, src: string, start: number, end: number): void {
  bt.lineCount++;
  const gap = start - bt.to;
  const adjacent =
    bt.src === src && bt.lineCount > 1 && ((gap === 1 && src.charCodeAt(bt.to) === 10) || (gap === 2 && src.charCodeAt(bt.to) === 13 && src.charCodeAt(bt.to + 1) === 10));
  if (adjacent) {
    bt.to = end;
    return;
  }
  if (bt.lineCount > 1) bt.parts.push(bt.src.slice(bt.from, bt.to));
  bt.src = src;
  bt.from = start;
  bt.to = end;
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

const EMPTY = Buffer.alloc(0);

/** Where the last complete UTF-8 character of `b` ends (before a sequence the next bytes finish). */
function completeUtf8(b: Buffer): number {
  const n = b.length;
  // a character is at most 4 bytes: look back at most 3 for the lead byte of an unfinished one
  for (let back = 1; back <= 3 && back <= n; back++) {
    const c = b[n - back];
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: keep looking for its lead
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** Parse a whole log held in memory. */
export function parseTrace(text: string): Trace {
  const p = new TraceParser();
  p.push(text);
  return p.end();
}

/** Parse a log from a stream of chunks, text or bytes (a file read piece by piece). */
export async function parseTraceStream(chunks: AsyncIterable<string | Uint8Array>): Promise<Trace> {
  const p = new TraceParser();
  for await (const chunk of chunks) {
    if (typeof chunk === 'string') p.push(chunk);
    else p.pushBytes(chunk);
  }
  return p.end();
}
