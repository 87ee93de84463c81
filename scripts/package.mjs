// `npm run package`: the extension as a .vsix and the command line as an npm package, each packed
// from a staging folder that holds exactly what ships (the .vsix: the bundles, the grammar, the
// WASM, the pages' CSS, the icon, the example and the documents; the CLI: dist/cli.js and its
// WASM). Offline: @vscode/vsce and npm pack, nothing downloaded.
//
// README images: a package page shows them only from absolute URLs. With a public repository in
// package.json's `repository.url` (https), they are made absolute from it; without one (the
// placeholder example.invalid), the packaged README leaves the screenshots out rather than ship
// broken images or 5 MB of pictures.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './lib/testEnv.mjs';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const VSIX = join(ROOT, `${pkg.name}-${pkg.version}.vsix`);

/** What the .vsix holds, besides package.json and README.md (made here). */
export const VSIX_FILES = [
  'package.nls.json',
  'l10n/bundle.l10n.json',
  'CHANGELOG.md',
  'LICENSE',
  'dist/extension.js',
  'dist/web-tree-sitter.wasm',
  'dist/tree-sitter-c.wasm',
  'dist/webview/graph.js',
  'syntaxes/gdb-trace.tmLanguage.json',
  'syntaxes/gdb-trace.language-configuration.json',
  'media/graph/graph.css',
  'media/summary/summary.css',
  'media/icon.png',
  'media/walkthrough/example.md',
  'media/walkthrough/source.md',
  'media/walkthrough/graph.md',
  'media/walkthrough/capture.md',
  'examples/snapshot-commit-complete.gdb.log',
  'resources/gdb/qemu_block_trace.py',
];
/** What the CLI's npm package holds, besides package.json. */
export const CLI_FILES = ['README.md', 'LICENSE', 'CHANGELOG.md', 'dist/cli.js', 'dist/web-tree-sitter.wasm', 'dist/tree-sitter-c.wasm', 'resources/gdb/qemu_block_trace.py'];

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

function stage(files) {
  const dir = mkdtempSync(join(tmpdir(), 'qbt-pack-'));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  return dir;
}

/** The public repository's https URL, or null for the placeholder. */
function publicRepository() {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (!url || !/^https:\/\//.test(url) || /example\.invalid/.test(url)) return null;
  return url.replace(/\.git$/, '');
}

/** The README as a package page shows it. */
function packageReadme(repo) {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  if (repo) return text; // vsce makes the links absolute from the repository
  // no public repository: no images (they would be broken), no links into the source tree
  return text.replace(/^!\[[^\]]*\]\([^)]*\)\n\n?/gm, '').replace(/\]\((?!https?:|#)([^)]+)\)/g, (m, target) => (/^(LICENSE|CHANGELOG\.md)$/.test(target) ? m : `] (${target} in the project)`));
}

export function packageExtension() {
  run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], ROOT);
  const repo = publicRepository();
  const dir = stage(VSIX_FILES);
  const manifest = { ...pkg };
  // the bundles hold what runs: no node_modules, no CLI, no development fields
  for (const k of ['bin', 'files', 'devDependencies', 'dependencies', 'scripts', 'overrides', 'allowScripts']) delete manifest[k];
  manifest.icon = 'media/icon.png';
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'README.md'), packageReadme(repo));
  writeFileSync(join(dir, '.vscodeignore'), '');
  const vsce = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const args = ['package', '--no-dependencies', '--out', VSIX, ...(repo ? ['--baseContentUrl', `${repo}/blob/HEAD`, '--baseImagesUrl', `${repo}/raw/HEAD`] : ['--no-rewrite-relative-links'])];
  const out = run(process.execPath, [vsce, ...args], dir);
  rmSync(dir, { recursive: true, force: true });
  return { path: VSIX, size: statSync(VSIX).size, out };
}

export function packageCli() {
  run(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], ROOT);
  const dir = stage(CLI_FILES);
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    description: 'Read gdb traces of QEMU\'s block layer on the command line: hits by QMP command, frames resolved in your QEMU checkout, the block graph at any hit.',
    license: pkg.license,
    keywords: pkg.keywords,
    bin: { 'qemu-block-trace': 'dist/cli.js' },
    engines: { node: pkg.engines.node },
    files: CLI_FILES.filter((f) => f !== 'README.md' && f !== 'LICENSE' && f !== 'CHANGELOG.md'),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const name = run('npm', ['pack', '--silent', '--pack-destination', ROOT], dir).trim().split('\n').pop();
  rmSync(dir, { recursive: true, force: true });
  const path = join(ROOT, name);
  return { path, size: statSync(path).size };
}

if (process.argv[1]?.endsWith('package.mjs')) {
  try {
    const vsix = packageExtension();
    const cli = packageCli();
    process.stdout.write(`${vsix.path}: ${(vsix.size / 1e6).toFixed(2)} MB\n${cli.path}: ${(cli.size / 1e6).toFixed(2)} MB\n`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
