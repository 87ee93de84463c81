// The scaling table of `npm run bench` (README, "Speed"): the sample repeated 1×, 10×, 100× and
// 1000× (the larger ones generated here on demand), and 1000× again with its objects' addresses
// moved in each copy (a long session's objects are not the same few), and for each, side by side
// on the same file:
// the CLI's `summary` and `graph --hit LAST --json`, the editor's path in one process (parse, the
// Hits tree's first level, identities, replay: the first graph), peak memory, and awk and grep -c,
// and the floor: the least a summary can do in Node (scripts/floor.mjs).
// Ratios to awk, as the budgets of design.md §7 are written; growth should be linear.
//
//   node scripts/benchTable.mjs [--readme]   --readme writes the table into README.md
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT } from './lib/testEnv.mjs';

const RUNS = Number(process.env.QBT_BENCH_RUNS ?? 3);
const SCALES = (process.env.QBT_BENCH_SCALES ?? '1,10,100,1000').split(',').map(Number);
const dir = join(ROOT, '.bench');
mkdirSync(dir, { recursive: true });
const samplePath = join(ROOT, 'examples', 'snapshot-commit-complete.gdb.log');
const sample = readFileSync(samplePath);
const cli = join(ROOT, 'dist', 'cli.js');
if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run node scripts/build.mjs first');

async function repeated(times) {
  const file = times === 1 ? samplePath : join(dir, `sample-x${times}.log`);
  if (times === 1 || (existsSync(file) && statSync(file).size === sample.length * times)) return file;
  const out = createWriteStream(file);
  for (let i = 0; i < times; i++) if (!out.write(sample)) await new Promise((r) => out.once('drain', r));
  await new Promise((r) => out.end(r));
  return file;
}

/**
 * The sample repeated with its objects' addresses moved in each copy (heap and stack pointers, not
 * code addresses): every copy's objects are others, and only the frames that print no object are
 * printed the same in every copy, as in a long session. (In the plain repetition every line is the
 * same 1000 times over, which flatters whatever reads a line once.)
 */
async function moved(times) {
  const file = join(dir, `sample-moved-x${times}.log`);
  if (existsSync(file) && statSync(file).size === sample.length * times) return file;
  const text = sample.toString('latin1');
  const out = createWriteStream(file);
  for (let i = 0; i < times; i++) {
    const copy = text.replace(/\b0x(5555[0-9a-f]{8}|7ff[0-9a-f]{9})\b/g, (_, hex) => `0x${(parseInt(hex, 16) + i * 0x100000).toString(16).padStart(12, '0')}`);
    if (!out.write(Buffer.from(copy, 'latin1'))) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  return file;
}

/** Run a command RUNS times: the best wall time, and the peak RSS of that run (GNU time). */
function measure(cmd, args) {
  let best = null;
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-500)}`);
    // timed apart from GNU time, output to a pipe as a person's terminal would take it (GNU grep
    // stops at the first match when its output is /dev/null)
    const t0 = process.hrtime.bigint();
    spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const rssMB = Number(r.stderr.trim().split('\n').pop()) / 1024;
    if (!best || ms < best.ms) best = { ms, rssMB, out: r.stdout };
  }
  return best;
}

await esbuild.build({
  stdin: { contents: "export * from './parser'; export * from './hitGroups'; export { Identities } from './identities'; export { BlockGraph } from './graph';", resolveDir: join(ROOT, 'src', 'model'), loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: join(dir, 'editor.js'),
  logLevel: 'warning',
});
// what the editor does for a log read from disk, up to its first graph (the last hit's)
const EDITOR = `
const m = require(${JSON.stringify(join(dir, 'editor.js'))});
const { createReadStream } = require('node:fs');
const ms = (a, b) => Number(b - a) / 1e6;
(async () => {
  const t0 = process.hrtime.bigint();
  const trace = await m.parseTraceStream(createReadStream(process.argv[1], { encoding: 'utf8', highWaterMark: 1 << 18 }));
  const t1 = process.hrtime.bigint();
  const first = m.groupHits(trace, 'command').map((g) => [g.label, g.hits.length]);
  const t2 = process.hrtime.bigint();
  const ids = await m.Identities.build(trace);
  const t3 = process.hrtime.bigint();
  const graph = await m.BlockGraph.buildAsync(trace, ids);
  const view = graph.stateAfter(trace.hits.length);
  const t4 = process.hrtime.bigint();
  if (!first.length || !view) throw new Error('nothing');
  console.log(JSON.stringify({ hits: trace.hits.length, parse: ms(t0, t1), tree: ms(t1, t2), identities: ms(t2, t3), replay: ms(t3, t4), firstGraph: ms(t0, t4), rssMB: process.resourceUsage().maxRSS / 1024 }));
})();`;

function editor(file) {
  let best = null;
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, ['-e', EDITOR, file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`editor path failed: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    if (!best || j.firstGraph < best.firstGraph) best = j;
  }
  return best;
}

const rows = [];
const runs = SCALES.map((times) => ({ times, label: String(times), file: () => repeated(times) }));
if (SCALES.includes(1000)) runs.push({ times: 1000, label: '1000, moved', file: () => moved(1000) });
for (const { times, label, file: make } of runs) {
  const file = await make();
  const mb = statSync(file).size / 1e6;
  const awk = measure('awk', ['/hit Breakpoint/ { h++ } /^#[0-9]/ { f++ } END { print h, f }', file]);
  const grep = measure('grep', ['-c', 'hit Breakpoint', file]);
  const hits = Number(grep.out.trim());
  const floor = measure(process.execPath, [join(ROOT, 'scripts', 'floor.mjs'), file]);
  if (floor.out.split(' ').slice(0, 2).join(' ') !== awk.out.trim()) throw new Error(`the floor counted ${floor.out.trim()}, awk ${awk.out.trim()}`);
  const summary = measure(process.execPath, [cli, 'summary', file]);
  const graph = measure(process.execPath, [cli, 'graph', file, '--hit', String(hits), '--json']);
  const ed = editor(file);
  if (ed.hits !== hits || Number(awk.out.split(' ')[0]) !== hits) throw new Error(`hit counts disagree at ${times}×: grep ${hits}, awk ${awk.out}, parser ${ed.hits}`);
  rows.push({ times, label, mb, hits, awk, grep, floor, summary, graph, ed });
  process.stderr.write(`  ${label}×: ${mb.toFixed(1)} MB done\n`);
}

const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => `${(a / b).toFixed(1)}×`;
const lines = [
  '| sample × | MB | hits | awk | grep -c | Node\'s floor (÷ awk) | `summary` (÷ awk) | RSS ÷ file | `graph --hit LAST --json` (÷ awk) | RSS ÷ file | editor: parse (÷ awk) | tree 1st level | identities | first graph | RSS |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.mb.toFixed(1)} | ${r.hits.toLocaleString('en-US')} | ${ms(r.awk.ms)} ms | ${ms(r.grep.ms)} ms | ${ms(r.floor.ms)} ms (${ratio(r.floor.ms, r.awk.ms)}) | ${ms(r.summary.ms)} ms (${ratio(r.summary.ms, r.awk.ms)}) | ${r.mb < 1 ? '—' : (r.summary.rssMB / r.mb).toFixed(1)} | ${ms(r.graph.ms)} ms (${ratio(r.graph.ms, r.awk.ms)}) | ${r.mb < 1 ? '—' : (r.graph.rssMB / r.mb).toFixed(1)} | ${ms(r.ed.parse)} ms (${ratio(r.ed.parse, r.awk.ms)}) | ${ms(r.ed.tree)} ms | ${ms(r.ed.identities)} ms | ${ms(r.ed.firstGraph)} ms | ${r.ed.rssMB.toFixed(0)} MB |`,
  ),
];
const scaled = rows.filter((r) => r.label === String(r.times));
const growth = scaled.length > 1 ? scaled.slice(1).map((r, i) => `${scaled[i].times}×→${r.times}×: summary ${ratio(r.summary.ms, scaled[i].summary.ms)}, first graph ${ratio(r.ed.firstGraph, scaled[i].ed.firstGraph)}`).join('; ') : '';
const table = [
  ...lines,
  '',
  `Best of ${RUNS} runs each; the CLI's times include Node's start (about 40 ms). "Node's floor" (scripts/floor.mjs) reads the log in chunks, finds its lines, counts hits and frame lines and looks once at each character of every frame line, and does nothing else: the least a summary can do in Node. Growth per step: ${growth}. "Moved": the same 1000 copies with each copy's heap and stack addresses moved, so that its objects are others and only the frames that print no object repeat (62% of the frame lines repeat an earlier one, against all but the first copy's in the plain repetition).`,
].join('\n');
process.stdout.write(`\nscaling (the sample repeated, and moved; CLI and editor path side by side with awk on the same file)\n${table}\n`);

if (process.argv.includes('--readme')) {
  const readme = join(ROOT, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end} block`);
  const machine = `${process.platform}, Node ${process.version}, ${(await import('node:os')).cpus().length} CPUs`;
  writeFileSync(readme, `${text.slice(0, a + start.length)}\n${table}\n\nMeasured by \`npm run bench -- --readme\` on ${new Date().toISOString().slice(0, 10)} (${machine}).\n${text.slice(b)}`);
  process.stdout.write('README.md: table updated\n');
}
