// `npm run bench`: the parse budget of design.md §7, measured next to grep and awk on the same file.
// Builds a ~100 MB trace by repeating the sample, then in separate processes (for clean memory
// figures): the streaming parse from disk, `grep -c 'hit Breakpoint'`, and an awk count of hits and
// frames. Prints MB/s, peak memory and the ratios.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT } from './lib/testEnv.mjs';

const TARGET_MB = Number(process.env.QBT_BENCH_MB ?? 100);
const RUNS = Number(process.env.QBT_BENCH_RUNS ?? 3);
const dir = join(ROOT, '.bench');
mkdirSync(dir, { recursive: true });
const sample = readFileSync(join(ROOT, 'examples', 'snapshot-commit-complete.gdb.log'), 'utf8');
const file = join(dir, `trace-${TARGET_MB}mb.log`);

async function makeTrace() {
  if (existsSync(file) && statSync(file).size >= TARGET_MB * 1e6) return;
  const out = createWriteStream(file);
  let written = 0;
  while (written < TARGET_MB * 1e6) {
    if (!out.write(sample)) await new Promise((r) => out.once('drain', r));
    written += Buffer.byteLength(sample);
  }
  await new Promise((r) => out.end(r));
}

await makeTrace();
const bytes = statSync(file).size;
const mb = bytes / 1e6;

// the model, bundled as the extension and CLI bundle it
await esbuild.build({
  stdin: { contents: "export * from './trace'; export * from './hitGroups'; export * from './summary'; export * from './identities';", resolveDir: join(ROOT, 'src', 'model'), loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: join(dir, 'model.js'),
  logLevel: 'warning',
});

const PARSE = `
const { parseTraceStream, parseAllFrames, groupHits, callerOf, shortLocation, commandLabel, Identities } = require(${JSON.stringify(join(dir, 'model.js'))});
const { createReadStream } = require('node:fs');
const mode = process.argv[1];
(async () => {
  const base = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const trace = await parseTraceStream(createReadStream(${JSON.stringify(file)}, { encoding: 'utf8', highWaterMark: 1 << 18 }));
  const t1 = process.hrtime.bigint();
  const peakParse = process.resourceUsage().maxRSS / 1024;
  // the Hits tree: its first level (commands, labelled as typed) and expanding the largest group
  // (each hit's label and description: stop function, location, caller) — the tree's own work
  const tt0 = process.hrtime.bigint();
  const groups = groupHits(trace, 'command');
  const firstLevel = groups.map((g) => [g.label, g.hits.length + ' hits']);
  const tt1 = process.hrtime.bigint();
  const biggest = groups.reduce((a, b) => (b.hits.length > a.hits.length ? b : a));
  const rows = biggest.hits.map((h) => ['#' + h.index + ' ' + (h.stop && h.stop.function), [shortLocation(h.stop), callerOf(h)].join(' · ')]);
  const tt2 = process.hrtime.bigint();
  const callers = groupHits(trace, 'caller');
  const tt3 = process.hrtime.bigint();
  const [thread] = groupHits(trace, 'thread');
  const all = thread.hits.map((h) => ['#' + h.index + ' ' + (h.stop && h.stop.function), [shortLocation(h.stop), callerOf(h)].join(' · ')]);
  const tt4 = process.hrtime.bigint();
  const tree = { firstLevelMs: Number(tt1 - tt0) / 1e6, groups: firstLevel.length, expandMs: Number(tt2 - tt1) / 1e6, expanded: rows.length,
    callersMs: Number(tt3 - tt2) / 1e6, callers: callers.length, threadMs: Number(tt4 - tt3) / 1e6, threadHits: all.length };
  parseAllFrames(trace);
  const t2 = process.hrtime.bigint();
  let frames = 0, args = 0;
  for (const h of trace.hits) frames += h.frames.length;
  if (mode === 'args') for (const h of trace.hits) for (const f of h.frames) args += f.args.length;
  const t3 = process.hrtime.bigint();
  let identitiesMs = null;
  if (mode === 'args') {
    new Identities(trace);
    identitiesMs = Number(process.hrtime.bigint() - t3) / 1e6;
  }
  console.log(JSON.stringify({ parseMs: Number(t1 - t0) / 1e6, framesMs: Number(t2 - t1) / 1e6, argsMs: Number(t3 - t2) / 1e6, identitiesMs, hits: trace.hits.length, frames, args, peakParse, tree,
    commands: trace.commands.length, peakMB: process.resourceUsage().maxRSS / 1024, baseMB: base / 1048576 }));
})();`;

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return { ms, out: r.stdout.trim() };
}

function best(n, f) {
  const runs = Array.from({ length: n }, f);
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

const parse = best(RUNS, () => {
  const r = time(process.execPath, ['-e', PARSE, 'parse']);
  const j = JSON.parse(r.out);
  return { ...j, ms: j.parseMs };
});
const withArgs = JSON.parse(time(process.execPath, ['-e', PARSE, 'args']).out);
const grep = best(RUNS, () => time('grep', ['-c', 'hit Breakpoint', file]));
const awk = best(RUNS, () => time('awk', ['/hit Breakpoint/ { h++ } /^#[0-9]/ { f++ } END { print h, f }', file]));

const [awkHits, awkFrames] = awk.out.split(' ').map(Number);
const check = parse.hits === Number(grep.out) && parse.hits === awkHits && parse.frames === awkFrames ? 'agree' : 'DISAGREE';
const f = (x) => x.toFixed(0).padStart(6);
process.stdout.write(
  [
    `trace: ${file}`,
    `       ${mb.toFixed(1)} MB, ${parse.hits} hits, ${parse.frames} frames, ${parse.commands} commands (best of ${RUNS} runs each)`,
    '',
    `parse (streaming from disk) ${f(parse.parseMs)} ms  ${(mb / (parse.parseMs / 1000)).toFixed(0).padStart(4)} MB/s  peak RSS ${parse.peakParse.toFixed(0)} MB (${(parse.peakParse / mb).toFixed(1)}× the file; node alone ${parse.baseMB.toFixed(0)} MB)`,
    `  hits, commands, attribution; backtraces kept as text and read into frames on first use:`,
    `  + every frame of every backtrace ${f(parse.framesMs)} ms  peak RSS ${parse.peakMB.toFixed(0)} MB`,
    `  + every argument of every frame  ${f(withArgs.argsMs)} ms  (${withArgs.args} arguments)`,
    `  + pointer identities (hover, highlights, hints; built on first use) ${f(withArgs.identitiesMs)} ms`,
    `Hits tree, after the parse: first level ${parse.tree.firstLevelMs.toFixed(1)} ms (${parse.tree.groups} commands); expanding the largest (${parse.tree.expanded} hits) ${parse.tree.expandMs.toFixed(1)} ms; grouping by caller ${parse.tree.callersMs.toFixed(0)} ms (${parse.tree.callers} callers);`,
    `  worst case, one thread holding every hit: grouping and its ${parse.tree.threadHits} rows ${parse.tree.threadMs.toFixed(0)} ms`,
    `grep -c 'hit Breakpoint'     ${f(grep.ms)} ms  ${(mb / (grep.ms / 1000)).toFixed(0).padStart(4)} MB/s  → ${grep.out} hits`,
    `awk hits + frames            ${f(awk.ms)} ms  ${(mb / (awk.ms / 1000)).toFixed(0).padStart(4)} MB/s  → ${awkHits} hits, ${awkFrames} frames`,
    '',
    `parse / grep = ${(parse.parseMs / grep.ms).toFixed(2)}   parse / awk = ${(parse.parseMs / awk.ms).toFixed(2)}   counts ${check}`,
    '',
  ].join('\n'),
);
// Source resolution: every frame of the sample against a full-size synthetic tree (block.c about
// 8,000 lines), in a fresh process: cold includes loading the WASM; warm is a second pass.
await esbuild.build({
  stdin: {
    contents: "export { parseTrace } from '../src/model/trace'; export { resolveFrameLocation } from '../src/model/source'; export { CSourceParser } from '../src/model/cSource'; export { writeQemuTree } from '../test/support/qemuTree';",
    resolveDir: join(ROOT, 'scripts'),
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: join(dir, 'resolve.js'),
  logLevel: 'warning',
  external: ['web-tree-sitter'],
});
const RESOLVE = `
const m = require(${JSON.stringify(join(dir, 'resolve.js'))});
const fs = require('node:fs');
const path = require('node:path');
const root = ${JSON.stringify(join(dir, 'qemu-full'))};
const trace = m.parseTrace(fs.readFileSync(${JSON.stringify(join(ROOT, 'examples', 'snapshot-commit-complete.gdb.log'))}, 'utf8'));
fs.rmSync(root, { recursive: true, force: true });
m.writeQemuTree(root, trace, 'moved', true);
const lines = fs.readFileSync(path.join(root, 'block.c'), 'utf8').split('\\n').length;
const files = { exists: (p) => fs.existsSync(p), read: (p) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined), version: (p) => p };
const config = { root, buildDir: null, pathMappings: [], workspaceFiles: [] };
(async () => {
  const parser = new m.CSourceParser({ runtimeWasm: ${JSON.stringify(join(ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm'))}, grammarWasm: ${JSON.stringify(join(ROOT, 'node_modules', 'tree-sitter-c', 'tree-sitter-c.wasm'))} });
  const pass = async () => {
    let n = 0;
    for (const h of trace.hits) for (let i = 0; i < h.frames.length; i++) {
      await m.resolveFrameLocation(h.frames[i], i === 0 ? { text: h.source && h.source.text } : { callee: h.frames[i - 1].function }, config, files, parser);
      n++;
    }
    return n;
  };
  const t0 = process.hrtime.bigint();
  const frames = await pass();
  const t1 = process.hrtime.bigint();
  await pass();
  const t2 = process.hrtime.bigint();
  console.log(JSON.stringify({ frames, blockLines: lines, coldMs: Number(t1 - t0) / 1e6, warmMs: Number(t2 - t1) / 1e6 }));
})();`;
const res = JSON.parse(time(process.execPath, ['-e', RESOLVE]).out);
process.stdout.write(
  `source resolution, all ${res.frames} frames of the sample against a full-size moved tree (block.c ${res.blockLines} lines): cold ${res.coldMs.toFixed(0)} ms (WASM start included), warm ${res.warmMs.toFixed(1)} ms\n`,
);

if (check !== 'agree') process.exitCode = 1;
