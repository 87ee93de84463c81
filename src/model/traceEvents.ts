// QEMU's own trace lines about block objects (the `log` trace backend, printed in the same terminal
// as gdb): what each of the few the model uses says, read from its arguments as QEMU's trace-events
// files format them. They are evidence about objects the backtraces may never show: a node opened
// without a hit (bdrv_open_common), a BlockBackend's root edge (blk_root_attach/detach), and a job's
// state (job_state_transition, job_apply_verb).

export type BlockTraceEvent =
  /** `bs %p filename "%s" flags 0x%x format_name "%s"`: a node being opened (a new object at `bs`). */
  | { kind: 'open'; bs: string; filename: string; driver: string }
  /** `child %p blk %p bs %p`: a BlockBackend's root edge attached to, or detached from, a node. */
  | { kind: 'root-attach' | 'root-detach'; child: string; blk: string; bs: string }
  /** `job %p (ret: %d) attempting allowed transition (s0-->s1)`: a job's state changed. */
  | { kind: 'job-state'; job: string; from: string; to: string }
  /** `job %p in state S; applying verb V (allowed)`: what a job was asked to do. */
  | { kind: 'job-verb'; job: string; state: string; verb: string; allowed: boolean };

/** A block trace event where the log prints it. */
export type LoggedTraceEvent = BlockTraceEvent & {
  /** 0-based document line. */
  line: number;
  /** Hits that started before it (so the last hit before it is hit `hitsBefore`, 1-based). */
  hitsBefore: number;
  /** Where each pointer argument is on the line (column of its first and one past its last character). */
  pointers: { value: string; start: number; end: number }[];
};

// %p prints 0x… (glibc), or (nil) for NULL; %s is printed as it is (a filename may hold quotes:
// `json:{"driver": …}`), so the filename runs to the last `" flags`
const P = '(0x[0-9a-f]+|\\(nil\\))';
const OPEN_RE = new RegExp(`^bs ${P} filename "(.*)" flags 0x[0-9a-f]+ format_name "([^"]*)"\\s*$`, 'd');
const ROOT_RE = new RegExp(`^child ${P} blk ${P} bs ${P}`, 'd');
const STATE_RE = new RegExp(`^job ${P} \\(ret: -?\\d+\\) attempting (allowed|disallowed) transition \\((\\w+)-->(\\w+)\\)`, 'd');
const VERB_RE = new RegExp(`^job ${P} in state (\\w+); applying verb (\\w+) \\((allowed|prohibited|disallowed)\\)`, 'd');

const ptr = (s: string) => (s === '(nil)' ? '0x0' : s);

/** An event and where its pointer arguments are in `args` (groups `groups` of the match). */
function read(event: string, args: string): { e: BlockTraceEvent; m: RegExpExecArray; groups: number[] } | null {
  switch (event) {
    case 'bdrv_open_common': {
      const m = OPEN_RE.exec(args);
      return m ? { e: { kind: 'open', bs: ptr(m[1]), filename: m[2], driver: m[3] }, m, groups: [1] } : null;
    }
    case 'blk_root_attach':
    case 'blk_root_detach': {
      const m = ROOT_RE.exec(args);
      return m ? { e: { kind: event === 'blk_root_attach' ? 'root-attach' : 'root-detach', child: ptr(m[1]), blk: ptr(m[2]), bs: ptr(m[3]) }, m, groups: [1, 2, 3] } : null;
    }
    case 'job_state_transition': {
      const m = STATE_RE.exec(args);
      // a disallowed transition does not happen (QEMU asserts on it)
      return m && m[2] === 'allowed' ? { e: { kind: 'job-state', job: ptr(m[1]), from: m[3], to: m[4] }, m, groups: [1] } : null;
    }
    case 'job_apply_verb': {
      const m = VERB_RE.exec(args);
      return m ? { e: { kind: 'job-verb', job: ptr(m[1]), state: m[2], verb: m[3], allowed: m[4] === 'allowed' }, m, groups: [1] } : null;
    }
    default:
      return null;
  }
}

/** What a trace line of one of these events says; null for other events, or arguments not in QEMU's format. */
export function readBlockTraceEvent(event: string, args: string): BlockTraceEvent | null {
  return read(event, args)?.e ?? null;
}

/** The event with its pointer arguments' places on the line (`args` starts at column `argsStart`). */
export function readTraceLine(event: string, args: string, argsStart: number): (BlockTraceEvent & Pick<LoggedTraceEvent, 'pointers'>) | null {
  const r = read(event, args);
  if (!r) return null;
  const pointers: LoggedTraceEvent['pointers'] = [];
  for (const g of r.groups) {
    const value = r.m[g];
    const at = r.m.indices?.[g];
    if (value.startsWith('0x') && at) pointers.push({ value, start: argsStart + at[0], end: argsStart + at[1] });
  }
  return { ...r.e, pointers };
}
