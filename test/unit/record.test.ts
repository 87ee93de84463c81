// Recording real sessions (issue 15): `qemu-block-trace record` runs a debug qemu-storage-daemon
// (QEMU 7.2 and 10.0, built from Debian's source by the test set-up, scripts/qemuBuild.mjs) under gdb with
// the companion, sends a QMP script, and the log it writes is read back by the model: the
// commands and their hits as in the script, and the replay held against the graph QEMU had in
// memory at every stop. A second, independent reading by a gdb script of the test's own (--gdb-x)
// checks each hit's edge against what the replay says that hit did.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlockGraph } from '../../src/model/graph';
import { Identities } from '../../src/model/identities';
import { parseTrace } from '../../src/model/parser';
import type { Trace } from '../../src/model/trace';
import { ROOT } from './helpers';

const CLI = path.join(ROOT, 'dist', 'cli.js');

/** The newest QEMU 10 build the test set-up made in the cache, if any. */
function qemu10Build(): string {
  const cache = path.join(ROOT, '.qemu-cache');
  const trees = fs.existsSync(cache) ? fs.readdirSync(cache).filter((d) => /^qemu-10\.\d+\.\d+$/.test(d)) : [];
  trees.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return path.join(cache, trees[trees.length - 1] ?? 'qemu-10', 'build');
}

/** The debug QEMUs the test set-up builds (scripts/qemuBuild.mjs): 7.2 from bookworm's source, 10.0 from trixie's. */
const QEMUS = [
  { version: '7.2', build: process.env.QBT_QEMU_BUILD ?? path.join(ROOT, '.qemu-cache', 'qemu-7.2.0', 'build') },
  { version: '10.0', build: process.env.QBT_QEMU10_BUILD ?? qemu10Build() },
];
/** The QEMU of the suite running now. */
let BUILD = '';
let QSD = '';
let QEMU_IMG = '';

/** gdb's own reading at every stop of the capture breakpoint: the edge, its name, and where it points before and after. */
const CHECK_GDB = `python
import gdb
class QbtCheck(gdb.Breakpoint):
    def stop(self):
        f = gdb.selected_frame()
        child = f.read_var('child')
        new_bs = f.read_var('new_bs')
        gdb.write('qbt-check child=%s name=%s old=%s new=%s\\n' % (hex(int(child)), child['name'].string(), hex(int(child['bs'])), hex(int(new_bs))))
        return False
QbtCheck('bdrv_replace_child_noperm', internal=True)
end
`;

interface Recording {
  dir: string;
  log: string;
  text: string;
  trace: Trace;
  graph: BlockGraph;
  status: number | null;
  stderr: string;
}

function record(name: string, script: (dir: string) => string, images: string[], extra: string[] = []): Recording {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `qbt-rec-${name}-`));
  for (const img of images) {
    const r = spawnSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', path.join(dir, img), '64M']);
    assert.equal(r.status, 0, String(r.stderr));
  }
  fs.writeFileSync(path.join(dir, 'script.qmp'), script(dir));
  const log = path.join(dir, 'session.log');
  const r = spawnSync(process.execPath, [CLI, 'record', '--out', log, '--qmp-script', path.join(dir, 'script.qmp'), ...extra, '--', QSD], { encoding: 'utf8', timeout: 180_000 });
  const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  const trace = parseTrace(text);
  return { dir, log, text, trace, graph: BlockGraph.build(trace, new Identities(trace)), status: r.status, stderr: r.stderr };
}

/** The commands of a log as typed, each with its hit count and whether QEMU said ok. */
function commandsOf(trace: Trace): [string, number, 'ok' | 'error' | null][] {
  return trace.commands.map((c) => [c.text?.split('\n')[0] ?? `(inferred) ${c.name}`, c.hits.length, c.reply ? ('error' in c.reply ? 'error' : 'ok') : null]);
}

for (const qemu of QEMUS) describe(`recording real sessions with qemu-block-trace record (debug QEMU ${qemu.version} under gdb)`, function () {
  this.timeout(240_000);
  before(function () {
    BUILD = qemu.build;
    QSD = path.join(BUILD, 'storage-daemon', 'qemu-storage-daemon');
    QEMU_IMG = path.join(BUILD, 'qemu-img');
    if (!fs.existsSync(QSD) || !fs.existsSync(QEMU_IMG) || spawnSync('gdb', ['--version']).status !== 0) {
      process.stdout.write(`      skipped: no debug QEMU at ${BUILD} or no gdb (npm test builds it once per machine: npm run qemu-build)\n`);
      this.skip();
    }
  });

  describe('file and format nodes, an NBD export, blockdev-snapshot, an active commit completed, a failed blockdev-add, quit', () => {
    let rec: Recording;
    before(() => {
      rec = record(
        'commit',
        (d) =>
          [
            '# a qcow2 image on a file node, exported over NBD (the export is its parent)',
            `blockdev-add driver=file node-name=file0 filename=${d}/base.qcow2`,
            'blockdev-add driver=qcow2 node-name=base0 file=file0',
            `nbd-server-start addr.type=unix addr.data.path=${d}/nbd.sock`,
            'block-export-add type=nbd id=exp0 node-name=base0 writable=true',
            `blockdev-add driver=qcow2 node-name=over0 file.driver=file file.filename=${d}/over.qcow2 backing=null`,
            'blockdev-snapshot node=base0 overlay=over0',
            'block-commit device=over0 job-id=c0',
            '# wait BLOCK_JOB_READY 30',
            'block-job-complete device=c0',
            '# wait BLOCK_JOB_COMPLETED 30',
            'blockdev-add driver=qcow2 node-name=bad0 file.driver=file file.filename=/nonexistent/x.qcow2',
            'quit',
          ].join('\n'),
        ['base.qcow2', 'over.qcow2'],
      );
    });

    it('exits 0 and says how many commands it recorded', () => {
      assert.equal(rec.status, 0, rec.stderr);
      assert.match(rec.stderr, /10 commands recorded in .*session\.log/);
    });

    it('the log reads like a hand-made session: each command as (QEMU) …, its reply, events, every stop with bt and the graph line', () => {
      assert.deepEqual(commandsOf(rec.trace), [
        [`blockdev-add driver=file node-name=file0 filename=${rec.dir}/base.qcow2`, 0, 'ok'],
        ['blockdev-add driver=qcow2 node-name=base0 file=file0', 3, 'ok'],
        [`nbd-server-start addr.type=unix addr.data.path=${rec.dir}/nbd.sock`, 0, 'ok'],
        ['block-export-add type=nbd id=exp0 node-name=base0 writable=true', 1, 'ok'],
        [`blockdev-add driver=qcow2 node-name=over0 file.driver=file file.filename=${rec.dir}/over.qcow2 backing=null`, 3, 'ok'],
        ['blockdev-snapshot node=base0 overlay=over0', 2, 'ok'],
        ['block-commit device=over0 job-id=c0', 6, 'ok'],
        ['block-job-complete device=c0', 7, 'ok'],
        ['blockdev-add driver=qcow2 node-name=bad0 file.driver=file file.filename=/nonexistent/x.qcow2', 0, 'error'],
        // QEMU's own trace says quit succeeded (qmp_exit_quit {} 1): no reply comes over QMP
        ['quit', 4, 'ok'],
      ]);
      const lines = rec.text.split('\n');
      assert.equal(lines.filter((l) => l === '(gdb) bt').length, rec.trace.hits.length);
      assert.equal(lines.filter((l) => l === '(gdb) c').length, rec.trace.hits.length);
      assert.ok(lines.some((l) => l.includes('"event":"BLOCK_JOB_READY"')));
      assert.ok(rec.trace.hits.every((h) => h.recorded !== null && h.frames.length > 5), 'every hit has its backtrace and QEMU’s graph');
      assert.deepEqual(rec.trace.diagnostics, []);
      assert.match(lines[lines.length - 2] ?? '', /\[Inferior 1 \(process \d+\) exited normally\]/);
    });

    it('the replay is QEMU’s graph at every one of the 26 stops: edges between addresses, live nodes, names', () => {
      const checks = rec.graph.checkRecorded();
      assert.equal(checks.length, 26);
      assert.deepEqual(
        checks.filter((c) => c.differences.length > 0).map((c) => [c.hit, c.differences]),
        [],
      );
      // and it is not empty agreement: the export's root moved to the overlay, then back at completion
      const afterSnapshot = rec.graph.stateAfter(9);
      assert.ok(afterSnapshot.edges.some((e) => e.name === 'root' && afterSnapshot.nodes.find((n) => n.id === e.child)?.name === 'over0'));
    });
  });

  describe('blockdev-snapshot-sync, a stream, a mirror completed, a failed transaction, blockdev-del; checked by a gdb script of its own', () => {
    let rec: Recording;
    before(() => {
      const gdbFile = path.join(os.tmpdir(), `qbt-check-${process.pid}.gdb`);
      fs.writeFileSync(gdbFile, CHECK_GDB);
      rec = record(
        'mirror',
        (d) =>
          [
            `blockdev-add driver=file node-name=file0 filename=${d}/base.qcow2`,
            'blockdev-add driver=qcow2 node-name=base0 file=file0',
            `nbd-server-start addr.type=unix addr.data.path=${d}/nbd.sock`,
            'block-export-add type=nbd id=exp0 node-name=base0 writable=true',
            `blockdev-snapshot-sync node-name=base0 snapshot-file=${d}/s1.qcow2 snapshot-node-name=s1 format=qcow2`,
            'block-stream job-id=st0 device=s1',
            '# wait BLOCK_JOB_COMPLETED 30',
            `blockdev-add driver=qcow2 node-name=tgt0 file.driver=file file.filename=${d}/tgt.qcow2`,
            'blockdev-mirror device=s1 target=tgt0 sync=full job-id=m0',
            '# wait BLOCK_JOB_READY 30',
            'block-job-complete device=m0',
            '# wait BLOCK_JOB_COMPLETED 30',
            'transaction(',
            `  blockdev-snapshot-sync node-name=tgt0 snapshot-file=${d}/s2.qcow2 snapshot-node-name=s2 format=qcow2`,
            `  blockdev-snapshot-sync node-name=nosuch snapshot-file=${d}/s3.qcow2 snapshot-node-name=s3 format=qcow2`,
            ')',
            `blockdev-add driver=file node-name=unused0 filename=${d}/base.qcow2 read-only=true`,
            'blockdev-del node-name=unused0',
            'quit',
          ].join('\n'),
        ['base.qcow2', 'tgt.qcow2'],
        ['--gdb-x', gdbFile],
      );
      fs.rmSync(gdbFile, { force: true });
    });

    it('the commands and their outcomes are the script’s; the transaction is one command that failed', () => {
      assert.equal(rec.status, 0, rec.stderr);
      const cmds = commandsOf(rec.trace);
      assert.deepEqual(
        cmds.map(([text, , reply]) => [text.split(' ')[0], reply]),
        [
          ['blockdev-add', 'ok'],
          ['blockdev-add', 'ok'],
          ['nbd-server-start', 'ok'],
          ['block-export-add', 'ok'],
          ['blockdev-snapshot-sync', 'ok'],
          ['block-stream', 'ok'],
          ['blockdev-add', 'ok'],
          ['blockdev-mirror', 'ok'],
          ['block-job-complete', 'ok'],
          ['transaction(', 'error'],
          ['blockdev-add', 'ok'],
          ['blockdev-del', 'ok'],
          ['quit', 'ok'],
        ],
      );
      const tx = rec.trace.commands.find((c) => c.name === 'transaction')!;
      assert.deepEqual((tx.arguments.actions as { type: string }[]).map((a) => a.type), ['blockdev-snapshot-sync', 'blockdev-snapshot-sync']);
      for (const [text, hits] of cmds) if (/^(?:blockdev-snapshot-sync|block-stream|blockdev-mirror|block-job-complete)/.test(text)) assert.ok(hits > 0, `${text} has hits`);
    });

    it('the replay is QEMU’s graph at every stop, the failed transaction’s too (nodes it opens at reused addresses known from bdrv_open_common)', () => {
      const checks = rec.graph.checkRecorded();
      assert.equal(checks.length, rec.trace.hits.length);
      assert.ok(checks.length >= 60, String(checks.length));
      // This recording found three gaps, all closed: image creation's protocol node was kept until
      // the command ended (it goes when the creation returns); a node QEMU opens at an address the
      // log last showed as a freed object was counted as missing before the log could show it; and,
      // inside the failed transaction, a node opened again at a reused address was taken for the
      // freed one (QEMU's allocator decides whether that happens: the trace line of every open,
      // which the recorder asks for, now says so whichever address it gets)
      assert.deepEqual(
        checks.filter((c) => c.differences.length > 0).map((c) => [c.hit, c.differences]),
        [],
      );
    });

    it('the log has QEMU’s trace lines of every node opened, every root edge and every job state, before the stops that show them', () => {
      const opens = rec.trace.events.filter((e) => e.kind === 'open');
      // every node QEMU held at a stop with a name (bdrv_open_common names it, after its trace line)
      // was opened on a trace line before that stop, or is a filter QEMU opens without that path
      // (bdrv_new_open_driver: copy-on-read, mirror_top, commit_top), which this stop or one before
      // prints; one without a name yet is being opened, and its line comes after
      const filterOpened = (address: string, upTo: number) =>
        rec.trace.hits.slice(0, upTo).some((x) => x.frames.some((f) => f.pointers.some((p) => p.value === address)));
      for (const h of rec.trace.hits) {
        for (const n of h.recorded!.nodes) {
          const opened = opens.filter((e) => e.kind === 'open' && e.bs === n.address);
          if (n.name) assert.ok(opened.some((e) => e.line < h.recordedLine!) || filterOpened(n.address, h.index), `hit ${h.index}: node ${n.name} (${n.address}) opened before`);
          else assert.ok(opened.some((e) => e.line > h.recordedLine!), `hit ${h.index}: node ${n.address} being opened`);
        }
      }
      const states = rec.trace.events.flatMap((e) => (e.kind === 'job-state' ? [e.to] : []));
      for (const s of ['created', 'running', 'ready', 'concluded', 'null']) assert.ok(states.includes(s), s);
      assert.ok(rec.trace.events.some((e) => e.kind === 'root-attach'));
      const m0 = [...new Identities(rec.trace).all()].find((id) => id.kind === 'job' && id.name === 'm0');
      assert.ok(m0?.states?.some((s) => s.state === 'ready'), 'the mirror job was ready');
    });

    it('the log carries the lines of the user’s own gdb script (--gdb-x), and they agree with the replay hit by hit', () => {
      const lines = rec.text.split('\n').filter((l) => l.startsWith('qbt-check '));
      assert.equal(lines.length, rec.trace.hits.length, 'one line of the check before every stop');
      let checked = 0;
      lines.forEach((l, i) => {
        const m = /^qbt-check child=(0x[0-9a-f]+) name=(.+?) old=(0x[0-9a-f]+) new=(0x[0-9a-f]+)$/.exec(l);
        assert.ok(m, l);
        const [, child, name, , newBs] = m;
        const hit = i + 1;
        checked++;
        const after = rec.graph.stateAfter(hit);
        const addr = new Map(after.nodes.map((n) => [n.id, n.address]));
        const edge = after.edges.find((e) => e.address === child);
        if (newBs === '0x0') {
          assert.equal(edge, undefined, `hit ${hit}: the edge ${child} (${name}) is detached`);
        } else {
          assert.ok(edge, `hit ${hit}: the replay has the edge ${child} (${name})`);
          assert.equal(edge.name, name, `hit ${hit}: its name`);
          assert.equal(addr.get(edge.child), newBs, `hit ${hit}: ${name} points at ${newBs}`);
        }
      });
      assert.equal(checked, rec.trace.hits.length);
    });
  });

  describe('--attach: a QEMU that was already running, with nodes from its command line', () => {
    it('records over its own QMP socket, agrees with QEMU at every stop, and leaves it running', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-rec-attach-'));
      assert.equal(spawnSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', path.join(dir, 'a.qcow2'), '64M']).status, 0);
      const { spawn } = await import('node:child_process');
      const qsd = spawn(QSD, ['--chardev', `socket,path=${dir}/qmp.sock,server=on,wait=off,id=m`, '--monitor', 'chardev=m', '--blockdev', `driver=file,node-name=file0,filename=${dir}/a.qcow2`], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, 'qmp.sock')); i++) await new Promise((r) => setTimeout(r, 100));
        fs.writeFileSync(path.join(dir, 's.qmp'), 'blockdev-add driver=qcow2 node-name=d0 file=file0\nblockdev-del node-name=d0\n');
        const log = path.join(dir, 'attach.log');
        const r = spawnSync(process.execPath, [CLI, 'record', '--out', log, '--qmp-script', path.join(dir, 's.qmp'), '--attach', String(qsd.pid), '--qmp', path.join(dir, 'qmp.sock')], { encoding: 'utf8', timeout: 120_000 });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(qsd.exitCode, null, 'QEMU runs on after the recording');
        const text = fs.readFileSync(log, 'utf8');
        assert.match(text, /^Attaching to process \d+$/m);
        assert.match(text, /\[Inferior 1 \(process \d+\) detached\]/);
        const trace = parseTrace(text);
        assert.deepEqual(commandsOf(trace), [
          ['blockdev-add driver=qcow2 node-name=d0 file=file0', 3, 'ok'],
          ['blockdev-del node-name=d0', 1, 'ok'],
        ]);
        const checks = BlockGraph.build(trace, new Identities(trace)).checkRecorded();
        assert.equal(checks.length, 4);
        assert.deepEqual(checks.filter((c) => c.differences.length > 0), []);
      } finally {
        qsd.kill();
      }
    });

    it('--attach without --qmp, or with a binary too, is a usage error', () => {
      let r = spawnSync(process.execPath, [CLI, 'record', '--out', '/tmp/x.log', '--attach', '1'], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--attach PID and --qmp SOCKET go together/);
      r = spawnSync(process.execPath, [CLI, 'record', '--out', '/tmp/x.log', '--attach', '1', '--qmp', '/tmp/none.sock', '--', QSD], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--attach records a QEMU that is running: no -- QEMU_BINARY then/);
    });
  });

  describe('a Session, as the QMP terminal drives it', () => {
    it('sends commands one at a time, tells QMP events as they come, and quits', async () => {
      const { Session, parseQmpScript } = await import('../../src/record');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-rec-session-'));
      assert.equal(spawnSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', path.join(dir, 'a.qcow2'), '64M']).status, 0);
      const s = await Session.start({ out: path.join(dir, 's.log'), breakpoints: [], gdb: 'gdb', gdbFiles: [], binary: QSD, args: [], companion: path.join(ROOT, 'resources', 'gdb', 'qemu_block_trace.py') });
      assert.ok(s instanceof Session, JSON.stringify(s));
      const events: string[] = [];
      s.onEvent((e) => events.push(String(e.event)));
      const step = (line: string) => parseQmpScript(line)[0] as Parameters<typeof s.send>[0];
      const names = await s.commandNames();
      assert.ok(names.includes('blockdev-add') && names.includes('block-export-add'), 'completion knows QEMU’s commands');
      const replies = await Promise.all([
        s.send(step(`blockdev-add driver=file node-name=f0 filename=${dir}/a.qcow2`)),
        s.send(step(`nbd-server-start addr.type=unix addr.data.path=${dir}/nbd.sock`)),
        s.send(step('block-export-add type=nbd id=e0 node-name=f0 writable=true')),
        s.send(step('block-export-del id=e0')),
      ]);
      assert.deepEqual(replies, [{ return: {} }, { return: {} }, { return: {} }, { return: {} }]);
      assert.ok(await s.waitEvent('BLOCK_EXPORT_DELETED', 30));
      assert.ok(events.includes('BLOCK_EXPORT_DELETED'), events.join(', '));
      const r = await s.quit();
      assert.deepEqual([r.exitCode, r.problem, r.commands], [0, null, 5]);
      const log = fs.readFileSync(path.join(dir, 's.log'), 'utf8');
      // queued sends keep their order: each command line before the next
      const at = (t: string) => log.indexOf(t);
      assert.ok(at('(QEMU) blockdev-add') < at('(QEMU) nbd-server-start') && at('(QEMU) nbd-server-start') < at('(QEMU) block-export-add') && at('(QEMU) block-export-add') < at('(QEMU) block-export-del'));
      assert.match(log, /"event":"BLOCK_EXPORT_DELETED"/);
    });
  });

  describe('what goes wrong is said in one line, exit 2, and the log so far is kept', () => {
    it('a breakpoint on a function the binary does not have', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-rec-bad-'));
      const log = path.join(dir, 'x.log');
      const r = spawnSync(process.execPath, [CLI, 'record', '--out', log, '--break', 'no_such_function_anywhere', '--', QSD], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /qbt-capture: no function no_such_function_anywhere in this program/);
      assert.ok(fs.existsSync(log));
    });

    it('a QEMU that dies under gdb (SIGSEGV): the signal in one line, exit 2, the log so far kept', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-rec-dies-'));
      fs.writeFileSync(path.join(dir, 's.qmp'), `blockdev-add driver=file node-name=file0 filename=${dir}/s.qmp\n# wait NEVER_COMES 60\n`);
      const log = path.join(dir, 'dies.log');
      const { spawn } = await import('node:child_process');
      const cli = spawn(process.execPath, [CLI, 'record', '--out', log, '--qmp-script', path.join(dir, 's.qmp'), '--', QSD], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => cli.on('exit', (c) => r(c)));
      // once the command is answered, QEMU is killed as a crash would kill it
      for (let i = 0; i < 300 && !(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('{"return"')); i++) await new Promise((r) => setTimeout(r, 100));
      const pid = spawnSync('pgrep', ['-f', '^\\S*qemu-storage-daemon .*qbt-record-'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
      assert.ok(/^\d+$/.test(pid), `the QEMU process (${pid})`);
      process.kill(Number(pid), 'SIGSEGV');
      assert.equal(await exited, 2);
      assert.match(stderr, /QEMU died: SIGSEGV \(Segmentation fault\) \(the log so far is in .*dies\.log\)/);
      const text = fs.readFileSync(log, 'utf8');
      assert.match(text, /^\(QEMU\) blockdev-add driver=file node-name=file0/m);
      assert.match(text, /(?:Program|Thread \d+ "[^"]*") received signal SIGSEGV/);
    });

    it('a gdb that is not there, and a script line that is not a command', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbt-rec-bad-'));
      let r = spawnSync(process.execPath, [CLI, 'record', '--out', path.join(dir, 'x.log'), '--gdb', '/nonexistent/gdb', '--', QSD], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /gdb not found \(\/nonexistent\/gdb\)/);
      fs.writeFileSync(path.join(dir, 's.qmp'), 'blockdev-add driver=file\nthis is = not a command\n');
      r = spawnSync(process.execPath, [CLI, 'record', '--out', path.join(dir, 'y.log'), '--qmp-script', path.join(dir, 's.qmp'), '--', QSD], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /line 2: cannot read 'this is = not a command' as a qmp-shell command/);
    });
  });
});

describe('the recorder’s log: its own lines go between gdb’s, never inside one', () => {
  /** A session log writing into a string (`out.text`). */
  const sessionLog = async () => {
    const { SessionLog } = await import('../../src/record');
    const out = { text: '', write: (t: string) => (out.text += t), end: (done: () => void) => done() };
    return { out, log: new SessionLog(out) };
  };

  it('a QMP event that arrives while gdb is half-way through a frame waits for the end of that line', async () => {
    const { out, log } = await sessionLog();
    log.gdb('#8  0x0000 in bdrv_close_all () at ../block.c:4968\n#9  0x0000 in main (argc=17');
    log.own('{"event":"BLOCK_EXPORT_DELETED"}\n');
    log.own('{"return":{}}\n');
    log.gdb(', argv=0x7ffe) at ../qemu-storage-daemon.c:439\nqbt-graph {}\n');
    log.own('(QEMU) quit\n');
    await log.end();
    // and not inside the backtrace either: after its first line that is not a frame
    assert.equal(
      out.text,
      '#8  0x0000 in bdrv_close_all () at ../block.c:4968\n#9  0x0000 in main (argc=17, argv=0x7ffe) at ../qemu-storage-daemon.c:439\nqbt-graph {}\n{"event":"BLOCK_EXPORT_DELETED"}\n{"return":{}}\n(QEMU) quit\n',
    );
  });

  it('an event that arrives between two frames waits for the end of the backtrace', async () => {
    const { out, log } = await sessionLog();
    log.gdb('(gdb) bt\n#0  bdrv_replace_child_noperm (child=0x1, new_bs=0x0) at ../block.c:2832\n');
    log.own('{"event":"BLOCK_EXPORT_DELETED"}\n');
    log.gdb('#1  0x5 in bdrv_detach_child (child=0x1) at ../block.c:3078\nqbt-graph {}\n(gdb) c\n');
    await log.end();
    assert.equal(out.text, '(gdb) bt\n#0  bdrv_replace_child_noperm (child=0x1, new_bs=0x0) at ../block.c:2832\n#1  0x5 in bdrv_detach_child (child=0x1) at ../block.c:3078\nqbt-graph {}\n{"event":"BLOCK_EXPORT_DELETED"}\n(gdb) c\n');
  });

  it('a log that ends inside a gdb line still gets the lines held for it, on a line of their own', async () => {
    const { out, log } = await sessionLog();
    log.gdb('Thread 1 "qemu" received signal SIGSEGV');
    log.own('{"event":"X"}\n');
    await log.end();
    assert.equal(out.text, 'Thread 1 "qemu" received signal SIGSEGV\n{"event":"X"}\n');
  });
});
