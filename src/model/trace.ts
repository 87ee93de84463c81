// The trace model: what a gdb session log is made of (breakpoint hits, their backtraces,
// free-standing backtraces, QMP commands, diagnostics). parser.ts makes it. Lines are 0-based
// everywhere in the model (as in VS Code); the JSON output of the CLI adds 1 (`logLine`), as people
// and grep count.

import type { BacktraceText } from './backtraceText';
import type { Frame } from './frames';
import type { QmpCommand } from './qmp';
import type { RecordedGraph } from './recorded';
import type { Token } from './lines';
import type { LoggedTraceEvent } from './traceEvents';

export { Frame } from './frames';
export type { FrameArg, PointerRef, Span, Token, ValueKind } from './lines';
export type { QmpCommand, CommandOrigin } from './qmp';

export interface ThreadRef {
  number: number;
  name: string | null;
}

export interface SourceEcho {
  /** The source line number gdb printed. */
  number: number;
  /** The C text after the TAB. */
  text: string;
  /** Where the C text is in the log. */
  range: Token;
}

/** A breakpoint (or watchpoint) hit and what was printed at it. */
export class Hit {
  /** Last non-blank line of the hit's section (before the next hit, command or separator). */
  endLine: number;
  /** Where it stopped, as printed in the header (or, for a watchpoint, on the line after the values). */
  stop: Frame | null = null;
  /** The line gdb echoed after the header, e.g. `2843\t    BdrvChild *child = *childp;`. */
  source: SourceEcho | null = null;
  /** The backtrace printed at this hit (`bt`), as text until its frames are first asked for. */
  backtrace: BacktraceText | null = null;
  watch: { expression: string | null; old: string | null; new: string | null } | null;
  /** Index into `Trace.commands`, or null before any command. */
  command: number | null = null;
  /** The block job this hit ran for (job completion bottom halves), when known. */
  job: string | null = null;
  /** QEMU's block graph as this hit stopped (a `qbt-graph` line of a recorded session), if the log has it. */
  recorded: RecordedGraph | null = null;
  /** The document line of that graph: what the log had printed by then is what the stop could know. */
  recordedLine: number | null = null;

  constructor(
    /** 1-based, in log order. */
    readonly index: number,
    /** Document line of the hit header. */
    readonly line: number,
    readonly thread: ThreadRef | null,
    readonly breakpoint: number,
    readonly kind: 'breakpoint' | 'watchpoint' | 'catchpoint',
    readonly temporary: boolean,
    expression: string | null,
  ) {
    this.endLine = line;
    this.watch = kind === 'watchpoint' ? { expression, old: null, new: null } : null;
  }

  /** The backtrace's frames, innermost first; empty when no `bt` was printed. */
  get frames(): Frame[] {
    return this.backtrace?.frames ?? [];
  }

  /** How many frames its backtrace has (read without building them when it can). */
  get frameCount(): number {
    return this.backtrace?.frameCount ?? 0;
  }
}

export type BacktraceKind = 'thread' | 'sanitizer' | 'command' | 'orphan';

/** A backtrace that belongs to no hit: `thread apply all bt`, a sanitizer report, a pasted crash. */
export class Backtrace {
  constructor(
    readonly kind: BacktraceKind,
    /** The line that introduced it (thread header, sanitizer line, gdb command), if any. */
    readonly title: string | null,
    readonly thread: ThreadRef | null,
    /** The hit in effect when it was printed (1-based), if any. */
    readonly hit: number | null,
    readonly text: BacktraceText,
  ) {}

  /** Document line of its first frame. */
  get line(): number {
    return this.text.firstLine;
  }
  get endLine(): number {
    return this.text.lastLine;
  }
  get frames(): Frame[] {
    return this.text.frames;
  }
  get frameCount(): number {
    return this.text.frameCount;
  }
}

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  count: number;
  /** Up to MAX_DIAGNOSTIC_LINES document lines where it happened, in the order found. */
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
  | 'bad-recorded-graph'
  | 'unfinished-transaction'
  | 'nothing-recognised'
  | 'damaged-compression';

export interface BreakpointDef {
  number: number;
  file: string | null;
  line: number | null;
  logLine: number;
}

/** A block job made at an address: its id, from hit `fromHit` (1-based) on. */
export interface JobAtAddress {
  id: string;
  fromHit: number;
}

export interface Trace {
  hits: Hit[];
  backtraces: Backtrace[];
  commands: QmpCommand[];
  breakpoints: BreakpointDef[];
  /**
   * What was not understood. Frames are read on first use, so problems inside backtraces join
   * this list then; `parseAllFrames` reads them all.
   */
  diagnostics: Diagnostic[];
  /**
   * Block jobs, learnt while attributing hits (the stacks that create a job): for each job pointer,
   * the ids of the jobs made there in log order, each from the hit whose stack made it known. A job
   * is freed when it ends, and the next one is often made at its address (`jobIdAt`).
   */
  jobs: Map<string, JobAtAddress[]>;
  /** QEMU's trace lines about block objects (node opened, root edge, job state), in log order. */
  events: LoggedTraceEvent[];
  lineCount: number;
  /**
   * A log saved from a terminal (`script`): how many lines held its control codes (gdb's colours,
   * readline's prompt codes, backspaces), which were read as the terminal showed them, and the
   * first of them. Absent when none did.
   */
  terminalCodes?: { lines: number; firstLine: number };
  /**
   * A log saved from a terminal's screen (tmux's capture-pane without -J) has its long lines cut
   * at the screen's width: that width, and how many lines are that wide. Such lines are read as
   * they are (a frame cut in two is not understood); `asGdbPrintedIt` joins them again.
   */
  cutAt?: { width: number; lines: number };
}
