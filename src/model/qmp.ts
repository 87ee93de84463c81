// QMP commands as the log shows them: qmp-shell lines, raw QMP JSON and HMP lines read into
// commands, and a command written back as a person would type it. A leaf: it imports nothing.


/** `qemu-trace`: from QEMU's own `qmp_enter_<command>` trace line (`--trace 'qmp_*'`), when no command line was logged. */
export type CommandOrigin = 'qmp-shell' | 'qmp' | 'hmp' | 'qemu-trace' | 'inferred';

export interface QmpCommand {
  /** QMP name (`block-commit`), or the HMP command word. */
  name: string;
  /** QMP arguments as an object (qmp-shell dotted keys nested); HMP: `{ args: [...] }`. */
  arguments: Record<string, unknown>;
  origin: CommandOrigin;
  /** Document line of the command; null when inferred from frames. */
  line: number | null;
  /** The command as typed (qmp-shell / HMP / JSON text); null when inferred. */
  text: string | null;
  /** 1-based indexes of the hits it caused. */
  hits: number[];
  /** Why an inferred command was inferred: the first hit and frame that named it. */
  inferredFrom: { hit: number; frame: number; function: string } | null;
  /** QEMU's answer (`{"return": …}` or `{"error": …}`) when the log shows it. */
  reply: Record<string, unknown> | null;
}

// ---------------------------------------------------------------------------------------------
// qmp-shell: `block-commit device=over01 job-id=jobA file.driver=file size=1024 opts={"a": 1}`

const TOKEN_RE = /(?:[^\s"']|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')+/g;
const NAME_RE = /^[A-Za-z][\w-]*$/;

/** Read a qmp-shell command line; null when it is not one. */
export function parseQmpShellCommand(text: string, line: number): QmpCommand | null {
  const tokens = text.match(TOKEN_RE);
  if (!tokens || !NAME_RE.test(tokens[0])) return null;
  const args: Record<string, unknown> = {};
  for (const tok of tokens.slice(1)) {
    const eq = tok.indexOf('=');
    if (eq <= 0) return null;
    setDotted(args, tok.slice(0, eq), parseShellValue(tok.slice(eq + 1)));
  }
  return { name: tokens[0], arguments: args, origin: 'qmp-shell', line, text, hits: [], inferredFrom: null, reply: null };
}

/** qmp-shell's value rules: integers, true/false, JSON objects and arrays, otherwise a string. */
function parseShellValue(v: string): unknown {
  if (/^-?\d+$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (v.startsWith('{') || v.startsWith('[')) {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      // qmp-shell also tries Python literal syntax; keep the text as typed
    }
  }
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

function setDotted(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) cur = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      cur[p] = created;
      cur = created;
    }
  }
  cur[parts[parts.length - 1]] = value;
}

/** Read an HMP command line (`snapshot_blkdev drive0 /tmp/s.qcow2 qcow2`). */
export function parseHmpCommand(text: string, line: number): QmpCommand {
  const words = text.split(/\s+/).filter((w) => w !== '');
  return { name: words[0], arguments: { args: words.slice(1) }, origin: 'hmp', line, text, hits: [], inferredFrom: null, reply: null };
}

export type QmpJson =
  | { kind: 'command'; command: QmpCommand }
  | { kind: 'reply'; reply: Record<string, unknown> }
  | { kind: 'event' }
  | { kind: 'bad' }
  | null;

/** Read a raw QMP message (`{"execute": …}`, a reply or an event); null for other JSON. */
export function parseQmpJson(text: string, line: number): QmpJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return /^\{\s*"(?:execute|exec-oob)"/.test(text) ? { kind: 'bad' } : null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const msg = value as Record<string, unknown>;
  const execute = msg.execute ?? msg['exec-oob'];
  if (typeof execute === 'string') {
    const args = msg.arguments;
    const argObj = typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
    return { kind: 'command', command: { name: execute, arguments: argObj, origin: 'qmp', line, text, hits: [], inferredFrom: null, reply: null } };
  }
  if ('return' in msg || 'error' in msg) return { kind: 'reply', reply: msg };
  if (typeof msg.event === 'string') return { kind: 'event' };
  return null;
}

/** QMP commands whose names keep underscores (QEMU's trace events spell every name with them). */
const UNDERSCORE_NAMES = new Set(['qmp_capabilities', 'block_resize', 'block_set_io_throttle', 'block_passwd', 'migrate_set_speed', 'migrate_set_downtime', 'migrate_set_cache_size', 'set_password', 'expire_password', 'device_add', 'device_del', 'netdev_add', 'netdev_del', 'client_migrate_info', 'dump_skeys', 'system_reset', 'system_powerdown', 'system_wakeup', 'inject_nmi']);

/** The QMP command a `qmp_enter_<x>` / `qmp_exit_<x>` trace event is about: `blockdev_add` → `blockdev-add`. */
export function commandOfTraceEvent(x: string): string {
  return UNDERSCORE_NAMES.has(x) ? x : x.replace(/_/g, '-');
}

/** A command from QEMU's `qmp_enter_<x> {json}` trace line. */
export function commandFromTrace(x: string, args: string, line: number, text: string): QmpCommand {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(args);
  } catch {
    // arguments QEMU could not print as JSON: the command is still known
  }
  const argObj = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  return { name: commandOfTraceEvent(x), arguments: argObj, origin: 'qemu-trace', line, text, hits: [], inferredFrom: null, reply: null };
}

/** QEMU's answer as `qmp_exit_<x> RESULT 1|0` says it: `{return: …}` or `{error: {desc}}`; null when it is not that line. */
export function replyFromTrace(args: string): Record<string, unknown> | null {
  const m = /^(.*) ([01])$/s.exec(args.trimEnd());
  if (!m) return null;
  if (m[2] === '0') return { error: { class: 'GenericError', desc: m[1] } };
  let value: unknown;
  try {
    value = JSON.parse(m[1]);
  } catch {
    value = m[1];
  }
  return { return: value };
}

/** The command as a user would have typed it in qmp-shell. */
export function commandLabel(cmd: QmpCommand): string {
  if (cmd.origin === 'hmp') return cmd.text ?? cmd.name;
  if (cmd.name === 'transaction' && Array.isArray(cmd.arguments.actions)) {
    const actions = (cmd.arguments.actions as { type?: unknown }[]).map((a) => String(a.type));
    return `transaction: ${actions.join(', ')}`;
  }
  const args = flattenArguments(cmd.arguments).map(([k, v]) => `${k}=${v}`);
  return [cmd.name, ...args].join(' ');
}

/** qmp-shell's dotted form of nested arguments: `file.driver=file`. */
function flattenArguments(obj: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(...flattenArguments(v as Record<string, unknown>, `${key}.`));
    else out.push([key, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  return out;
}
