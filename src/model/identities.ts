// What each pointer in a trace is: a node (BlockDriverState), a BlockBackend, a block job, an edge
// (BdrvChild) or a transaction, with its name, driver and file, and its lifetime. Addresses are
// reused after free, so identity is (address, incarnation): a node deleted, or opened anew at an
// address already in use before, starts a new incarnation (design.md §5).

import { commandFacts, DeclaredNodes, type ObjectFacts } from './commandObjects';
import { isPlumbingFrame, type Frame, type PointerTable } from './frames';
import { basename } from './paths';
import { betweenBatches, type Batches } from './work';
import { unescapeC, type Token } from './lines';
import type { JobAtAddress, Trace } from './trace';
import type { QmpCommand } from './qmp';
import { jobIdAt } from './attribution';
import type { LoggedTraceEvent } from './traceEvents';
import { grown, Numbering, partitionPoint } from './columns';

/** `data`: what QEMU prints beside block objects and frees as it goes (an `options` QDict, a name string). */
export type ObjectKind = 'node' | 'backend' | 'job' | 'edge' | 'transaction' | 'data';

export interface ObjectIdentity {
  address: string;
  /** 1-based, per address, in log order. */
  incarnation: number;
  kind: ObjectKind | null;
  /** Node name, job id, or edge name (`root`, `file`, `backing`, `main node`). */
  name: string | null;
  /** Block driver, without `bdrv_`: qcow2, file, mirror_top. */
  driver: string | null;
  filename: string | null;
  /** A few words on what it is for: `edge root of BlockBackend 0x…`, `BlockBackend of qcow2_co_create`. */
  role: string | null;
  firstLine: number;
  lastLine: number;
  firstHit: number | null;
  lastHit: number | null;
  /** How it ended, when the log shows it: `deleted` (bdrv_delete, blk_delete, freed edge). */
  ended: 'deleted' | null;
  /** Where its name, driver and file were learnt: the log line that said so (0-based). */
  evidence: { what: 'name' | 'driver' | 'filename'; value: string; line: number }[];
  /** The command (index into Trace.commands) whose hits show it being created, when they do. */
  createdIn?: number | null;
  /** A job's states as QEMU's trace (job_state_transition) told them, in log order. */
  states?: { state: string; line: number }[];
}

// Which arguments hold which kind of object, by name (and, for a few, by function): one lookup for
// each of the million pointers of a large log.
const NODE_ARGS = ['bs', 'child_bs', 'new_bs', 'bs_new', 'bs_top', 'parent_bs', 'from', 'to', 'base', 'top', 'target', 'old_bs', 'overlay_bs', 'backing_hd', 'base_bs', 'filter_bs', 'unfiltered_bs', 'cow_bs', 'above_base', 'child_bs_new', 'new_node', 'state_bs'];
// Arguments that are never a block object: QDicts and QemuOpts of options, and strings. Their memory
// is freed when the call that used them ends, and a block object is often made there next: the
// QDict blockdev-add opened a node with becomes block-export-add's BlockBackend.
const DATA_ARGS = ['options', 'opts', 'filename', 'node_name', 'child_name', 'bdref_key', 'reference', 'job_id'];
type ArgRule = 'node' | 'parent' | 'backend' | 'job' | 'transaction' | 'child' | 'opaque' | 'data';
const ARG_RULES = new Map<string, ArgRule>([
  ...NODE_ARGS.map((a) => [a, 'node'] as const),
  ...DATA_ARGS.map((a) => [a, 'data'] as const),
  ['parent', 'parent'],
  ['blk', 'backend'],
  ['job', 'job'],
  ['tran', 'transaction'],
  ['child', 'child'],
  ['opaque', 'opaque'],
]);

function kindOf(frame: Frame, arg: string): ObjectKind | null {
  switch (ARG_RULES.get(arg)) {
    case undefined:
      return null;
    case 'node':
      return 'node';
    case 'parent':
      return /unref_child|open_child|attach|detach/.test(frame.function) ? 'node' : null;
    case 'backend':
      return 'backend';
    case 'job':
      return /job/.test(frame.function) ? 'job' : null;
    case 'transaction':
      return 'transaction';
    case 'data':
      return 'data';
    case 'child':
      return /attach_child/.test(frame.function) ? null : 'edge';
    case 'opaque': {
      if (frame.function === 'job_exit') return 'job';
      const cls = frame.argValue('child_class')?.symbol;
      if (cls === 'child_of_bds') return 'node';
      if (cls === 'child_root') return 'backend';
      if (cls === 'child_job') return 'job';
      return null;
    }
  }
}

const unquote = (s: string | undefined) => (s === undefined ? null : unescapeC(s));

/** The command the hits being read are in: since which hit, what they rolled back, created, and were given as data. */
interface CommandHits {
  index: number | null;
  firstHit: number;
  lastHit: number;
  rolledBack: boolean;
  topDeleted: boolean;
  created: ObjectIdentity[];
  data: Current[];
}

function commandHits(index: number | null, firstHit: number, lastHit: number): CommandHits {
  return { index, firstHit, lastHit, rolledBack: false, topDeleted: false, created: [], data: [] };
}

/** What a hit says about the objects it prints. */
interface HitEvidence {
  created: Set<string>;
  /** Files bdrv_open_inherit probes the format of (it has just opened them, or was given them). */
  probed: Set<string>;
  deleted: Set<string>;
  facts: Map<string, Partial<Pick<ObjectIdentity, 'kind' | 'name' | 'driver' | 'filename' | 'role'>>>;
}

/**
 * The pointers a hit prints: `all`, its frames with its stop location first, and their pointers in
 * columns, frame after frame (those of `all[i]` are `[from[i], from[i + 1])`). One of them is filled
 * hit after hit: a million pointers are not a million objects.
 */
class HitPointers {
  all: readonly Frame[] = [];
  count = 0;
  from = new Int32Array(64);
  value: string[] = [];
  arg: string[] = [];
  line = new Int32Array(256);
  start = new Int32Array(256);
  end = new Int32Array(256);
  /** The value's number in `table` (the trace's pointer table), or -1. */
  address = new Int32Array(256);
  /** The table whose address numbers `address` holds: the first one seen (a trace has one). */
  table: PointerTable | null = null;
  private numbered = false;

  private readonly add = (value: string, arg: string, line: number, start: number, end: number, address: number): void => {
    const k = this.count++;
    if (k === this.line.length) {
      this.line = grown(this.line);
      this.start = grown(this.start);
      this.end = grown(this.end);
      this.address = grown(this.address);
    }
    this.value[k] = value;
    this.arg[k] = arg;
    this.line[k] = line;
    this.start[k] = start;
    this.end[k] = end;
    this.address[k] = this.numbered ? address : -1;
  };

  read(all: readonly Frame[]): void {
    this.all = all;
    this.count = 0;
    if (all.length + 1 > this.from.length) this.from = new Int32Array(2 * (all.length + 1));
    for (let i = 0; i < all.length; i++) {
      this.from[i] = this.count;
      const source = all[i].pointerSource;
      this.numbered = source !== null && (this.table ??= source) === source;
      all[i].eachPointer(this.add);
    }
    this.from[all.length] = this.count;
  }
}

function evidenceOf(frames: Frame[], hp: HitPointers, hit: number, jobIds: ReadonlyMap<string, readonly JobAtAddress[]>, fromCommand: Map<string, ObjectFacts>): HitEvidence {
  const ev: HitEvidence = { created: new Set(), probed: new Set(), deleted: new Set(), facts: new Map() };
  const fact = (address: string | undefined, f: Partial<Pick<ObjectIdentity, 'kind' | 'name' | 'driver' | 'filename' | 'role'>>) => {
    if (!address || address === '0x0') return;
    const cur = ev.facts.get(address) ?? {};
    for (const [k, v] of Object.entries(f) as [keyof typeof f, string | null][]) if (v !== null && v !== undefined && cur[k] === undefined) (cur as Record<string, unknown>)[k] = v;
    ev.facts.set(address, cur);
  };
  // the kind an argument's name gives (fact, without its generality: this runs for each of
  // millions of pointers); a pointer whose argument says nothing (errp, options, opaque) gets no entry
  for (let i = 0; i < hp.all.length; i++) {
    const f = hp.all[i];
    for (let k = hp.from[i]; k < hp.from[i + 1]; k++) {
      const kind = kindOf(f, hp.arg[k]);
      if (kind === null) continue;
      let cur = ev.facts.get(hp.value[k]);
      if (cur === undefined) {
        cur = {};
        ev.facts.set(hp.value[k], cur);
      }
      if (cur.kind === undefined) cur.kind = kind;
    }
  }

  const byName = (fn: string) => frames.find((f) => f.function === fn);
  for (const f of frames) {
    switch (f.function) {
      case 'bdrv_open_driver': {
        const bs = f.argValue('bs')?.pointer;
        const drv = f.argValue('drv')?.symbol;
        fact(bs, { kind: 'node', name: unquote(f.argValue('node_name')?.text) ?? undefined, driver: drv?.replace(/^bdrv_/, '') });
        if (bs) ev.created.add(bs);
        break;
      }
      case 'bdrv_open_common':
        if (f.argValue('bs')?.pointer) ev.created.add(f.argValue('bs')!.pointer!);
        break;
      case 'bdrv_delete':
        if (f.argValue('bs')?.pointer) ev.deleted.add(f.argValue('bs')!.pointer!);
        break;
      case 'blk_delete':
        if (f.argValue('blk')?.pointer) ev.deleted.add(f.argValue('blk')!.pointer!);
        break;
      case 'bdrv_root_unref_child': {
        // the edge is freed; what it was is told by the frame above
        const child = f.argValue('child')?.pointer;
        if (!child || child === '0x0') break;
        ev.deleted.add(child);
        const above = frames[frames.indexOf(f) + 1];
        if (above?.function === 'blk_remove_bs') fact(child, { kind: 'edge', name: 'root', role: `edge root of BlockBackend ${above.argValue('blk')?.pointer ?? '?'}` });
        else if (above?.function === 'bdrv_unref_child') fact(child, { kind: 'edge', role: `edge of node ${above.argValue('parent')?.pointer ?? '?'}` });
        else if (above?.function === 'block_job_remove_all_bdrv') fact(child, { kind: 'edge', role: `edge of job ${above.argValue('job')?.pointer ?? '?'}` });
        break;
      }
      case 'bdrv_attach_child_common': {
        // QEMU 7.2+: the edge pointer is frame #0's `child`
        const name = unquote(f.argValue('child_name')?.text);
        const opaque = f.argValue('opaque')?.pointer;
        const child = f.argValue('child_bs')?.pointer;
        const edge = frames[0]?.function === 'bdrv_replace_child_noperm' ? frames[0].argValue('child')?.pointer : undefined;
        if (edge && edge !== '0x0' && frames[0].argValue('childp') === undefined) fact(edge, { kind: 'edge', name: name ?? undefined, role: `edge ${name ?? '?'} of ${opaque ?? '?'} to node ${child ?? '?'}` });
        break;
      }
      case 'bdrv_append': {
        const bsNew = f.argValue('bs_new')?.pointer;
        const bsTop = f.argValue('bs_top')?.pointer;
        const snap = byName('qmp_blockdev_snapshot_sync');
        if (snap) {
          fact(bsTop, { kind: 'node', name: unquote(snap.argValue('node_name')?.text) ?? unquote(snap.argValue('device')?.text) ?? undefined });
          fact(bsNew, { kind: 'node', name: unquote(snap.argValue('snapshot_node_name')?.text) ?? undefined, filename: unquote(snap.argValue('snapshot_file')?.text) ?? undefined });
        }
        const mirror = byName('mirror_start_job');
        if (mirror) {
          // an implicit filter: named by filter_node_name when the user gave one
          const named = unquote(mirror.argValue('filter_node_name')?.text);
          fact(bsNew, { kind: 'node', name: named ?? 'mirror_top', driver: 'mirror_top', role: 'filter of the block job' });
        }
        const commit = byName('commit_start');
        if (commit && !mirror) fact(bsNew, { kind: 'node', name: unquote(commit.argValue('filter_node_name')?.text) ?? 'commit_top', driver: 'commit_top', role: 'filter of the block job' });
        // the job's filter was made just before (bdrv_new_open_driver, in no hit): a new node, even
        // where one freed unseen was (a file node whose image was deleted)
        if ((mirror || commit) && bsNew && bsNew !== '0x0') ev.created.add(bsNew);
        break;
      }
      case 'blk_insert_bs':
      case 'blk_new_with_bs': {
        const blk = f.argValue('blk')?.pointer;
        const at = frames.indexOf(f);
        // who it is for: the first caller that is neither the block layer nor the event loop or a
        // bottom half or coroutine that runs it (blk_new_open_bh ← aio_bh_call ← … bdrv_img_create)
        const user = frames.slice(at + 1).find((x) => !x.function.startsWith('blk_') && !x.function.startsWith('bdrv_') && !isPlumbingFrame(x) && !/_(?:bh|entry)$/.test(x.function));
        if (blk && user) fact(blk, { kind: 'backend', role: `BlockBackend of ${user.function}` });
        // the file bdrv_open_inherit probes the format of, through a BlockBackend of its own
        const bs = f.argValue('bs')?.pointer;
        if (bs && bs !== '0x0' && frames[at + 1]?.function === 'bdrv_open_inherit') ev.probed.add(bs);
        break;
      }
      default:
        break;
    }
    // a file name belongs to the nearest node below the frame that names it
    const filename = f.argsMention('filename') ? f.argValue('filename')?.text : undefined;
    if (filename !== undefined && filename !== '') {
      const at = frames.indexOf(f);
      const offset = hp.all.length - frames.length;
      find: for (let k = at - 1; k >= 0; k--) {
        for (let j = hp.from[k + offset]; j < hp.from[k + offset + 1]; j++) {
          if (kindOf(frames[k], hp.arg[j]) !== 'node') continue;
          fact(hp.value[j], { filename: unquote(filename) ?? undefined });
          break find;
        }
      }
    }
  }
  // a job's id names the pointer where it is printed as a job: the address may have held another
  // object before the job was made there (a BlockBackend freed and reused, say)
  // (looked up for the hit's own pointers: a long session learns thousands of jobs)
  for (const [ptr, cur] of ev.facts) {
    const id = cur.kind === 'job' ? jobIdAt(jobIds, ptr, hit) : undefined;
    if (id !== undefined) fact(ptr, { name: id });
  }
  // what the hit's command names (after the frames: a name the stack prints wins)
  for (const [ptr, f] of fromCommand) fact(ptr, f);
  return ev;
}

/** Whether what a command says of a pointer cannot be the object known at that address (another name or file). */
function contradicts(told: ObjectFacts | undefined, id: ObjectIdentity): boolean {
  if (!told) return false;
  return (!!told.name && !!id.name && told.name !== id.name && id.kind === 'node') || (!!told.filename && !!id.filename && told.filename !== id.filename);
}

/**
 * Every printed pointer as four columns (document line, start and end column, and the serial of its
 * identity): a million sightings in typed arrays rather than a million objects. Sightings come in
 * document order (hits, then the trace lines between them), but for those added after the hits
 * (free-standing backtraces), which are sorted apart on first use.
 */
class SightingColumns {
  line = new Int32Array(1024);
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  who = new Int32Array(1024);
  count = 0;
  /** Sightings [0, ordered) are in order of their lines. */
  ordered = 0;
  private tail: Int32Array | null = null;

  push(line: number, start: number, end: number, who: number): void {
    if (this.count === this.line.length) {
      this.line = grown(this.line);
      this.start = grown(this.start);
      this.end = grown(this.end);
      this.who = grown(this.who);
    }
    const i = this.count++;
    this.line[i] = line;
    this.start[i] = start;
    this.end[i] = end;
    this.who[i] = who;
    if (this.ordered === i && (i === 0 || this.line[i - 1] <= line)) this.ordered++;
    this.tail = null;
  }

  /** The sightings on document line `line` (their indexes). */
  on(line: number): number[] {
    const out: number[] = [];
    for (let i = partitionPoint(this.ordered, (k) => this.line[k] < line); i < this.ordered && this.line[i] === line; i++) out.push(i);
    if (this.ordered < this.count) {
      if (!this.tail) {
        const rest = Array.from({ length: this.count - this.ordered }, (_, k) => this.ordered + k);
        rest.sort((a, b) => this.line[a] - this.line[b]);
        this.tail = Int32Array.from(rest);
      }
      const t = this.tail;
      for (let k = partitionPoint(t.length, (j) => this.line[t[j]] < line); k < t.length && this.line[t[k]] === line; k++) out.push(t[k]);
    }
    return out;
  }

  token(i: number): Token {
    return { line: this.line[i], start: this.start[i], end: this.end[i] };
  }
}

/**
 * An address, while the hits are read: the object it stands for now, and what the hit being read
 * (`hit`) says of it when that hit prints it.
 */
interface AddressState {
  readonly address: string;
  cur: Current | undefined;
  hit: number;
  kind: ObjectKind | null | undefined;
  deleted: boolean;
  created: boolean;
}

/** The object a pointer's address stands for now, while the hits are read. */
interface Current {
  identity: ObjectIdentity;
  /** Printed in a hit that does not create it. */
  established: boolean;
  /** Freed after this hit, when the log shows it. */
  endsAfter: number | null;
  /** Its number in the sighting columns. */
  serial: number;
}

/** Every pointer of a trace and what it is. Built once per trace (it reads every frame). */
export class Identities {
  private readonly byAddress = new Map<string, ObjectIdentity[]>();
  /** Addresses whose incarnations are not in order of their first lines (see addIncarnation). */
  private readonly unsorted = new Set<string>();
  /** Where each pointer is printed, and whose it is (by serial: `serials`). */
  private readonly seen = new SightingColumns();
  private readonly hitPointers = new HitPointers();
  private readonly serials = new Numbering<ObjectIdentity>();

  /** Every address printed or traced so far, and the object it stands for now. */
  private readonly addresses = new Map<string, AddressState>();
  /** The same, by the address's number in the trace's pointer table (`hitPointers.table`). */
  private readonly byNumber: (AddressState | undefined)[] = [];
  /** The addresses the hit being read prints, in the order it first prints each. */
  private readonly printed: AddressState[] = [];
  /** The next of the trace's block trace events to read, and the command the last one fell in. */
  private eventCursor = 0;
  private commandCursor = -1;
  /** Objects a `bdrv_open_common` line opened: another such line at their address is another object. */
  private readonly opened = new Set<ObjectIdentity>();
  /** The nodes the commands name (`blockdev-add node-name=…`), as of each hit's command. */
  private readonly declared: DeclaredNodes;

  /** Build at once. For a large trace prefer `Identities.build`, which lets other work run. */
  /** The command the hits being read are in: since which hit, and whether they rolled something back. */
  private cmd: CommandHits | null = null;

  constructor(private readonly trace: Trace, buildNow = true) {
    this.declared = new DeclaredNodes(trace.commands);
    if (buildNow) {
      this.addHits(0, trace.hits.length);
      this.addEventsBefore(Infinity);
      this.endCommand();
      this.addBacktraces();
    }
  }

  /**
   * A failed command (QEMU's reply is an error; without a reply, its hits rolled back) frees what it
   * created: every object first seen in its hits ends there, and its address, seen again, is another.
   */
  private endCommand(): void {
    const c = this.cmd;
    this.cmd = null;
    // the QDicts and strings a command was given are freed when it returns
    if (!c) return;
    for (const cur of c.data) {
      if (cur.endsAfter !== null || this.currentAt(cur.identity.address) !== cur) continue;
      cur.endsAfter = c.lastHit;
      cur.identity.ended = 'deleted';
    }
    if (c.index === null) return;
    const reply = this.trace.commands[c.index]?.reply;
    // without a reply: rollbacks, or the node a blockdev-add names deleted by its own hits
    if (!(reply ? 'error' in reply : c.rolledBack || c.topDeleted)) return;
    // what its hits show being created (not what it merely printed first: gdb may have attached late)
    for (const id of c.created) {
      const cur = this.currentAt(id.address);
      if (cur?.identity !== id || cur.endsAfter !== null || id.kind === 'transaction') continue;
      cur.endsAfter = c.lastHit;
      id.ended = 'deleted';
    }
  }

  /**
   * Build in batches of hits, yielding to the event loop between them (a 100 MB log takes seconds),
   * reporting progress and stopping with `Cancelled` when asked.
   */
  static async build(trace: Trace, options: Batches = {}): Promise<Identities> {
    const batch = options.batch ?? 500;
    const ids = new Identities(trace, false);
    const total = trace.hits.length;
    for (let i = 0; i < total; i += batch) {
      ids.addHits(i, Math.min(total, i + batch));
      if (i + batch < total) await betweenBatches(options, i + batch, total);
    }
    ids.addEventsBefore(Infinity);
    ids.endCommand();
    ids.addBacktraces();
    return ids;
  }

  private addHits(from: number, to: number): void {
    // the job ids attribution learnt
    const jobIds = this.trace.jobs;
    for (let h = from; h < to; h++) {
      const hit = this.trace.hits[h];
      this.addEventsBefore(hit.line);
      const frames = hit.frames;
      const cmd = hit.command === null ? null : this.trace.commands[hit.command];
      if (this.cmd && this.cmd.index !== hit.command) this.endCommand();
      this.cmd ??= commandHits(hit.command, hit.index, hit.index);
      this.cmd.lastHit = hit.index;
      if (frames.some((f) => f.function === 'tran_abort' || /^bdrv_(?:attach_child_common|replace_child)_abort$/.test(f.function))) this.cmd.rolledBack = true;
      const told = commandFacts(cmd, frames, this.declared.upTo(hit.command), (p) => this.currentAt(p)?.identity.name ?? null);
      const all = hit.stop ? [hit.stop, ...frames] : frames;
      const hp = this.hitPointers;
      hp.read(all);
      const ev = evidenceOf(frames, hp, hit.index, jobIds, told);
      for (const address of ev.probed) if (this.openedUnseen(address, cmd)) ev.created.add(address);
      // what the hit says of each address it prints, looked up once per address: a hit prints the
      // same few addresses many times (found by their number in the pointer table, not their text)
      const printed = this.printed;
      printed.length = 0;
      for (let k = 0; k < hp.count; k++) {
        const value = hp.value[k];
        const line = hp.line[k];
        const n = hp.address[k];
        let slot = n >= 0 ? this.byNumber[n] : undefined;
        if (slot === undefined) {
          slot = this.stateOf(value);
          if (n >= 0) this.byNumber[n] = slot;
        }
        if (slot.hit !== hit.index) {
          slot.hit = hit.index;
          slot.kind = ev.facts.get(value)?.kind;
          slot.deleted = ev.deleted.has(value);
          slot.created = ev.created.has(value);
          printed.push(slot);
        }
        let cur = slot.cur;
        const firstInHit = cur !== undefined && cur.identity.lastHit !== hit.index;
        const startNew =
          !cur ||
          // freed: a later hit is another object, unless it is still the same deletion (bdrv_close detaches child by child)
          (cur.endsAfter !== null && cur.endsAfter < hit.index && !(slot.deleted && cur.endsAfter === hit.index - 1)) ||
          // opened anew at an address in use before
          (firstInHit && slot.created && cur.established) ||
          // an address cannot change what it is without being freed and reused
          (firstInHit && slot.kind !== undefined && cur.identity.kind !== null && slot.kind !== cur.identity.kind) ||
          // nor its name or file: a command that names it otherwise speaks of another object
          (firstInHit && contradicts(told.get(value), cur.identity));
        if (startNew) cur = this.follow(this.fresh(value, line));
        const id = cur!.identity;
        id.firstHit ??= hit.index;
        this.seen.push(line, hp.start[k], hp.end[k], cur!.serial);
        if (line > id.lastLine) id.lastLine = line;
        id.lastHit = hit.index;
        if (!slot.created) cur!.established = true;
      }
      for (const slot of printed) {
        const address = slot.address;
        const cur = slot.cur!;
        const facts = ev.facts.get(address);
        if (facts?.kind === 'data' && cur.identity.kind === null && this.cmd) this.cmd.data.push(cur);
        if (facts) {
          const said = told.get(address);
          for (const [k, v] of Object.entries(facts)) {
            const id = cur.identity as unknown as Record<string, unknown>;
            if (!v || id[k] !== null) continue;
            id[k] = v;
            if (k === 'name' || k === 'driver' || k === 'filename') {
              // the command's line when the command said it, else the hit's
              const line = said && (said as Record<string, unknown>)[k] === v && cmd && cmd.line !== null ? cmd.line : hit.line;
              cur.identity.evidence.push({ what: k, value: String(v), line });
            }
          }
        }
        if (slot.deleted) {
          cur.endsAfter = hit.index;
          cur.identity.ended = 'deleted';
          const top = cmd?.name === 'blockdev-add' ? cmd.arguments['node-name'] : undefined;
          if (this.cmd && top !== undefined && cur.identity.name === top && cur.identity.createdIn === hit.command) this.cmd.topDeleted = true;
        }
      }
      // what this hit shows being created: nodes being opened, and new children attached to them
      const attach = frames.find((f) => f.function === 'bdrv_attach_child_common');
      const parent = attach?.argValue('opaque')?.pointer;
      const child = attach?.argValue('child_bs')?.pointer;
      const createdHere = (address: string | undefined) => {
        const id = address ? this.currentAt(address)?.identity : undefined;
        if (!id || (id.createdIn ?? null) !== null || !this.cmd) return;
        id.createdIn = hit.command;
        this.cmd.created.push(id);
      };
      for (const address of ev.created) createdHere(address);
      const parentId = parent ? this.currentAt(parent)?.identity : undefined;
      const childId = child ? this.currentAt(child)?.identity : undefined;
      // a new child of a node being created, or a node bdrv_open_inherit is opening (it probes it through a BlockBackend of its own)
      // (not a node the command refers to by the name an earlier command gave it)
      const refName = child ? told.get(child)?.name : undefined;
      const earlier = refName !== undefined && (this.declared.upTo(hit.command).get(refName)?.command ?? hit.command) !== hit.command;
      if (childId && !earlier && childId.firstHit === hit.index && (parentId?.createdIn === hit.command || frames.some((f) => f.function === 'bdrv_open_inherit'))) createdHere(child);
    }
  }

  /** QEMU's trace lines printed before document line `line` (and after those already read). */
  private addEventsBefore(line: number): void {
    const events = this.trace.events;
    while (this.eventCursor < events.length && events[this.eventCursor].line < line) this.addEvent(events[this.eventCursor++]);
  }

  /** The command in effect at a document line: the last one typed (or traced) at or before it. */
  private commandAtLine(line: number): number | null {
    const commands = this.trace.commands;
    for (let i = this.commandCursor + 1; i < commands.length; i++) {
      const at = commands[i].line;
      if (at === null) continue;
      if (at > line) break;
      this.commandCursor = i;
    }
    return this.commandCursor >= 0 ? this.commandCursor : null;
  }

  /** A new object at `address` from document line `line` on: the one at that address before is over. */
  private startIncarnation(address: string, line: number, hitsBefore: number): ObjectIdentity {
    const before = this.currentAt(address);
    if (before && before.endsAfter === null) {
      before.endsAfter = hitsBefore;
      before.identity.ended = 'deleted';
    }
    return this.follow(this.fresh(address, line)).identity;
  }

  /** From now on, the pointers printed at the identity's address are it. */
  private follow(identity: ObjectIdentity): Current {
    const cur: Current = { identity, established: false, endsAfter: null, serial: this.serial(identity) };
    this.stateOf(identity.address).cur = cur;
    return cur;
  }

  /**
   * Whether a file bdrv_open_inherit probes is a node opened anew (no hit shows a protocol node's
   * own open: it has no child) where an object of an earlier command was, freed unseen: not one
   * its command was given, which its command's own hits showed first (an image being created, then
   * opened: qcow2_co_create) or which it names (`file=file0`).
   */
  private openedUnseen(address: string, cmd: QmpCommand | null): boolean {
    const cur = this.currentAt(address);
    if (!cur?.established || !this.cmd || cur.endsAfter !== null) return false;
    const id = cur.identity;
    if (id.firstHit === null || id.firstHit >= this.cmd.firstHit) return false;
    return id.name === null || !JSON.stringify(cmd?.arguments ?? {}).includes(JSON.stringify(id.name));
  }

  /** What is known of `address` (made, knowing nothing, the first time it is asked for). */
  private stateOf(address: string): AddressState {
    let a = this.addresses.get(address);
    if (a === undefined) {
      a = { address, cur: undefined, hit: -1, kind: undefined, deleted: false, created: false };
      this.addresses.set(address, a);
    }
    return a;
  }

  /** The object `address` stands for now, if any. */
  private currentAt(address: string): Current | undefined {
    return this.addresses.get(address)?.cur;
  }

  /**
   * The object at `address` as of a trace line that says it is a `kind`: the current one, or a new
   * one when there is none, it was freed, or it was another kind of object (the address was reused).
   */
  private liveAt(address: string, e: LoggedTraceEvent, kind: ObjectKind | null): ObjectIdentity {
    const cur = this.currentAt(address);
    if (cur && (cur.endsAfter === null || cur.endsAfter >= e.hitsBefore) && (kind === null || cur.identity.kind === null || cur.identity.kind === kind)) return cur.identity;
    return this.startIncarnation(address, e.line, e.hitsBefore);
  }

  /**
   * The node a `bdrv_open_common` line is about when the log printed it already: hits inside its
   * own open (bdrv_new, then its children attached through bdrv_open_child, then this line) show it
   * first. That is the object at the address, alive, not opened by an earlier line, and first
   * printed in the hit just before or since its command's line; else the address was reused.
   */
  private openedHere(e: Extract<LoggedTraceEvent, { kind: 'open' }>): ObjectIdentity | undefined {
    const cur = this.currentAt(e.bs);
    if (!cur || cur.endsAfter !== null || this.opened.has(cur.identity)) return undefined;
    const id = cur.identity;
    if (id.kind !== null && id.kind !== 'node') return undefined;
    const command = this.cmd?.index ?? null;
    const since = command !== null ? this.trace.commands[command].line : null;
    return (id.firstHit !== null && id.firstHit >= e.hitsBefore) || (since !== null && id.firstLine > since) ? id : undefined;
  }

  /** What a trace line tells, for the fields not known yet (each with the line as its evidence). */
  private learn(id: ObjectIdentity, facts: Partial<Pick<ObjectIdentity, 'kind' | 'name' | 'driver' | 'filename' | 'role'>>, line: number): void {
    for (const [k, v] of Object.entries(facts) as [keyof typeof facts, string][]) {
      if (!v || id[k] !== null) continue;
      (id as unknown as Record<string, unknown>)[k] = v;
      if (k === 'name' || k === 'driver' || k === 'filename') id.evidence.push({ what: k, value: v, line });
    }
  }

  /**
   * One of QEMU's trace lines about block objects. `bdrv_open_common` is a node being opened: a new
   * object at its address, even when no backtrace shows it (an image created inside a transaction,
   * a node that fails to open); the others say what their pointers are, and a job's state.
   */
  private addEvent(e: LoggedTraceEvent): void {
    switch (e.kind) {
      case 'open': {
        if (e.bs === '0x0') break;
        const command = this.commandAtLine(e.line);
        // the open is of the command the hits around it are in; it starts the context of a typed
        // command of its own when the next hit is that command's, or the command has no hits (a
        // blockdev-add that failed before any): not inside an inferred command's hits
        if (command !== null && this.cmd?.index !== command) {
          const next = this.trace.hits[e.hitsBefore];
          if (!this.cmd || (next?.command ?? null) === command || this.trace.commands[command].hits.length === 0) {
            this.endCommand();
            this.cmd = commandHits(command, e.hitsBefore + 1, e.hitsBefore);
          }
        }
        const id = this.openedHere(e) ?? this.startIncarnation(e.bs, e.line, e.hitsBefore);
        this.opened.add(id);
        this.learn(id, { kind: 'node', driver: e.driver, filename: e.filename }, e.line);
        if (this.cmd && this.cmd.index !== null && (id.createdIn ?? null) === null) {
          id.createdIn = this.cmd.index;
          this.cmd.created.push(id);
        }
        break;
      }
      case 'root-attach':
      case 'root-detach':
        if (e.child !== '0x0') this.learn(this.liveAt(e.child, e, 'edge'), { kind: 'edge', name: 'root', role: `edge root of BlockBackend ${e.blk}` }, e.line);
        if (e.blk !== '0x0') this.learn(this.liveAt(e.blk, e, 'backend'), { kind: 'backend' }, e.line);
        if (e.bs !== '0x0') this.learn(this.liveAt(e.bs, e, 'node'), { kind: 'node' }, e.line);
        break;
      case 'job-state': {
        // a job made (undefined → created) is a new object, wherever an old one was
        const id = e.from === 'undefined' ? this.startIncarnation(e.job, e.line, e.hitsBefore) : this.liveAt(e.job, e, 'job');
        this.learn(id, { kind: 'job' }, e.line);
        (id.states ??= []).push({ state: e.to, line: e.line });
        break;
      }
      case 'job-verb':
        this.learn(this.liveAt(e.job, e, 'job'), { kind: 'job' }, e.line);
        break;
    }
    // the line's pointers are sightings of what they are now
    for (const p of e.pointers) {
      const id = this.liveAt(p.value, e, null);
      this.seen.push(e.line, p.start, p.end, this.serial(id));
      id.lastLine = Math.max(id.lastLine, e.line);
    }
  }

  private addBacktraces(): void {
    // pointers of free-standing backtraces: the incarnation alive at their line, or one of their own
    for (const bt of this.trace.backtraces) {
      for (const f of bt.frames) {
        for (const p of f.pointers) {
          const id = this.at(p.value, p.range.line) ?? this.fresh(p.value, p.range.line);
          this.seen.push(p.range.line, p.range.start, p.range.end, this.serial(id));
        }
      }
    }
  }

  private fresh(address: string, line: number): ObjectIdentity {
    const list = this.byAddress.get(address) ?? [];
    const id: ObjectIdentity = { address, incarnation: list.length + 1, kind: null, name: null, driver: null, filename: null, role: null, firstLine: line, lastLine: line, firstHit: null, lastHit: null, ended: null, evidence: [] };
    this.addIncarnation(list, id);
    this.byAddress.set(address, list);
    return id;
  }

  /** The number of an identity in the sighting columns. */
  private serial(id: ObjectIdentity): number {
    return this.serials.number(id);
  }

  /** Every place this object's pointer is printed, in document order. */
  sightingsOf(id: ObjectIdentity): Token[] {
    const serial = this.serials.find(id);
    const out: Token[] = [];
    if (serial < 0) return out;
    const s = this.seen;
    for (let i = 0; i < s.count; i++) if (s.who[i] === serial) out.push(s.token(i));
    if (s.ordered < s.count) out.sort((a, b) => a.line - b.line || a.start - b.start);
    return out;
  }

  /** The document lines where the objects `match` accepts are printed (one pass over every sighting). */
  linesOf(match: (id: ObjectIdentity) => boolean): number[] {
    const accepted = this.serials.items.map(match);
    const s = this.seen;
    const out: number[] = [];
    for (let i = 0; i < s.count; i++) if (accepted[s.who[i]]) out.push(s.line[i]);
    return out;
  }

  /** Lists stay in log order of their first lines, which `at` searches by halves; a backtrace's
   * incarnation, added after the hits, may break that for its address, which is then scanned. */
  private addIncarnation(list: ObjectIdentity[], id: ObjectIdentity): void {
    if (list.length > 0 && list[list.length - 1].firstLine > id.firstLine) this.unsorted.add(id.address);
    list.push(id);
  }

  /** Every object of the trace: each incarnation of each address. */
  *all(): IterableIterator<ObjectIdentity> {
    for (const list of this.byAddress.values()) yield* list;
  }

  /** Every incarnation of an address, in log order. */
  incarnations(address: string): ObjectIdentity[] {
    return this.byAddress.get(address) ?? [];
  }

  /** The incarnation of `address` in effect at document line `line`. */
  at(address: string, line: number): ObjectIdentity | undefined {
    const list = this.byAddress.get(address);
    if (!list) return undefined;
    if (this.unsorted.has(address)) {
      let found: ObjectIdentity | undefined;
      for (const id of list) if (id.firstLine <= line) found = id;
      return found ?? list[0];
    }
    // the last incarnation whose first line is at or before `line`
    const after = partitionPoint(list.length, (k) => list[k].firstLine <= line);
    return list[after > 0 ? after - 1 : 0];
  }

  /** The pointer printed at a document position, and what it is. */
  pointerAt(line: number, column: number): { range: Token; identity: ObjectIdentity } | undefined {
    return this.pointersOn(line).find((s) => s.range.start <= column && column <= s.range.end);
  }

  /** The pointers printed on a line, left to right. */
  pointersOn(line: number): readonly { range: Token; identity: ObjectIdentity }[] {
    const on = this.seen.on(line).map((i) => ({ range: this.seen.token(i), identity: this.serials.items[this.seen.who[i]] }));
    if (on.length > 1) on.sort((a, b) => a.range.start - b.range.start);
    return on;
  }
}

/** A job's state at document line `line`, as QEMU's trace last told it before then; null when it never did. */
export function jobStateAt(id: ObjectIdentity, line: number): { state: string; line: number } | null {
  let found: { state: string; line: number } | null = null;
  for (const s of id.states ?? []) if (s.line <= line) found = s;
  return found;
}

/** A short name for inline hints: node name, job id, edge name, or the file's base name. */
export function shortLabel(id: ObjectIdentity): string | null {
  if (id.kind === 'job') return id.name ? `job ${id.name}` : 'job';
  if (id.kind === 'edge') return id.name ? `edge ${id.name}` : null;
  if (id.name) return id.name;
  if (id.filename) return basename(id.filename);
  return null;
}

const KIND_WORDS: Record<ObjectKind, string> = {
  node: 'node (BlockDriverState)',
  backend: 'BlockBackend',
  job: 'block job',
  edge: 'edge (BdrvChild)',
  transaction: 'transaction (Transaction)',
  data: 'data, not a block object (an options QDict, a string)',
};

/** One line saying what an object is: `node over01 (qcow2), /tmp/overlay01.qcow2`. */
export function describeIdentity(id: ObjectIdentity): string {
  const what = id.kind ? KIND_WORDS[id.kind] : 'pointer';
  const parts = [id.name ? `${what} ${id.kind === 'job' || id.kind === 'node' ? id.name : `“${id.name}”`}` : `${id.kind && id.kind !== 'data' ? 'unnamed ' : ''}${what}`];
  if (id.driver && id.driver !== id.name) parts[0] += ` (${id.driver})`;
  if (id.filename) parts.push(id.filename);
  if (id.role) parts.push(id.role);
  return parts.join(', ');
}
