// Plain views of a Trace shared by the CLI and the editor: the one-line-per-command summary and
// the JSON document (`logLine` fields are 1-based there, as people count lines).

import type { QmpCommand } from './commands';
import { parseAllFrames, type Backtrace, type Frame, type Hit, type Trace } from './trace';

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

/** `[1,2,3,5,7,8]` → `1-3, 5, 7-8`. */
export function formatRanges(indexes: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < indexes.length) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++;
    parts.push(i === j ? `${indexes[i]}` : `${indexes[i]}-${indexes[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

function originNote(cmd: QmpCommand): string {
  if (cmd.origin === 'inferred' && cmd.inferredFrom) {
    return `inferred from ${cmd.inferredFrom.function} (hit ${cmd.inferredFrom.hit}, frame #${cmd.inferredFrom.frame})`;
  }
  return `${cmd.origin}, line ${(cmd.line ?? 0) + 1}`;
}

/** One line per command (plus hits that ran before any command), then what was not understood. */
export function formatSummary(trace: Trace, name: string): string[] {
  // problems inside backtraces are found when their frames are read: read them all first
  parseAllFrames(trace);
  const frames = trace.hits.reduce((n, h) => n + h.frames.length, 0);
  const lines = [
    `${name}: ${trace.hits.length} hits (${frames} frames), ${trace.commands.length} commands, ${trace.backtraces.length} other backtraces`,
  ];
  const width = String(trace.hits.length).length;
  const before = trace.hits.filter((h) => h.command === null).map((h) => h.index);
  if (before.length > 0) lines.push(`  hits ${formatRanges(before)} (${before.length})  before any command`);
  for (const cmd of trace.commands) {
    const count = cmd.hits.length;
    const hits = count === 0 ? 'no hits' : `hits ${formatRanges(cmd.hits)}`;
    lines.push(`  ${hits.padEnd(2 * width + 6)} ${`(${count})`.padStart(width + 2)}  ${commandLabel(cmd)}  [${originNote(cmd)}]`);
  }
  for (const d of trace.diagnostics) {
    const where = d.lines.length > 0 ? ` (line ${d.lines.map((l) => l + 1).join(', ')}${d.count > d.lines.length ? ', …' : ''})` : '';
    lines.push(`  note (${d.count}): ${d.message}${where}`);
  }
  return lines;
}

function frameJson(f: Frame) {
  return {
    level: f.level,
    address: f.address,
    function: f.function,
    args: f.args.map((a) => (a.entry ? { name: a.name, value: a.value, kind: a.kind, entry: true } : { name: a.name, value: a.value, kind: a.kind })),
    file: f.file,
    line: f.line,
    ...(f.column !== null ? { column: f.column } : {}),
    library: f.library,
    logLine: f.logLine + 1,
    ...(f.inlined ? { inlined: true } : {}),
  };
}

function hitJson(h: Hit) {
  return {
    index: h.index,
    logLine: h.line + 1,
    endLogLine: h.endLine + 1,
    thread: h.thread,
    breakpoint: h.breakpoint,
    kind: h.kind,
    function: h.stop?.function ?? null,
    args: h.stop ? h.stop.args.map((a) => ({ name: a.name, value: a.value, kind: a.kind })) : [],
    location: h.stop?.file ? { file: h.stop.file, line: h.stop.line } : null,
    source: h.source ? { line: h.source.number, text: h.source.text } : null,
    ...(h.watch ? { watch: h.watch } : {}),
    frames: h.frames.map(frameJson),
    command: h.command,
    job: h.job,
  };
}

function backtraceJson(b: Backtrace) {
  return { kind: b.kind, title: b.title, thread: b.thread, logLine: b.line + 1, hit: b.hit, frames: b.frames.map(frameJson) };
}

/** The whole model as plain JSON. */
export function traceToJson(trace: Trace) {
  parseAllFrames(trace);
  return {
    lines: trace.lineCount,
    hits: trace.hits.map(hitJson),
    backtraces: trace.backtraces.map(backtraceJson),
    commands: trace.commands.map((c) => ({
      name: c.name,
      arguments: c.arguments,
      origin: c.origin,
      logLine: c.line === null ? null : c.line + 1,
      text: c.text,
      label: commandLabel(c),
      hits: c.hits,
      inferredFrom: c.inferredFrom,
      ...(c.reply ? { reply: c.reply } : {}),
    })),
    breakpoints: trace.breakpoints.map((b) => ({ number: b.number, file: b.file, line: b.line, logLine: b.logLine + 1 })),
    diagnostics: trace.diagnostics.map((d) => ({ code: d.code, message: d.message, count: d.count, logLines: d.lines.map((l) => l + 1) })),
  };
}
