// Plain views of a Trace shared by the CLI and the editor: the one-line-per-command summary and
// the JSON document (`logLine` fields are 1-based there, as people count lines).

import { commandLabel, type QmpCommand } from './qmp';
import type { BlockGraph } from './graph';
import { backtraceLabel, inferredBecause } from './hitGroups';
import { checkAgainstQemu } from './qemuGraphCheck';
import { recordedAgreementLine } from './recorded';
import { jobIdAt } from './attribution';
import { countAllFrames, parseAllFrames } from './parser';
import { type Backtrace, type Frame, type Hit, type Trace } from './trace';
import { LazyList, Later } from './jsonStream';

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
  // problems inside backtraces are found when their frames are read: count them all first
  const frames = countAllFrames(trace);
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
  for (const b of trace.backtraces) {
    lines.push(`  backtrace, line ${b.line + 1}: ${backtraceLabel(b)} (${b.frameCount} frames${b.hit !== null ? `, during hit ${b.hit}` : ''})`);
  }
  const codes = trace.terminalCodes;
  const cut = trace.cutAt;
  if (cut) lines.push(`  note: ${cut.lines} lines are exactly ${cut.width} characters and none is longer: the log looks cut where a terminal's screen wrapped it (tmux capture-pane without -J?), and frames cut in two are not read whole; capture with -J, or open it in VS Code with Open Log as gdb Printed It`);
  if (codes) lines.push(`  read as a terminal showed it: ${codes.lines} lines hold terminal codes (colours, prompt codes; saved with script?), from line ${codes.firstLine + 1}`);
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
    // (read from a copy: the hit keeps no arguments read only to be written)
    args: h.stop ? h.stop.copy().args.map((a) => ({ name: a.name, value: a.value, kind: a.kind })) : [],
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
  return {
    lines: trace.lineCount,
    // made a few hits at a time as they are written (jsonChunks), or all at once by JSON.stringify
    hits: new LazyList(trace.hits, hitJson),
    backtraces: new LazyList(trace.backtraces, backtraceJson),
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
    ...(trace.cutAt ? { cutAt: trace.cutAt } : {}),
    ...(trace.terminalCodes ? { terminalCodes: { lines: trace.terminalCodes.lines, firstLogLine: trace.terminalCodes.firstLine + 1 } } : {}),
    // after the hits and backtraces, whose frames are read as they are written: their problems too
    diagnostics: new Later(() => {
      parseAllFrames(trace);
      return trace.diagnostics.map((d) => ({ code: d.code, message: d.message, count: d.count, logLines: d.lines.map((l) => l + 1) }));
    }),
  };
}

/** A place in the log a view links to: 0-based line, and what to call it. */
export interface LogLink {
  line: number;
  label: string;
}

export interface CommandReport {
  label: string;
  /** The command as typed (several lines for a transaction), or null when inferred. */
  text: string | null;
  origin: QmpCommand['origin'];
  /** Where it was typed; null when inferred from frames. */
  at: LogLink | null;
  /** Why it was inferred, in words. */
  inferred: string | null;
  hits: LogLink[];
  /** What its hits did to the block graph, in order; null while the replay is not done. */
  changes: (LogLink & { hit: number })[] | null;
  jobs: string[];
  /** QEMU's answer when the log shows it: `ok`, or the error's text. */
  reply: { ok: true } | { ok: false; error: string } | null;
  /** For `x-debug-query-block-graph`: QEMU's graph held against the replay (differences; none: it agrees). */
  check?: string[];
}

export interface TraceReport {
  name: string;
  hits: number;
  frames: number;
  /** Hits before any command first (label `before any command`), then every command in log order. */
  commands: CommandReport[];
  backtraces: (LogLink & { frames: number; hit: number | null })[];
  diagnostics: { message: string; count: number; lines: number[] }[];
  /** Where the log recorded QEMU's own graph (`qbt-graph`): the agreement, and the stops that differ; null when it recorded none or the replay is not done. */
  recorded: { line: string; differing: (LogLink & { differences: string[] })[] } | null;
}

function replyOf(cmd: QmpCommand): CommandReport['reply'] {
  const r = cmd.reply;
  if (!r) return null;
  if ('error' in r) {
    const e = r.error as { desc?: unknown; class?: unknown } | null;
    return { ok: false, error: typeof e?.desc === 'string' ? e.desc : JSON.stringify(r.error) };
  }
  return { ok: true };
}

function hitLinks(trace: Trace, indexes: readonly number[]): LogLink[] {
  return indexes.map((i) => ({ line: trace.hits[i - 1].line, label: `#${i}` }));
}

function changesOf(trace: Trace, indexes: readonly number[], graph: BlockGraph | undefined): CommandReport['changes'] {
  if (!graph) return null;
  const out: (LogLink & { hit: number })[] = [];
  for (const i of indexes) {
    const c = graph.changeAt(i);
    if (c?.short) out.push({ hit: i, line: trace.hits[i - 1].line, label: c.short });
  }
  return out;
}

function recordedReport(graph: BlockGraph | undefined): TraceReport['recorded'] {
  const checks = graph?.checkRecorded() ?? [];
  if (checks.length === 0) return null;
  return {
    line: recordedAgreementLine(checks),
    differing: checks.filter((c) => c.differences.length > 0).map((c) => ({ line: c.line, label: `#${c.hit}`, differences: c.differences })),
  };
}

/** The summary's lines on QEMU's recorded graph, when the log has it: the agreement, then each stop that differs. */
export function formatRecorded(graph: BlockGraph): string[] {
  const checks = graph.checkRecorded();
  if (checks.length === 0) return [];
  const lines = [`  ${recordedAgreementLine(checks)}`];
  for (const c of checks.filter((x) => x.differences.length > 0)) lines.push(`    hit ${c.hit} (line ${c.line + 1}): ${c.differences.join('; ')}`);
  return lines;
}

/**
 * What a log holds, for the summary view: each command with its hits, what they did to the block
 * graph (when the replay is at hand), its jobs and QEMU's answer; free-standing backtraces; what
 * was not understood. Every entry carries the log line it links to.
 */
export function traceReport(trace: Trace, name: string, graph?: BlockGraph): TraceReport {
  parseAllFrames(trace);
  // the jobs a command's hits create or run for: by the hit's own job, or a job pointer its frames print
  const jobsOf = (indexes: readonly number[]) => {
    const jobs = new Set<string>();
    for (const i of indexes) {
      const h = trace.hits[i - 1];
      if (h.job) jobs.add(h.job);
      // (only the frames whose argument list says `job` are read: most say nothing of one)
      for (const f of h.frames) {
        if (!f.argsMention('job')) continue;
        for (const a of f.args) {
          const id = a.name === 'job' ? jobIdAt(trace.jobs, a.value, h.index) : undefined;
          if (id !== undefined) jobs.add(id);
        }
      }
    }
    return [...jobs];
  };
  const commands: CommandReport[] = [];
  const before = trace.hits.filter((h) => h.command === null).map((h) => h.index);
  if (before.length > 0) {
    commands.push({ label: 'before any command', text: null, origin: 'inferred', at: null, inferred: null, hits: hitLinks(trace, before), changes: changesOf(trace, before, graph), jobs: jobsOf(before), reply: null });
  }
  const checks = graph ? checkAgainstQemu(trace, (i) => graph.stateAfterCommand(i)) : [];
  for (const [index, cmd] of trace.commands.entries()) {
    const check = checks.find((c) => c.command === index);
    commands.push({
      ...(check ? { check: check.differences } : {}),
      label: commandLabel(cmd),
      text: cmd.text,
      origin: cmd.origin,
      at: cmd.line === null ? null : { line: cmd.line, label: `line ${cmd.line + 1}` },
      inferred: inferredBecause(cmd),
      hits: hitLinks(trace, cmd.hits),
      changes: changesOf(trace, cmd.hits, graph),
      jobs: jobsOf(cmd.hits),
      reply: replyOf(cmd),
    });
  }
  return {
    name,
    hits: trace.hits.length,
    frames: countAllFrames(trace),
    commands,
    backtraces: trace.backtraces.map((b) => ({ line: b.line, label: backtraceLabel(b), frames: b.frameCount, hit: b.hit })),
    diagnostics: trace.diagnostics.map((d) => ({ message: d.message, count: d.count, lines: [...d.lines] })),
    recorded: recordedReport(graph),
  };
}
