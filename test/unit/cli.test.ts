import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ROOT, fixturePath } from './helpers';

const CLI = path.join(ROOT, 'dist', 'cli.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('qemu-block-trace CLI', () => {
  before(function () {
    if (!fs.existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  });

  it('summary prints one line per command with hit ranges', () => {
    const r = cli('summary', fixturePath('traces/snapshot-commit-complete.log'));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /34 hits \(663 frames\), 3 commands/);
    assert.match(lines[1], /^ {2}hits 1-19 +\(19\) +blockdev-snapshot-sync node-name=drive01 .*\[inferred from qmp_marshal_blockdev_snapshot_sync/);
    assert.match(lines[2], /^ {2}hits 20-25 +\(6\) +block-commit device=over01 job-id=jobA +\[qmp-shell, line 488\]$/);
    assert.match(lines[3], /^ {2}hits 26-34 +\(9\) +block-job-complete device=jobA +\[qmp-shell, line 684\]$/);
    assert.equal(lines.length, 4);
  });

  it('summary --json has the documented keys, every frame of every bt, 1-based log lines', () => {
    const r = cli('summary', fixturePath('traces/snapshot-commit-complete.log'), '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j).sort(), ['backtraces', 'breakpoints', 'commands', 'diagnostics', 'hits', 'lines']);
    assert.equal(j.hits.length, 34);
    const h = j.hits[20];
    assert.deepEqual(
      [h.index, h.logLine, h.thread, h.breakpoint, h.function, h.location, h.command],
      [21, 525, { number: 1, name: 'qemu-system-x86' }, 1, 'bdrv_replace_child_noperm', { file: '../block.c', line: 2843 }, 1],
    );
    const f = h.frames[1];
    assert.deepEqual(Object.keys(f), ['level', 'address', 'function', 'args', 'file', 'line', 'library', 'logLine']);
    assert.deepEqual(f.args[0], { name: 'childp', value: '0x7fffffffd498', kind: 'pointer' });
    assert.equal(f.logLine, 529);
    assert.equal(j.hits.reduce((n: number, x: { frames: unknown[] }) => n + x.frames.length, 0), 663);
    assert.deepEqual(
      j.commands.map((c: { name: string; origin: string; logLine: number | null; hits: number[] }) => [c.name, c.origin, c.logLine, c.hits.length]),
      [
        ['blockdev-snapshot-sync', 'inferred', null, 19],
        ['block-commit', 'qmp-shell', 488, 6],
        ['block-job-complete', 'qmp-shell', 684, 9],
      ],
    );
    assert.deepEqual(j.commands[1].arguments, { device: 'over01', 'job-id': 'jobA' });
  });

  it('output piped into a reader that stops early (| head) ends quietly, exit 0', () => {
    // summary --json of the sample is about 1 MB: head -c 100 closes the pipe long before the end
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" summary --json "${path.join(ROOT, 'examples', 'snapshot-commit-complete.gdb.log')}" | head -c 100 >/dev/null`], { encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0, 'the CLI exits 0 when its reader has gone');
  });

  it('a log too large for Node’s heap is read by a second run with a heap to fit it', () => {
    // a heap of 8 MB stands for the 4 GB default and a log of several hundred MB: the graph of a
    // 300 KB recording does not fit in it (Node aborts), so the command must give itself more
    const log = fixturePath('traces/v7.2.0-recorded-events.log');
    const r = spawnSync(process.execPath, ['--max-old-space-size=8', CLI, 'graph', log, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.slice(-300));
    const plain = spawnSync(process.execPath, [CLI, 'graph', log, '--json'], { encoding: 'utf8' });
    assert.equal(r.stdout, plain.stdout);
  });

  it('a log compressed with gzip (trace.log.gz) reads as the log: summary, its JSON and the graph', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-gz-'));
    try {
      const log = fixturePath('traces/v10.2.0-mirror.log');
      const gz = path.join(dir, 'mirror.log.gz');
      fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(log)));
      const name = (out: string) => out.replace(/^\S+: /, '');
      assert.equal(name(cli('summary', gz).stdout), name(cli('summary', log).stdout));
      assert.equal(cli('summary', gz, '--json').stdout, cli('summary', log, '--json').stdout);
      assert.equal(cli('graph', gz, '--hit', '23', '--json').stdout, cli('graph', log, '--hit', '23', '--json').stdout);
      // followed by other bytes, or its checksum damaged: all of the log is read, and the damage said
      const whole = fs.readFileSync(gz);
      const crc = Buffer.from(whole);
      crc[crc.length - 6] ^= 0xff;
      for (const damaged of [Buffer.concat([whole, Buffer.from('junk\n')]), crc]) {
        fs.writeFileSync(gz, damaged);
        const d = cli('summary', gz);
        assert.match(d.stdout, /: 23 hits \(446 frames\), 8 commands/);
        assert.match(d.stdout, /note \(1\): the log's gzip data is damaged or cut off here/);
      }
      // two files of it one after the other (cat a.gz b.gz): both
      fs.writeFileSync(gz, Buffer.concat([whole, whole]));
      assert.match(cli('summary', gz).stdout, /: 46 hits \(892 frames\), 16 commands, 0 other backtraces\n/);
      // cut off in the middle: what was decompressed is read, and the rest is said to be missing
      fs.writeFileSync(gz, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const r = cli('summary', gz);
      assert.equal(r.code, 0, r.stderr);
      const hits = Number(/: (\d+) hits/.exec(r.stdout)?.[1]);
      assert.ok(hits > 0 && hits < 23, r.stdout);
      assert.match(r.stdout, /note \(1\): the log's gzip data is damaged or cut off here: what came before was read, the rest could not be \(line \d+\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing file, or a directory, is a one-line error and exit code 2', () => {
    for (const target of [path.join(os.tmpdir(), 'no-such-trace.log'), os.tmpdir()]) {
      const r = cli('summary', target);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^qemu-block-trace: cannot read /);
    }
  });

  it('an unreadable file is a one-line error and exit code 2', function () {
    if (process.getuid?.() === 0) this.skip(); // root reads anything
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-')), 'locked.log');
    fs.writeFileSync(p, 'x');
    fs.chmodSync(p, 0);
    const r = cli('summary', p);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  });

  it('a log with nothing recognisable exits 0 with empty lists and a diagnostic', () => {
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-')), 'notes.log');
    fs.writeFileSync(p, 'just some notes\nnothing from gdb here\n');
    const r = cli('summary', p, '--json');
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout);
    assert.deepEqual([j.hits, j.backtraces, j.commands], [[], [], []]);
    assert.deepEqual(
      j.diagnostics.map((d: { code: string }) => d.code),
      ['nothing-recognised'],
    );
    const text = cli('summary', p);
    assert.match(text.stdout, /0 hits .*\n {2}note \(1\): no breakpoint hits, backtraces or QMP commands were found/);
  });

  it('bad usage is explained on stderr, exit code 2; --help is the output', () => {
    for (const args of [[], ['frobnicate'], ['summary'], ['summary', 'a', '--nope'], ['graph', 'a', '--hit'], ['resolve', 'a']]) {
      const r = cli(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '', `nothing on stdout for: ${args.join(' ')}`);
      assert.match(r.stderr, /usage: qemu-block-trace summary LOG/, args.join(' '));
    }
    const help = cli('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: qemu-block-trace summary LOG/);
  });
});

describe('qemu-block-trace on what is not a log', () => {
  it('a device like /dev/zero is refused with a message a person understands (exit 2)', function () {
    if (!fs.existsSync('/dev/zero')) this.skip();
    const r = cli('summary', '/dev/zero');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^qemu-block-trace: cannot read \/dev\/zero: it is not a regular file/);
    assert.equal(r.stdout, '');
  });

  it('a file of one enormous line (no line breaks) is read in bounded memory and said to be no log', () => {
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-')), 'zeros.bin');
    fs.writeFileSync(p, Buffer.alloc(20_000_000));
    const r = cli('summary', p);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /note \(1\): lines are longer than 100,000 characters and were skipped \(line 1\)/);
  });
});

describe('qemu-block-trace resolve', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-cli-trees-'));
  before(async () => {
    const { parseTrace } = await import('../../src/model/parser');
    const { writeQemuTree } = await import('../support/qemuTree');
    const trace = parseTrace(fs.readFileSync(fixturePath('traces/snapshot-commit-complete.log'), 'utf8'));
    writeQemuTree(path.join(base, 'exact'), trace, 'exact');
    writeQemuTree(path.join(base, 'moved'), trace, 'moved');
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('a --source-root that is not a directory is an error (exit 2)', () => {
    const r = cli('resolve', fixturePath('traces/snapshot-commit-complete.log'), '--source-root', fixturePath('traces/snapshot-commit-complete.log'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--source-root .* is not a directory/);
  });

  it('--json gives every frame of every hit with its resolution', () => {
    const r = cli('resolve', fixturePath('traces/snapshot-commit-complete.log'), '--source-root', path.join(base, 'exact'), '--json');
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { file: string | null; line: number | null; resolved: { path: string; line: number; method: string; delta: number } | null; reason?: string }[];
    assert.equal(rows.length, 663);
    for (const row of rows) {
      if (row.file) {
        assert.deepEqual([row.resolved?.line, row.resolved?.delta], [row.line, 0]);
        assert.ok(['exact', 'indirect'].includes(row.resolved!.method), row.resolved!.method);
      }
      else assert.ok(row.resolved === null && row.reason);
    }
  });

  it('against another version: relocated lines with their delta, in one line per frame', () => {
    const r = cli('resolve', fixturePath('traces/snapshot-commit-complete.log'), '--source-root', path.join(base, 'moved'));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 663);
    // what is not exact says why, on the same line
    assert.match(lines[0], /^hit 1 #0 bdrv_replace_child_noperm {2}\.\.\/block\.c:2843 {2}→ {2}.*\/moved\/block\.c:\d+ {2}\[relocated-text \+\d+\] {2}\(line moved 2843 → \d+ \(\+\d+\): the line gdb echoed in bdrv_replace_child_noperm\)$/);
    assert.ok(lines.some((l) => /\[relocated-call \+\d+\] {2}\(line moved \d+ → \d+ \(\+\d+\): the call to \w+ in \w+\)$/.test(l)));
    assert.ok(lines.some((l) => /#9 __start_context {2}\(no source\) {2}→ {2}— a library frame/.test(l)));
  });

  it('a missing source root is a usage error', () => {
    const r = cli('resolve', fixturePath('traces/snapshot-commit-complete.log'), '--source-root', path.join(base, 'nope'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read .*nope: no such directory/);
  });
});

describe('qemu-block-trace graph', () => {
  const SAMPLE = fixturePath('traces/snapshot-commit-complete.log');

  it('--json: the state after hit 25 in x-debug-query-block-graph shape, with addresses and the change', () => {
    const r = cli('graph', SAMPLE, '--hit', '25', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual([j.hit, j.explanation], [25, 'attach job jobA —target→ drive01']);
    for (const n of j.nodes) assert.ok(['id', 'type', 'name', 'address', 'driver', 'state'].every((k) => k in n));
    const byId = new Map<string, { address: string | null; type: string; name: string | null; state: string }>(j.nodes.map((n: { id: string }) => [n.id, n]));
    const target = j.edges.find((e: { name: string }) => e.name === 'target');
    assert.deepEqual([byId.get(target.parent)!.name, byId.get(target.parent)!.type, byId.get(target.child)!.address, target.change], ['jobA', 'block-job', '0x555556a7ae40', 'added']);
    assert.deepEqual(target.perm, []);
    assert.deepEqual(target['shared-perm'], ['consistent-read', 'write', 'write-unchanged', 'resize']);
    const device = j.nodes.find((n: { address: string | null }) => n.address === null);
    assert.deepEqual([device.type, device.state], ['block-backend', 'placeholder']);
    assert.deepEqual(j.removed, []);
  });

  it('--json of hit 34 lists the edge the hit removed', () => {
    const j = JSON.parse(cli('graph', SAMPLE, '--hit', '34', '--json').stdout);
    assert.deepEqual(j.removed.map((e: { name: string }) => e.name), ['file']);
    assert.equal(j.edges.length, 1);
  });

  it('--dot draws as render_block_graph.py: ellipses `name [drv]`, boxes, wrus permissions', () => {
    const r = cli('graph', SAMPLE, '--hit', '25', '--dot');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^digraph "block graph after hit 25" \{/);
    assert.match(r.stdout, /\[label="over01 \[qcow2\]\\n0x5555578ddc80", shape=ellipse/);
    assert.match(r.stdout, /\[label="commit job \(jobA\)\\n0x555556f9acd0", shape=box/);
    assert.match(r.stdout, /label="root\\nw___ \/ wru_"/);
    assert.match(r.stdout, /label="target\\n____ \/ wrus", .*penwidth=2/);
  });

  it('--svg lays it out with Graphviz', () => {
    const r = cli('graph', SAMPLE, '--hit', '19', '--svg');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /<svg /);
    for (const text of ['over01 [qcow2]', 'drive01', 'guest device', 'backing']) assert.ok(r.stdout.includes(`>${text}<`), text);
  });

  it('text by default: what the hit did and each edge', () => {
    const r = cli('graph', SAMPLE, '--hit', '19');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^after hit 19: guest device —root→ moved from drive01 to over01/);
    assert.match(r.stdout, /^~ guest device \(placeholder\) —root→ over01 {2}\(pre-existing\)$/m);
  });

  it('a bad --hit or two formats is a one-line error, exit 2', () => {
    for (const args of [['--hit', '35'], ['--hit', 'x'], ['--json', '--dot'], ['--hit']]) {
      const r = cli('graph', SAMPLE, ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^qemu-block-trace: /);
    }
  });
});
