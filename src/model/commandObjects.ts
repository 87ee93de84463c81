// What QMP commands say about the objects a hit prints. A hit's frames print pointers; the command
// that caused it names them: `blockdev-add driver=qcow2 node-name=d0 file=file0` attaches the node
// the user called file0 (added earlier, with its driver and file) as d0's `file` child;
// `block-export-add id=exp0 node-name=d0` gives d0 a BlockBackend that is the export exp0;
// `blockdev-snapshot node=A overlay=B` attaches A as B's backing. The references QMP uses are
// followed to the pointers of the attach each hit makes.

import type { QmpCommand } from './qmp';
import type { Frame } from './frames';
import { unescapeC } from './lines';

export interface ObjectFacts {
  kind?: 'node' | 'backend' | 'job';
  name?: string;
  driver?: string;
  filename?: string;
  role?: string;
}

/** A node the user created by name (`blockdev-add node-name=…`), with what the command said of it. */
export interface DeclaredNode {
  driver: string | null;
  filename: string | null;
  /** The command (index into Trace.commands) that added it. */
  command: number;
}

type Args = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const obj = (v: unknown): Args | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Args) : null);

/** The actions a command stands for: itself, or a transaction's actions (`{type, data}`). */
function actionsOf(cmd: QmpCommand): { name: string; args: Args }[] {
  if (cmd.name !== 'transaction') return [{ name: cmd.name, args: cmd.arguments }];
  const list = Array.isArray(cmd.arguments.actions) ? (cmd.arguments.actions as { type?: unknown; data?: unknown }[]) : [];
  return list.flatMap((a) => (typeof a.type === 'string' ? [{ name: a.type, args: obj(a.data) ?? {} }] : []));
}

/** Nodes named by `blockdev-add` (and its nested `file.node-name=…`), command by command. */
export class DeclaredNodes {
  private readonly names = new Map<string, DeclaredNode>();
  private next = 0;

  constructor(private readonly commands: readonly QmpCommand[]) {}

  /** What was declared by the commands up to and including command `index`. */
  upTo(index: number | null): ReadonlyMap<string, DeclaredNode> {
    const end = index === null ? -1 : index;
    for (; this.next <= end && this.next < this.commands.length; this.next++) {
      for (const a of actionsOf(this.commands[this.next])) if (a.name === 'blockdev-add') this.declare(a.args, this.next);
    }
    return this.names;
  }

  private declare(args: Args, command: number): void {
    const name = str(args['node-name']);
    if (name) this.names.set(name, { driver: str(args.driver), filename: str(args.filename) ?? str(obj(args.file)?.filename), command });
    // nested definitions with a name of their own
    for (const key of ['file', 'backing', 'data-file']) {
      const nested = obj(args[key]);
      if (nested) this.declare(nested, command);
    }
  }
}

const pointer = (f: Frame | undefined, arg: string) => {
  const p = f?.argValue(arg)?.pointer;
  return p && p !== '0x0' ? p : undefined;
};
const text = (f: Frame | undefined, arg: string) => {
  const t = f?.argValue(arg)?.text;
  return t === undefined ? null : unescapeC(t);
};

/** A node reference of QMP (`file=file0`) or an inline definition (`file.driver=file file.filename=…`), as facts of the node it stands for. */
function referenceFacts(ref: unknown, declared: ReadonlyMap<string, DeclaredNode>): ObjectFacts | null {
  const name = str(ref);
  if (name) {
    const d = declared.get(name);
    return { kind: 'node', name, ...(d?.driver ? { driver: d.driver } : {}), ...(d?.filename ? { filename: d.filename } : {}) };
  }
  const inline = obj(ref);
  if (!inline) return null;
  const facts: ObjectFacts = { kind: 'node' };
  if (str(inline['node-name'])) facts.name = str(inline['node-name'])!;
  if (str(inline.driver)) facts.driver = str(inline.driver)!;
  if (str(inline.filename)) facts.filename = str(inline.filename)!;
  return facts;
}

/**
 * What the hit's command says about the pointers of the attach the hit makes (frame
 * `bdrv_attach_child_common`: its parent `opaque`, its `child_bs`, the edge's `child_name`),
 * keyed by pointer.
 */
export function commandFacts(
  cmd: QmpCommand | null,
  frames: readonly Frame[],
  declared: ReadonlyMap<string, DeclaredNode>,
  /** The name a pointer already has (from the frames or earlier hits), to tell which action a hit is of. */
  knownName: (pointer: string) => string | null = () => null,
): Map<string, ObjectFacts> {
  if (!cmd) return new Map();
  const actions = actionsOf(cmd);
  if (actions.length === 1) return actionFacts(actions[0], frames, declared);
  // a transaction: each action on its own; a hit is of the one action whose names agree with what
  // its pointers are already called (none, when that cannot be told)
  const candidates = actions
    .map((a) => actionFacts(a, frames, declared))
    .filter((m) => m.size > 0 && [...m].every(([p, f]) => !f.name || !knownName(p) || knownName(p) === f.name));
  return candidates.length === 1 ? candidates[0] : new Map();
}

function actionFacts(a: { name: string; args: Args }, frames: readonly Frame[], declared: ReadonlyMap<string, DeclaredNode>): Map<string, ObjectFacts> {
  const out = new Map<string, ObjectFacts>();
  const add = (p: string | undefined, f: ObjectFacts | null) => {
    if (!p || !f) return;
    out.set(p, { ...f, ...out.get(p) });
  };
  const attach = frames.find((f) => f.function === 'bdrv_attach_child_common');
  const child = pointer(attach, 'child_bs');
  const parent = pointer(attach, 'opaque');
  const edge = text(attach, 'child_name');
  const cls = attach?.argValue('child_class')?.symbol ?? null;
  // the node a stack is opening, by the name bdrv_open_driver gives it
  const openedAs = (p: string | undefined) => (p ? text(frames.find((f) => f.function === 'bdrv_open_driver' && pointer(f, 'bs') === p), 'node_name') : null);
  {
    const args = a.args;
    switch (a.name) {
      case 'blockdev-add': {
        // the top node: the one the command names; a child by the reference under the edge's name
        const top = str(args['node-name']);
        if (attach && edge && (cls === 'child_of_bds' || cls === null)) {
          const parentName = openedAs(parent);
          if (parentName !== null && parentName === top) add(child, referenceFacts(args[edge], declared));
          else if (parentName !== null) {
            // an inline child's own child: `file.file.filename=…`
            for (const key of ['file', 'backing']) {
              const nested = obj(args[key]);
              if (nested && str(nested['node-name']) === parentName) add(child, referenceFacts(nested[edge], declared));
            }
          }
        }
        if (top && parent && openedAs(parent) === top) add(parent, { kind: 'node', name: top, ...(str(args.driver) ? { driver: str(args.driver)! } : {}), ...(str(args.filename) ? { filename: str(args.filename)! } : {}) });
        break;
      }
      case 'block-export-add': {
        const node = str(args['node-name']);
        const id = str(args.id);
        if (attach && cls === 'child_root' && node) {
          add(child, { kind: 'node', name: node });
          if (id) add(parent, { kind: 'backend', name: `export ${id}`, role: `BlockBackend of the ${str(args.type) ?? ''} export ${id}`.replace('  ', ' ') });
        }
        break;
      }
      case 'blockdev-snapshot': {
        // the overlay gets the node as its backing (`node` may be a device's name in a system
        // emulator's session; a name the stack prints for the node wins over it)
        if (attach && edge === 'backing') {
          add(child, referenceFacts(args.node, declared));
          add(parent, referenceFacts(args.overlay, declared));
        }
        break;
      }
      case 'blockdev-mirror':
      case 'blockdev-backup':
      case 'drive-mirror':
      case 'block-commit':
      case 'block-stream': {
        const job = str(args['job-id']) ?? str(args.device);
        if (attach && cls === 'child_job' && edge) {
          // references that are node names: a mirror's or backup's target, a commit's base-node; a
          // device only when it names a node the log declared (it may be a BlockBackend's name)
          const target = a.name === 'blockdev-mirror' || a.name === 'blockdev-backup' ? args.target : a.name === 'block-commit' ? args['base-node'] : null;
          const device = str(args.device) && declared.has(str(args.device)!) ? args.device : null;
          const ref = edge === 'target' ? target : edge === 'source' ? device : null;
          if (str(ref)) add(child, referenceFacts(ref, declared));
        }
        // the job's own BlockBackends
        if (attach && cls === 'child_root' && job) add(parent, { kind: 'backend', name: `${job}'s BlockBackend` });
        break;
      }
      default:
        break;
    }
  }
  return out;
}
