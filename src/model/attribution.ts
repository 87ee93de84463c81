// Which command caused each hit (design.md §4): the commands the log shows, commands inferred from
// the frames of hits no logged command explains, hits of block jobs given to the command that acted
// on the job last, and the job ids learnt from the stacks that create jobs.

import type { Frame } from './frames';
import { unescapeC } from './lines';
import type { QmpCommand } from './qmp';
import type { Hit, JobAtAddress, Trace } from './trace';

const NOT_COMMANDS = /^(?:dispatch|marshal_output_\w+|\w+_bh|command_\w+|\w+_co)$/;
// a frame's function, with or without an address: `#9  0x… in hmp_x (` or `#0  hmp_x (`
const HMP_FRAME = /(?: in |#\d+ +)hmp_\w/;
const JOB_ARG_FRAME = /(?: in |#\d+ +)(?:block_)?job_\w+ \(job=(0x[0-9a-fA-F]+)/;

export interface CommandInBacktrace {
  /** QMP name, `-` spelling. */
  name: string;
  /** The function that names it: the outermost `qmp_marshal_*`, else the outermost `qmp_*`. */
  function: string;
  /**
   * The printed `qmp_<name>` frame (else the marshal frame): one invocation prints the same frame,
   * arguments and pointers, in every hit it causes; another invocation, even with the same
   * values, has other pointers.
   */
  invocation: string;
}

/** Whether a frame's function starts at `i`: after ` in ` (with an address) or after `#N ` (without). */
function isFrameFunction(text: string, i: number): boolean {
  if (text.startsWith(' in ', i - 4)) return true;
  let j = i - 1;
  while (j >= 0 && text.charCodeAt(j) === 32) j--;
  if (j === i - 1) return false;
  const digitsEnd = j;
  while (j >= 0 && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j--;
  return j < digitsEnd && j >= 0 && text.charCodeAt(j) === 35 /* # */;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Frames whose function is `qmp_…`, in a backtrace's text: where each starts and the name after `qmp_`. */
function qmpFunctions(text: string): { at: number; name: string }[] {
  const out: { at: number; name: string }[] = [];
  for (let i = text.indexOf('qmp_'); i >= 0; i = text.indexOf('qmp_', i + 4)) {
    if (!isFrameFunction(text, i)) continue;
    let e = i + 4;
    while (isWordChar(text.charCodeAt(e))) e++;
    out.push({ at: i, name: text.slice(i + 4, e) });
  }
  return out;
}

/** The QMP command a backtrace runs inside, read from its text without building frames. */
export function commandInBacktrace(text: string): CommandInBacktrace | null {
  if (text.indexOf('qmp_') < 0) return null;
  let marshal: { at: number; name: string } | null = null;
  let plain: { at: number; name: string } | null = null;
  const all = qmpFunctions(text);
  for (const f of all) {
    if (f.name.startsWith('marshal_') && !f.name.startsWith('marshal_output_')) marshal = f;
    else if (!NOT_COMMANDS.test(f.name)) plain = f;
  }
  const named = marshal ?? plain;
  if (!named) return null;
  const name = marshal ? marshal.name.slice('marshal_'.length) : named.name;
  // the frame that carries the command's own arguments
  const own = marshal ? all.find((f) => f.name === name) : named;
  const at = (own ?? named).at;
  const end = text.indexOf('\n#', at);
  return { name: name.replace(/_/g, '-'), function: `qmp_${named.name}`, invocation: text.slice(at, end < 0 ? text.length : end) };
}

/**
 * Arguments of a command as its `qmp_<name>` frame shows them: strings, numbers, booleans and
 * enums, with `has_x=false` optionals dropped and names in QMP spelling (`node_name` → `node-name`).
 */
export function argumentsFromFrame(frame: Frame | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!frame) return out;
  const absent = new Set<string>();
  for (const a of frame.args) if (a.name.startsWith('has_') && a.value === 'false') absent.add(a.name.slice(4));
  for (const a of frame.args) {
    if (a.name === 'errp' || a.name.startsWith('has_') || absent.has(a.name)) continue;
    const key = a.name.replace(/_/g, '-');
    switch (a.kind) {
      case 'string':
        out[key] = unescapeC(a.text ?? '');
        break;
      case 'number':
        out[key] = Number(a.value);
        break;
      case 'bool':
        out[key] = a.value === 'true';
        break;
      case 'enum':
        out[key] = enumToQapi(a.value);
        break;
      default:
        break;
    }
  }
  return out;
}

/** `NEW_IMAGE_MODE_EXISTING` → `existing`: QAPI enum constants carry their type as a prefix. */
function enumToQapi(v: string): string {
  const known = /^(?:NEW_IMAGE_MODE|BLOCKDEV_ON_ERROR|MIRROR_SYNC_MODE|MIRROR_COPY_MODE|BLOCK_EXPORT_TYPE|BLOCKDEV_DRIVER|BITMAP_SYNC_MODE|ON_CBW_ERROR)_(.+)$/.exec(v);
  return (known ? known[1] : v).toLowerCase().replace(/_/g, '-');
}

const JOB_POINTER_IN_TEXT = /block_job_add_bdrv \(job=(0x[0-9a-fA-F]+)/;
const JOB_POINTER_OF_ATTACH = /<child_job>[^)]*?opaque=(0x[0-9a-fA-F]+)/;
const JOB_STARTERS = /^(?:block_job_create|job_create|mirror_start_job|stream_start|commit_start|commit_active_start|backup_job_create|block_job_add_bdrv)$/;
/** Frames whose arguments may name a job: those that start one, and those that attach a node to one. */
const maySayJob = (fn: string) => JOB_STARTERS.test(fn) || fn === 'bdrv_attach_child_common' || fn === 'bdrv_root_attach_child';

/** The id of the job at `pointer` as of hit `hit` (1-based): the last one made there by then. */
export function jobIdAt(jobs: ReadonlyMap<string, readonly JobAtAddress[]>, pointer: string, hit: number): string | undefined {
  const list = jobs.get(pointer);
  if (!list) return undefined;
  let id: string | undefined;
  for (const j of list) {
    if (j.fromHit > hit) break;
    id = j.id;
  }
  return id;
}

/**
 * The job a hit runs for: its completion bottom half (`job_exit(opaque=J)`) or its coroutine
 * (`job_co_entry(opaque=J)`), else a `job=J` argument of a job frame there.
 */
function completedJob(text: string): string | null {
  for (const fn of ['job_exit (', 'job_co_entry (']) {
    const at = text.indexOf(fn);
    if (at < 0 || !isFrameFunction(text, at)) continue;
    const m = /^opaque=(0x[0-9a-fA-F]+)/.exec(text.slice(at + fn.length, at + fn.length + 40));
    return m?.[1] ?? JOB_ARG_FRAME.exec(text)?.[1] ?? null;
  }
  return null;
}

/** Job ids named in a command's arguments (`job-id`, or `device`/`id` naming a known job). */
function commandJobIds(cmd: QmpCommand, knownJobs: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const visit = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'string') {
        if (k === 'job-id' || ((k === 'device' || k === 'id') && knownJobs.has(v))) out.push(v);
      } else if (Array.isArray(v)) {
        for (const x of v) if (typeof x === 'object' && x !== null) visit(x as Record<string, unknown>);
      } else if (typeof v === 'object' && v !== null) {
        visit(v as Record<string, unknown>);
      }
    }
  };
  visit(cmd.arguments);
  return out;
}

/**
 * Attribute every hit to a command (design.md §4), adding inferred commands where the backtrace
 * names a QMP command that no command line announced. `sections[i]` is the explicit command in
 * effect at hit i (index into trace.commands, -1 before any). Rewrites `trace.commands` in log order.
 */
export function attributeCommands(trace: Trace, sections: readonly number[]): void {
  const explicit = trace.commands;
  /** Position of each command in the log, to keep the final list in order. */
  const position = new Map<QmpCommand, number>();
  explicit.forEach((c) => position.set(c, c.line ?? 0));
  const inferred: QmpCommand[] = [];
  const ownerOf: (QmpCommand | null)[] = new Array<QmpCommand | null>(trace.hits.length).fill(null);
  const jobIdByPointer = trace.jobs;
  /** For each job pointer, the command whose hits made its last job known. */
  const learntIn = new Map<string, QmpCommand | null>();
  const knownJobs = new Set<string>();
  /** For each job id, the latest command so far that named it (made it, completed it, …). */
  const lastCommandForJob = new Map<string, QmpCommand>();
  /** What tells one invocation of an inferred command from another (see invocationKey). */
  const inferredInvocation = new Map<QmpCommand, string>();
  const noteJobs = (c: QmpCommand) => {
    for (const id of commandJobIds(c, knownJobs)) lastCommandForJob.set(id, c);
  };

  let current: QmpCommand | null = null;
  let currentSection = -1;
  let seenSection = -1;
  /**
   * Hits with no evidence of their own (coroutines, the main loop) since the current command's
   * last hit that had some, or since its line. They are the current command's, unless the next hit
   * with evidence opens an inferred command: then they ran inside that one (an unlogged command's
   * image creation, say, runs in a coroutine before its first qmp_* frame shows).
   */
  let pending: number[] = [];

  trace.hits.forEach((hit, i) => {
    const section = sections[i];
    if (section !== currentSection) {
      // commands with no hits of their own (block-job-complete before its job's hits) count too
      for (let k = seenSection + 1; k <= section; k++) noteJobs(explicit[k]);
      seenSection = Math.max(seenSection, section);
      currentSection = section;
      current = section >= 0 ? explicit[section] : null;
      pending = [];
    }
    const text = hit.backtrace?.text ?? '';
    // most stacks never mention a job: one scan decides whether the job rules need to look
    const mentionsJob = text.indexOf('job') >= 0;
    if (mentionsJob && learnJobs(hit, text, current, jobIdByPointer, learntIn, knownJobs) && current) noteJobs(current);

    const named = commandInBacktrace(text);
    if (named) {
      if (!belongsTo(current, named, inferredInvocation, text)) {
        // an inferred command: now its frames are read, for its arguments
        const fn = `qmp_${named.name.replace(/-/g, '_')}`;
        const frames = hit.backtrace?.framesIn((f) => f === named.function || f === fn) ?? [];
        const namer = frames.find((f) => f.function === named.function);
        const cmd: QmpCommand = {
          name: named.name,
          arguments: argumentsFromFrame(frames.find((f) => f.function === fn) ?? null),
          origin: 'inferred',
          line: null,
          text: null,
          hits: [],
          inferredFrom: { hit: hit.index, frame: namer?.level ?? -1, function: named.function },
          reply: null,
        };
        inferred.push(cmd);
        inferredInvocation.set(cmd, named.invocation);
        position.set(cmd, pending.length > 0 ? trace.hits[pending[0]].line : hit.line);
        for (const o of pending) ownerOf[o] = cmd;
        current = cmd;
        noteJobs(cmd);
      }
      pending = [];
      ownerOf[i] = current;
      return;
    }

    const ptr = mentionsJob ? completedJob(text) : null;
    if (ptr) {
      const id = jobIdAt(jobIdByPointer, ptr, hit.index);
      if (id) {
        hit.job = id;
        // the latest command that acted on this job (block-job-complete …), else the one that made it
        const owner = lastCommandForJob.get(id);
        if (owner) {
          ownerOf[i] = owner;
          if (owner === current) pending = [];
          return;
        }
      }
    }
    ownerOf[i] = current;
    pending.push(i);
  });

  const commands = [...explicit, ...inferred].sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
  const indexOf = new Map<QmpCommand, number>();
  commands.forEach((c, k) => {
    c.hits = [];
    indexOf.set(c, k);
  });
  trace.hits.forEach((hit, i) => {
    const owner = ownerOf[i];
    if (owner) {
      hit.command = indexOf.get(owner) ?? null;
      owner.hits.push(hit.index);
    }
  });
  trace.commands = commands;
}

/** Whether a hit whose backtrace runs command `named` runs inside `cmd`. */
function belongsTo(cmd: QmpCommand | null, named: CommandInBacktrace, invocations: ReadonlyMap<QmpCommand, string>, text: string): boolean {
  if (!cmd) return false;
  switch (cmd.origin) {
    case 'inferred':
      // the same command run twice from an unlogged monitor is another invocation
      return cmd.name === named.name && invocations.get(cmd) === named.invocation;
    case 'hmp':
      // HMP commands call the QMP implementation directly (hmp_snapshot_blkdev → qmp_blockdev_snapshot_sync)
      return cmd.name === named.name || HMP_FRAME.test(text);
    default:
      return cmd.name === named.name;
  }
}

/**
 * Learn job ids (true when a new one was learnt): a stack that creates or attaches a job (`job=J`)
 * under a `job_id="x"` frame. A job made at the address of one that ended is another job.
 */
function learnJobs(hit: Hit, text: string, current: QmpCommand | null, byPointer: Map<string, JobAtAddress[]>, learntIn: Map<string, QmpCommand | null>, known: Set<string>): boolean {
  // frames are read only for the rare stacks that attach a job to its nodes, once per job: not
  // again in the command that made the job at that address known
  if (text.indexOf('<child_job>') < 0 && text.indexOf('block_job_add_bdrv') < 0) return false;
  const seen = JOB_POINTER_IN_TEXT.exec(text)?.[1] ?? JOB_POINTER_OF_ATTACH.exec(text)?.[1];
  if (seen !== undefined && byPointer.has(seen) && learntIn.get(seen) === current) return false;
  let ptr: string | null = null;
  let id: string | null = null;
  for (const f of hit.backtrace?.framesIn(maySayJob) ?? []) {
    // arguments are parsed only for frames that can name a job
    const starter = JOB_STARTERS.test(f.function);
    if (!starter && !((f.function === 'bdrv_attach_child_common' || f.function === 'bdrv_root_attach_child') && f.argsMention('<child_job>'))) continue;
    const jobId = f.argValue('job_id');
    if (jobId?.text !== undefined && id === null) id = unescapeC(jobId.text);
    const job = f.argValue('job')?.pointer;
    if (job && ptr === null) ptr = job;
    const cls = f.argValue('child_class');
    if (cls?.symbol === 'child_job' && ptr === null) ptr = f.argValue('opaque')?.pointer ?? null;
  }
  if (ptr && id === null && current) {
    const jid = current.arguments['job-id'];
    if (typeof jid === 'string') id = jid;
  }
  if (!ptr || !id) return false;
  const list = byPointer.get(ptr);
  learntIn.set(ptr, current);
  if (list?.[list.length - 1].id === id) return false;
  if (list) list.push({ id, fromHit: hit.index });
  else byPointer.set(ptr, [{ id, fromHit: hit.index }]);
  known.add(id);
  return true;
}
