import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

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

  it('.vscodeignore is an allow-list that ships the bundles and nothing of the sources', () => {
    const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    assert.equal(lines[0], '**', 'starts by ignoring everything');
    const allowed = lines.filter((l) => l.startsWith('!'));
    for (const need of ['!dist/extension.js', '!dist/webview/graph.js', '!README.md', '!CHANGELOG.md', '!LICENSE', '!media/icon.png']) assert.ok(allowed.includes(need), need);
    assert.ok(!allowed.some((l) => l.includes('src') || l.includes('test') || l.includes('screenshots') || l === '!media/**' || l.includes('cli.js')));
    // the same list as the package script's
    const script = fs.readFileSync(path.join(ROOT, 'scripts', 'package.mjs'), 'utf8');
    const listed = /export const VSIX_FILES = \[([^\]]*)\]/.exec(script)![1].match(/'[^']+'/g)!.map((x) => x.slice(1, -1));
    for (const f of listed) assert.ok(allowed.includes(`!${f}`) || (f.startsWith('syntaxes/') && allowed.includes('!syntaxes/**')), `${f} in .vscodeignore`);
  });
});
