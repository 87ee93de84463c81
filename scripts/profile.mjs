// Where a CLI run spends its time: runs dist/cli.js under V8's CPU profiler and prints the functions
// that take the most time by themselves and with what they call, at their TypeScript source lines
// (through the bundle's source map). For the engine's work on issue 13: `npm run bench` says how
// fast, this says where.
//
//   node scripts/profile.mjs [--top N] [--interval US] -- graph .bench/sample-x1000.log --hit 34000 --json
//
// The CLI's output is discarded. Build first (`npm run build`); `npm run bench` makes the
// .bench/sample-*.log files.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
if (dash < 0 || dash === argv.length - 1) {
  console.error('usage: node scripts/profile.mjs [--top N] [--interval US] -- CLI_ARGS...');
  process.exit(2);
}
const own = argv.slice(0, dash);
const option = (name, fallback) => {
  const i = own.indexOf(name);
  return i >= 0 && own[i + 1] !== undefined ? Number(own[i + 1]) : fallback;
};
const top = option('--top', 25);
const interval = option('--interval', 500);
const cli = join(root, 'dist', 'cli.js');

const dir = mkdtempSync(join(tmpdir(), 'qbt-profile-'));
try {
  const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${interval}`, cli, ...argv.slice(dash + 1)], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) {
    console.error(`the CLI exited with ${run.status ?? run.signal}: is dist/cli.js built?`);
    process.exit(1);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile was written');
  report(JSON.parse(readFileSync(join(dir, file), 'utf8')));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function report(profile) {
  const map = loadSourceMap();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = new Map();
  for (const s of profile.samples) samples.set(s, (samples.get(s) ?? 0) + 1);
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / profile.samples.length;
  const where = (cf) => {
    if (!cf.url.endsWith('/dist/cli.js') || !map) return cf.url ? `${cf.url.split('/').pop()}:${cf.lineNumber + 1}` : '';
    const e = map.findEntry(cf.lineNumber, cf.columnNumber);
    return e && e.originalSource ? `${relative(root, fileURLToPath(new URL(e.originalSource, `file://${join(root, 'dist')}/`)))}:${e.originalLine + 1}` : `cli.js:${cf.lineNumber + 1}`;
  };
  const name = (n) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame)}`.trim();
  const self = new Map();
  const total = new Map();
  for (const [id, count] of samples) {
    const key = name(nodes.get(id));
    self.set(key, (self.get(key) ?? 0) + count);
    // each function once per sample, however deep it recurses
    const seen = new Set();
    for (let q = id; q !== undefined; q = parent.get(q)) {
      const k = name(nodes.get(q));
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + count);
    }
  }
  const wall = profile.samples.length * msPerSample;
  const print = (title, m) => {
    console.log(`\n${title}`);
    for (const [k, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      const ms = c * msPerSample;
      console.log(`${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / wall).toFixed(1).padStart(5)}%  ${k}`);
    }
  };
  console.log(`${wall.toFixed(0)} ms profiled, ${profile.samples.length} samples`);
  print('by itself', self);
  print('with what it calls', total);
}

function loadSourceMap() {
  try {
    return new SourceMap(JSON.parse(readFileSync(join(root, 'dist', 'cli.js.map'), 'utf8')));
  } catch {
    return null;
  }
}
