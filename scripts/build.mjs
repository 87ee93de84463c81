// One esbuild configuration for everything that ships: the extension host bundle and the CLI.
// `--watch` rebuilds on change; `--tests` also compiles the test suites to out/ for mocha.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './lib/testEnv.mjs';

const watch = process.argv.includes('--watch');
const withTests = process.argv.includes('--tests');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: ROOT,
  // web-tree-sitter is an ES module that asks for import.meta.url; in a CommonJS bundle that is the bundle's own file
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
};

const targets = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } },
  // the graph panel's page: a browser script, with Graphviz (WASM inlined) bundled in
  { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: true, logLevel: 'warning', absWorkingDir: ROOT, entryPoints: ['src/graphPanel/webview/main.ts'], outfile: 'dist/webview/graph.js' },
];

function tsFiles(dir) {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(join(ROOT, p)).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

if (withTests) {
  // a deleted test must not linger as a stale compiled suite
  rmSync(join(ROOT, 'out', 'test'), { recursive: true, force: true });
  // Tests stay one file per suite (mocha loads them by name) but each bundles what it imports.
  for (const suite of ['test/unit', 'test/integration', 'test/install']) {
    const entries = tsFiles(suite);
    if (entries.length === 0) continue;
    targets.push({ ...common, entryPoints: entries, outdir: join('out', suite), outbase: suite, external: ['vscode', 'mocha', 'playwright-core', 'vscode-textmate', 'vscode-oniguruma', 'web-tree-sitter'] });
  }
}

// the WASM that source navigation loads at run time ships beside the bundles
const WASM = [
  ['node_modules/web-tree-sitter/web-tree-sitter.wasm', 'dist/web-tree-sitter.wasm'],
  ['node_modules/tree-sitter-c/tree-sitter-c.wasm', 'dist/tree-sitter-c.wasm'],
];
mkdirSync(join(ROOT, 'dist'), { recursive: true });
for (const [from, to] of WASM) copyFileSync(join(ROOT, from), join(ROOT, to));

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
  process.stdout.write(`watching ${targets.length} bundles\n`);
} else {
  const t0 = Date.now();
  await Promise.all(targets.map((t) => esbuild.build(t)));
  process.stdout.write(`built ${targets.map((t) => t.outfile ?? relative(ROOT, join(ROOT, t.outdir))).join(', ')} in ${Date.now() - t0} ms\n`);
}
