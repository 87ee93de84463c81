// The command line: the same model as the extension, outside the editor.
//   qemu-block-trace summary LOG [--json]
//   qemu-block-trace resolve LOG --source-root DIR [--build-dir DIR] [--json]
//   qemu-block-trace graph LOG [--hit N] [--json | --dot | --svg]
//   qemu-block-trace record --out LOG [--qmp-script FILE] [--break FN]... [--gdb PATH] [--gdb-x FILE]... -- QEMU ARGS...

import { existsSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { CSourceParser } from './model/cSource';
import { checkAgainstQemu } from './model/qemuGraphCheck';
import { callSitesOf, detectRevision, revisionMapping, scoreRevision } from './model/revision';
import { buildTreeIndex, frameContext, frameLocationKey, functionCalls, resolveFrameLocation, type FrameLocation, type RevisionMapping, type SourceConfig } from './model/source';
import { CheckoutGit, isSafeRevision } from './gitReader';
import { diskLister, diskReader } from './sourceFiles';
import type { Frame, Trace } from './model/trace';
import { isGzipFile, logSizeSync, readTraceFile, readTraceFileSync } from './traceFile';
import { jsonChunks, LazyList } from './model/jsonStream';
import { formatRecorded as formatRecordedSummary, formatSummary, traceToJson } from './model/summary';
import { BlockGraph } from './model/graph';
import { permString, type GraphView } from './model/graphView';
import { graphToDot } from './model/dot';
import { Identities } from './model/identities';
import { dotToSvg } from './render/svg';
import { recordedAgreementLine, type RecordedCheck } from './model/recorded';
import { companionPath, parseQmpScript, readScript, record } from './record';

const USAGE = `usage: qemu-block-trace summary LOG [--json]
       qemu-block-trace resolve LOG --source-root DIR [--build-dir DIR] [--revision REV | --no-git] [--json]
       qemu-block-trace graph LOG [--hit N] [--json | --dot | --svg]
       qemu-block-trace record --out LOG [--qmp-script FILE] [--break FN]... [--gdb PATH]
                               [--gdb-x FILE]... (-- QEMU_BINARY ARGS... | --attach PID --qmp SOCKET)

  summary LOG          one line per QMP command: its hits and how it was found
  summary LOG --json   the whole model (hits, frames, commands, diagnostics) as JSON
  resolve LOG          every frame's file:line in your QEMU checkout (relocated when the
                       checkout is another version than the binary), or why it is not there;
                       in a git checkout the binary's revision is detected from the call sites
                       (or --revision REV) and lines are mapped from it through git diff
  graph LOG --hit N    the block graph after hit N (default: the last hit), replayed from the
                       log: nodes, edges with permissions at attach, and what hit N changed;
                       --json in the shape of x-debug-query-block-graph plus addresses, --dot
                       as QEMU's scripts/render_block_graph.py draws it, --svg laid out
  record --out LOG     run QEMU under gdb and record a session: at every stop of the
                       breakpoints (default bdrv_replace_child_noperm) the backtrace and QEMU's
                       block graph from its memory; the QMP script's commands (qmp-shell lines,
                       transaction( … ), '# wait EVENT [SECONDS]') sent one after another, each
                       logged with its reply; --gdb-x sources your own gdb files too;
                       --attach records a running QEMU over its QMP socket, and leaves it running

  A LOG may be compressed with gzip (trace.log.gz); it is read as it is decompressed.`;

class UsageError extends Error {}

/** Read and parse a log from disk, piece by piece; errors say what is wrong with the path. */
async function readLog(path: string): Promise<Trace> {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new UsageError(`cannot read ${path}: it is a directory, not a log file`);
  // a device or a pipe may never end (/dev/zero): a log is a file
  if (!st.isFile()) throw new UsageError(`cannot read ${path}: it is not a regular file (a device, a pipe or a socket); save the log to a file first`);
  try {
    return (await isGzipFile(path)) ? await readTraceFile(path) : readTraceFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * A log too large for Node's default heap (about 4 GB; a log takes up to seven times its size, as
 * `npm run bench` measures) is read by a second run of this command with a heap to fit it, up to
 * three quarters of the machine's memory: its exit code, or null to go on here.
 */
async function withHeapFor(file: string, argv: string[]): Promise<number | null> {
  if (process.env.QBT_CLI_HEAP) return null;
  let size: number;
  try {
    size = logSizeSync(file);
  } catch {
    return null;
  }
  const limitMb = getHeapStatistics().heap_size_limit / 2 ** 20;
  const wantMb = Math.ceil((size * 7) / 2 ** 20) + 512;
  if (wantMb <= limitMb) return null;
  const heapMb = Math.min(wantMb, Math.floor((totalmem() * 0.75) / 2 ** 20));
  if (heapMb <= limitMb) return null;
  const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, process.argv[1], ...argv], { stdio: 'inherit', env: { ...process.env, QBT_CLI_HEAP: String(heapMb) } });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 2 : 0))));
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // asked for, the usage is the output; without a command it is an error, on stderr
  if (command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === undefined) throw new UsageError(`no command given\n${USAGE}`);
  if (command === 'record') return recordCommand(rest);
  if (command !== 'summary' && command !== 'resolve' && command !== 'graph') throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  const { flags, files } = parseArgs(
    rest,
    command === 'resolve' ? ['--source-root', '--build-dir', '--revision'] : command === 'graph' ? ['--hit'] : [],
    command === 'graph' ? ['--json', '--dot', '--svg'] : command === 'resolve' ? ['--json', '--no-git'] : ['--json'],
  );
  if (files.length !== 1) throw new UsageError(`${command} takes one LOG file\n${USAGE}`);
  // resolve's options are checked before the log is read
  const options = command === 'resolve' ? resolveOptions(flags) : null;
  const json = flags.has('--json');
  const more = await withHeapFor(files[0], argv);
  if (more !== null) return more;
  const trace = await readLog(files[0]);
  let out: string;
  if (command === 'graph') {
    out = await graphCommand(trace, flags);
  } else if (options) {
    const { rows, revision } = await resolveTrace(trace, options.root, options.buildDir, options.revision);
    if (json) {
      const frames = new LazyList(rows, (r) => r);
      await writeJson(revision ? { revision, frames } : frames);
      return 0;
    }
    out = `${revision ? `# trace ${revision.given ? 'built from' : 'matches'} ${revision.label} (${revision.matching}/${revision.total} call sites); the tree is ${revision.commitsLater} commit${revision.commitsLater === 1 ? '' : 's'} later\n` : ''}${rows.map(formatResolved).join('\n')}\n`;
  } else {
    if (json) {
      await writeJson(traceToJson(trace));
      return 0;
    }
    // a recorded session: the replay held against QEMU's own graph at every stop
    const recorded = trace.hits.some((h) => h.recorded) ? formatRecordedSummary(BlockGraph.build(trace, new Identities(trace))) : [];
    out = `${[...formatSummary(trace, files[0]), ...recorded].join('\n')}\n`;
  }
  await writeChunks([out]);
  return 0;
}

/** `resolve`'s options, checked: the source root (a directory), the build directory, and the
 * revision to map from (null: no git; '': detect it). */
function resolveOptions(flags: Map<string, string>): { root: string; buildDir: string | null; revision: string | null } {
  const root = flags.get('--source-root');
  if (!root) throw new UsageError(`resolve needs --source-root DIR\n${USAGE}`);
  if (!existsSync(root)) throw new UsageError(`cannot read ${root}: no such directory`);
  if (!statSync(root).isDirectory()) throw new UsageError(`--source-root ${root} is not a directory`);
  const rev = flags.get('--revision');
  if (rev !== undefined && !isSafeRevision(rev)) throw new UsageError(`--revision takes a tag or commit, not '${rev}'`);
  if (rev !== undefined && flags.has('--no-git')) throw new UsageError('--revision and --no-git exclude each other');
  const buildDir = flags.get('--build-dir');
  return { root: resolvePath(root), buildDir: buildDir ? resolvePath(buildDir) : null, revision: flags.has('--no-git') ? null : (rev ?? '') };
}

/** JSON written as it goes: the JSON of a large log is more than one string can hold. */
async function writeJson(value: unknown): Promise<void> {
  await writeChunks(jsonChunks(value));
  await writeChunks(['\n']);
}

/** Write pieces to stdout, small ones in blocks of about 1 MB, waiting whenever the pipe is full. */
async function writeChunks(chunks: Iterable<string>): Promise<void> {
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      process.stdout.write(text, (e) => (e ? reject(e) : resolve()));
    });
  let block: string[] = [];
  let size = 0;
  for (const c of chunks) {
    // a large piece goes as it is (joining it to others would copy it once more)
    if (c.length >= 1 << 16) {
      if (size > 0) await write(block.join(''));
      block = [];
      size = 0;
      await write(c);
      continue;
    }
    block.push(c);
    size += c.length;
    if (size >= 1 << 20) {
      await write(block.join(''));
      block = [];
      size = 0;
    }
  }
  if (size > 0) await write(block.join(''));
}

/** `--flag value` options that take a value, switches alone; the rest are files. */
/** `record`: its options up to `--`, then the QEMU binary and its arguments. */
async function recordCommand(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const opts = dash < 0 ? argv : argv.slice(0, dash);
  const [binary, ...qemuArgs] = dash < 0 ? [] : argv.slice(dash + 1);
  let attachPid: string | null = null;
  let qmpSocket: string | null = null;
  let out: string | null = null;
  let scriptPath: string | null = null;
  let gdb = 'gdb';
  const breakpoints: string[] = [];
  const gdbFiles: string[] = [];
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i];
    const value = () => {
      if (i + 1 >= opts.length) throw new UsageError(`${a} needs a value\n${USAGE}`);
      return opts[++i];
    };
    if (a === '--out') out = value();
    else if (a === '--qmp-script') scriptPath = value();
    else if (a === '--break') breakpoints.push(value());
    else if (a === '--gdb') gdb = value();
    else if (a === '--gdb-x') gdbFiles.push(resolvePath(value()));
    else if (a === '--attach') attachPid = value();
    else if (a === '--qmp') qmpSocket = value();
    else throw new UsageError(`unknown option ${a} for record\n${USAGE}`);
  }
  if (!out) throw new UsageError(`record needs --out LOG\n${USAGE}`);
  if (attachPid !== null || qmpSocket !== null) {
    if (attachPid === null || qmpSocket === null || !/^\d+$/.test(attachPid)) throw new UsageError(`--attach PID and --qmp SOCKET go together (a process number and QEMU's QMP socket)\n${USAGE}`);
    if (binary !== undefined) throw new UsageError(`--attach records a QEMU that is running: no -- QEMU_BINARY then\n${USAGE}`);
  } else if (binary === undefined) throw new UsageError(`record needs -- QEMU_BINARY [ARGS...] after its options (or --attach PID --qmp SOCKET)\n${USAGE}`);
  let script: string | null = null;
  if (scriptPath) {
    try {
      script = readScript(scriptPath);
      parseQmpScript(script);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const r = await record({
    out: resolvePath(out),
    script,
    breakpoints,
    gdb,
    gdbFiles,
    binary: binary === undefined ? '' : resolvePath(binary),
    args: qemuArgs,
    ...(attachPid !== null && qmpSocket !== null ? { attach: { pid: Number(attachPid), qmp: resolvePath(qmpSocket) } } : {}),
    companion: companionPath(__dirname),
    say: (line) => process.stderr.write(`qemu-block-trace: ${line}\n`),
  });
  if (r.problem) process.stderr.write(`qemu-block-trace: ${r.problem} (the log so far is in ${out})\n`);
  else process.stderr.write(`qemu-block-trace: ${r.commands} command${r.commands === 1 ? '' : 's'} recorded in ${out}\n`);
  return r.exitCode;
}

function parseArgs(args: string[], valued: string[], switches: string[]): { flags: Map<string, string>; files: string[] } {
  const flags = new Map<string, string>();
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (valued.includes(a)) {
      if (i + 1 >= args.length) throw new UsageError(`${a} needs a value\n${USAGE}`);
      flags.set(a, args[++i]);
    } else if (switches.includes(a)) flags.set(a, '');
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}\n${USAGE}`);
    else files.push(a);
  }
  return { flags, files };
}

async function graphCommand(trace: Trace, flags: Map<string, string>): Promise<string> {
  const formats = ['--json', '--dot', '--svg'].filter((f) => flags.has(f));
  if (formats.length > 1) throw new UsageError(`choose one of ${formats.join(', ')}`);
  if (trace.hits.length === 0) throw new UsageError('the log has no breakpoint hits to replay');
  let hit = trace.hits.length;
  const asked = flags.get('--hit');
  if (asked !== undefined) {
    if (!/^\d+$/.test(asked)) throw new UsageError(`--hit takes a hit number, 0 to ${trace.hits.length}, not '${asked}'`);
    hit = Number(asked);
    if (hit > trace.hits.length) throw new UsageError(`the log has ${trace.hits.length} hits; --hit ${hit} is past the last`);
  }
  const graph = BlockGraph.build(trace, new Identities(trace));
  const view = graph.stateAfter(hit);
  switch (formats[0]) {
    case '--json':
      return `${JSON.stringify(view, null, 2)}\n`;
    case '--dot':
      return graphToDot(view);
    case '--svg':
      return dotToSvg(graphToDot(view));
    default: {
      // QEMU's own answers in the log (x-debug-query-block-graph), held against the replay
      const checks = checkAgainstQemu(trace, (i) => graph.stateAfterCommand(i)).map(
        (c) =>
          `checked against QEMU's x-debug-query-block-graph (line ${(c.line ?? 0) + 1}): ${c.differences.length === 0 ? 'agrees' : `differs:\n${c.differences.map((d) => `  ${d}`).join('\n')}`}`,
      );
      return `${[...formatGraph(view), ...checks, ...formatRecorded(graph.checkRecorded(), hit)].join('\n')}\n`;
    }
  }
}

/** QEMU's own graph, where the log recorded it: the stop after hit `hit` (its state is the one shown), and all of them in one line. */
function formatRecorded(checks: RecordedCheck[], hit: number): string[] {
  if (checks.length === 0) return [];
  const lines: string[] = [];
  const next = checks.find((c) => c.hit === hit + 1);
  if (next) {
    lines.push(
      `recorded from QEMU's memory as hit ${next.hit} stopped (line ${next.line + 1}): ${next.differences.length === 0 ? 'the replay agrees' : `the replay differs:\n${next.differences.map((d) => `  ${d}`).join('\n')}`}`,
    );
  }
  lines.push(recordedAgreementLine(checks));
  return lines;
}

/** The graph as text: what the hit did, then each edge. */
function formatGraph(view: GraphView): string[] {
  const label = new Map(view.nodes.map((n) => [n.id, `${n.label}${n.state === 'live' ? '' : ` (${n.state})`}`]));
  const lines = [view.hit === 0 ? 'before the first hit' : `after hit ${view.hit}: ${view.explanation}`];
  for (const e of view.edges) {
    const mark = e.change === 'added' ? '+ ' : e.change === 'moved' ? '~ ' : '  ';
    lines.push(`${mark}${label.get(e.parent)} —${e.name}→ ${label.get(e.child)}  ${e.perm ? `${permString(e.perm)}/${permString(e['shared-perm'])} at attach` : '(pre-existing)'}`);
  }
  for (const e of view.removed) lines.push(`- ${label.get(e.parent) ?? e.parent} —${e.name}→ ${label.get(e.child) ?? e.child}`);
  for (const n of view.nodes) if (!view.edges.some((e) => e.parent === n.id || e.child === n.id) && !view.removed.some((e) => e.parent === n.id || e.child === n.id)) lines.push(`  ${label.get(n.id)} (no edges)`);
  return lines;
}

interface ResolvedRow {
  hit: number | null;
  backtrace: number | null;
  level: number;
  function: string;
  file: string | null;
  line: number | null;
  resolved: { path: string; line: number; method: string; delta: number } | null;
  reason?: string;
  note?: string;
}

interface RevisionInfo {
  rev: string;
  label: string;
  given: boolean;
  matching: number;
  total: number;
  commitsLater: number;
}

/**
 * Every frame of every hit and backtrace, resolved against the checkout; `rev`: the binary's
 * revision ('' to detect it when the root is in git, null for no git).
 */
async function resolveTrace(trace: Trace, root: string, buildDir: string | null, rev: string | null): Promise<{ rows: ResolvedRow[]; revision: RevisionInfo | null }> {
  const dist = dirname(__filename);
  const parser = new CSourceParser({ runtimeWasm: join(dist, 'web-tree-sitter.wasm'), grammarWasm: join(dist, 'tree-sitter-c.wasm'), cacheSize: 64 });
  const files = diskReader;
  const config: SourceConfig = { root, buildDir, pathMappings: [], workspaceFiles: [] };
  // which files define each function and which fields bind it: files move, callbacks are fields
  const index = buildTreeIndex([root, buildDir ?? join(root, 'build')], diskLister, files);
  const calls = functionCalls([...trace.hits.map((h) => h.frames), ...trace.backtraces.map((b) => b.frames)]);
  const git = rev === null ? undefined : await CheckoutGit.open(root);
  try {
    return await resolveWith(git);
  } finally {
    git?.dispose();
  }

  async function resolveWith(git: CheckoutGit | undefined): Promise<{ rows: ResolvedRow[]; revision: RevisionInfo | null }> {
    let revision: RevisionInfo | null = null;
    let mapping: RevisionMapping | undefined;
    if (git) {
      const sites = callSitesOf(trace.hits.flatMap((h) => h.frames.map((f, i) => ({ file: f.file, line: f.line, function: f.function, ctx: frameContext(h.frames, i, h.source?.text) }))));
      if (rev && !(await git.commitOf(rev))) throw new UsageError(`--revision ${rev} is not a revision of ${root}`);
      const score = rev ? await scoreRevision(rev, sites, git, parser, index.fieldsOf) : await detectRevision(sites, git, parser, index.fieldsOf);
      if (score) {
        const label = /^[0-9a-f]{40}$/.test(score.rev) ? score.rev.slice(0, 12) : score.rev;
        revision = { rev: score.rev, label, given: Boolean(rev), matching: score.matching, total: score.total, commitsLater: await git.commitsSince(score.rev) };
        mapping = revisionMapping(git, score.rev, label);
      }
    } else if (rev) {
      throw new UsageError(`--revision needs a git checkout; ${root} is not in one (or git is missing)`);
    }
    const rows: ResolvedRow[] = [];
    // a log repeats the same few stacks: each distinct frame, with what is around it, is resolved
    // once (the sample repeated 1000 times has 663,000 frames and about 100 such)
    const resolved = new Map<string, Promise<FrameLocation>>();
    const each = async (frames: Frame[], hit: number | null, backtrace: number | null, echo: string | undefined) => {
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i];
        const inner = frameContext(frames, i, echo, calls);
        const key = frameLocationKey(f, inner);
        let p = resolved.get(key);
        if (!p) resolved.set(key, (p = resolveFrameLocation(f, inner, config, files, parser, index, mapping)));
        const r = await p;
        rows.push({
          hit,
          backtrace,
          level: f.level,
          function: f.function,
          file: f.file,
          line: f.line,
          resolved: r.path === null ? null : { path: r.path, line: r.line, method: r.method, delta: r.delta },
          ...(r.path === null ? { reason: r.reason } : r.method === 'exact' ? {} : { note: r.note }),
        });
      }
    };
    for (const h of trace.hits) await each(h.frames, h.index, null, h.source?.text);
    for (const [k, b] of trace.backtraces.entries()) await each(b.frames, null, k + 1, undefined);
    return { rows, revision };
  }
}

function formatResolved(r: ResolvedRow): string {
  const where = r.hit !== null ? `hit ${r.hit}` : `backtrace ${r.backtrace}`;
  const from = r.file ? `${r.file}:${r.line}` : '(no source)';
  const to = r.resolved ? `${r.resolved.path}:${r.resolved.line}  [${r.resolved.method}${r.resolved.delta ? ` ${r.resolved.delta > 0 ? '+' : ''}${r.resolved.delta}` : ''}]` : `— ${r.reason}`;
  // what was not a plain match says why
  const why = r.resolved && r.resolved.method !== 'exact' && r.note ? `  (${r.note})` : '';
  return `${where} #${r.level} ${r.function || '??'}  ${from}  →  ${to}${why}`;
}

// the output piped into a reader that stops early (`| head`): it has what it wanted, no error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const msg = e instanceof UsageError ? e.message : `internal error: ${(e as Error)?.stack ?? String(e)}`;
    process.stderr.write(`qemu-block-trace: ${msg.split('\n')[0]}\n`);
    if (e instanceof UsageError && msg.includes('\n')) process.stderr.write(`${msg.split('\n').slice(1).join('\n')}\n`);
    process.exitCode = 2;
  },
);
