import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';

const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
/** The manifest as VS Code shows it: every %key% replaced by its English text. */
const pkg = JSON.parse(JSON.stringify(raw), (_k, v) => (typeof v === 'string' && /^%[\w.]+%$/.test(v) ? (nls[v.slice(1, -1)] ?? v) : v));

describe('package.json', () => {
  it('is a real extension manifest', () => {
    assert.equal(pkg.name, 'qemu-block-trace');
    assert.equal(pkg.displayName, 'QEMU Block Trace');
    assert.equal(pkg.license, 'MIT');
    assert.ok(pkg.publisher);
    assert.ok(pkg.repository?.url);
    assert.equal(pkg.main, './dist/extension.js');
    assert.equal(pkg.icon, 'media/icon.png');
    assert.ok(fs.existsSync(path.join(ROOT, pkg.icon)));
    assert.equal(pkg.bin['qemu-block-trace'], './dist/cli.js');
    // code-server 4.100.3 ships VS Code 1.100.3
    assert.match(pkg.engines.vscode, /^\^1\.(\d+)\.\d+$/);
    assert.ok(Number(/^\^1\.(\d+)/.exec(pkg.engines.vscode)![1]) <= 100);
    assert.equal(pkg.devDependencies['@types/vscode'].replace(/^[\^~]/, '').split('.').slice(0, 2).join('.'), '1.100', '@types/vscode matches the engine');
  });

  it('activates on traces only, never on startup', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.ok(pkg.activationEvents.includes('onLanguage:gdb-trace'));
  });

  it('every command has a title and the category, and is qemuBlockTrace.verbNoun', () => {
    for (const c of pkg.contributes.commands) {
      assert.match(c.command, /^qemuBlockTrace\.[a-z]+[A-Z]\w*$/);
      assert.equal(c.category, 'QEMU Block Trace');
      assert.ok(c.title);
    }
  });

  it('registers every contributed command in the source', () => {
    const src = fs.readdirSync(path.join(ROOT, 'src'), { recursive: true })
      .filter((f) => String(f).endsWith('.ts'))
      .map((f) => fs.readFileSync(path.join(ROOT, 'src', String(f)), 'utf8'))
      .join('\n');
    for (const c of pkg.contributes.commands) assert.ok(src.includes(`'${c.command}'`), `${c.command} is registered`);
  });

  it('the gdb-trace language claims the trace file names', () => {
    const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'gdb-trace');
    assert.deepEqual(lang.extensions, ['.gdb.log', '.gdblog', '.gdb-trace']);
  });

  it('the README lists every command a user can run and every setting, with its title and default', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const hidden = new Set((pkg.contributes.menus.commandPalette as { command: string; when?: string }[]).filter((m) => m.when === 'false').map((m) => m.command));
    for (const c of pkg.contributes.commands as { command: string; title: string }[]) {
      if (hidden.has(c.command) && c.command !== 'qemuBlockTrace.goToQmpHandler') continue;
      assert.ok(readme.includes(c.title), `README names the command "${c.title}" (${c.command})`);
    }
    for (const [key, setting] of Object.entries(pkg.contributes.configuration.properties as Record<string, { default: unknown }>)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
      assert.ok(row, `README's settings table has ${key}`);
      assert.ok(row.includes(`\`${JSON.stringify(setting.default)}\``), `${key}: default ${JSON.stringify(setting.default)} in "${row}"`);
    }
  });

  it('.vscodeignore is an allow-list that ships the bundles and nothing of the sources', () => {
    const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    assert.equal(lines[0], '**', 'starts by ignoring everything');
    const allowed = lines.filter((l) => l.startsWith('!'));
    for (const need of ['!dist/extension.js', '!dist/webview/graph.js', '!README.md', '!CHANGELOG.md', '!LICENSE', '!media/icon.png']) assert.ok(allowed.includes(need), need);
    assert.ok(!allowed.some((l) => l.includes('src') || l.includes('test') || l.includes('screenshots') || l === '!media/**' || l.includes('cli.js')));
    // the same list as the package script's
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'package.mjs'), 'utf8');
    const listed = /export const VSIX_FILES = \[([^\]]*)\]/.exec(script)![1].match(/'[^']+'/g)!.map((x) => x.slice(1, -1));
    for (const f of listed) assert.ok(allowed.includes(`!${f}`) || (f.startsWith('syntaxes/') && allowed.includes('!syntaxes/**')) || (f.startsWith('media/walkthrough/') && allowed.includes('!media/walkthrough/*.md')), `${f} in .vscodeignore`);
  });
});

describe('the Get Started walkthrough', () => {
  const w = pkg.contributes.walkthroughs[0];
  const commands = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const settings = new Set(Object.keys(pkg.contributes.configuration.properties));

  it('has the four steps, each with its media and a command to do it', () => {
    assert.deepEqual(w.steps.map((s: { id: string }) => s.id), ['openExample', 'sourceRoot', 'showGraph', 'capture']);
    for (const s of w.steps) {
      assert.ok(fs.existsSync(path.join(ROOT, s.media.markdown)), s.media.markdown);
      const cmd = /\(command:([\w.]+)\)/.exec(s.description)?.[1];
      assert.ok(cmd && commands.has(cmd), `${s.id}: ${cmd}`);
    }
  });

  it('completes on its commands and settings', () => {
    for (const s of w.steps) {
      for (const e of s.completionEvents) {
        const [kind, name] = e.split(':');
        if (kind === 'onCommand') assert.ok(commands.has(name), e);
        else if (kind === 'onSettingChanged') assert.ok(settings.has(name), e);
        else assert.fail(e);
      }
    }
  });
});

describe('the gdb capture script', () => {
  it('logs gdb’s output and prints bt at every hit of each breakpoint, as a person typing would', async () => {
    const { captureScript } = await import('../../src/model/capture');
    const s = captureScript(['bdrv_replace_child_noperm', 'bdrv_drain_all_end'], 'trace.log');
    assert.match(s, /^set logging file trace\.log$/m);
    assert.match(s, /^set logging enabled on$/m);
    assert.equal((s.match(/^break /gm) ?? []).length, 2);
    assert.match(s, /^break bdrv_drain_all_end\ncommands\n {2}echo \(gdb\) bt\\n\n {2}bt\n {2}echo \(gdb\) c\\n\n {2}continue\nend$/m);
  });
});

describe('localisable', () => {
  it('every string of the manifest a user reads is a %key% of package.nls.json', () => {
    const keys = new Set<string>();
    JSON.stringify(raw, (_k, v) => {
      if (typeof v === 'string' && /^%[\w.]+%$/.test(v)) keys.add(v.slice(1, -1));
      return v;
    });
    for (const k of keys) assert.ok(k in nls, k);
    for (const c of raw.contributes.commands) assert.match(c.title, /^%[\w.]+%$/, c.command);
    for (const [k, v] of Object.entries(raw.contributes.configuration.properties) as [string, { markdownDescription: string }][]) assert.match(v.markdownDescription, /^%[\w.]+%$/, k);
    assert.equal(raw.l10n, './l10n');
  });

  it('l10n/bundle.l10n.json holds every vscode.l10n.t string of the sources (npx @vscode/l10n-dev export)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-l10n-'));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', '@vscode', 'l10n-dev', 'dist', 'cli.js'), 'export', '--outDir', out, path.join(ROOT, 'src')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const fresh = JSON.parse(fs.readFileSync(path.join(out, 'bundle.l10n.json'), 'utf8'));
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8'));
    assert.deepEqual(Object.keys(committed).sort(), Object.keys(fresh).sort(), 'run: npx @vscode/l10n-dev export --outDir ./l10n ./src');
  });
});
