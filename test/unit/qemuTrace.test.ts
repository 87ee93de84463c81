// QEMU's own trace lines (issue 15): the three forms of the log backend, and commands known from
// `qmp_enter_<x>` / `qmp_exit_<x>`. The fixture is a real session recorded here with
// `qemu-block-trace record` against a debug qemu-storage-daemon 7.2 (--trace 'qmp_*' on, QEMU's
// graph at every stop): traces/v7.2.0-recorded.log, from the script traces/v7.2.0-recorded.qmp.
import * as assert from 'node:assert/strict';
import { BlockGraph } from '../../src/model/graph';
import { Identities } from '../../src/model/identities';
import { classifyLine } from '../../src/model/lines';
import { parseTrace } from '../../src/model/parser';
import { commandOfTraceEvent, replyFromTrace } from '../../src/model/qmp';
import { recordedView } from '../../src/model/recorded';
import type { Trace } from '../../src/model/trace';
import { readFixture } from './helpers';

const kind = (line: string) => classifyLine(line).line;

describe("QEMU's trace lines, in the three forms of the log backend", () => {
  it('before 6.0: PID@SEC.USEC:name args', () => {
    assert.deepEqual(kind('12345@1700000000.123456:qmp_enter_blockdev_add {"node-name": "d0"}'), { kind: 'qemu-trace', event: 'qmp_enter_blockdev_add', args: '{"node-name": "d0"}', eventStart: 24 });
    assert.deepEqual(kind('8@1.000001:blk_root_attach child 0x55 blk 0x56 bs 0x57'), { kind: 'qemu-trace', event: 'blk_root_attach', args: 'child 0x55 blk 0x56 bs 0x57', eventStart: 11 });
  });

  it('6.0 to 10.0: name args', () => {
    assert.deepEqual(kind('qmp_exit_blockdev_add {} 1'), { kind: 'qemu-trace', event: 'qmp_exit_blockdev_add', args: '{} 1', eventStart: 0 });
    assert.deepEqual(kind('job_state_transition job 0x5555558e7a00 (ret: 0) attempting allowed transition (created-->running)').kind, 'qemu-trace');
  });

  it('10.1 and later: a UTC time first', () => {
    assert.deepEqual(kind('2025-07-21T18:43:28.089797Z bdrv_open_common bs 0x55 filename "/tmp/a.qcow2" flags 0x2 format_name "qcow2"'), {
      kind: 'qemu-trace',
      event: 'bdrv_open_common',
      args: 'bs 0x55 filename "/tmp/a.qcow2" flags 0x2 format_name "qcow2"',
      eventStart: 28,
    });
    assert.equal(kind('2025-07-21T18:43:28.089797Z qmp_exit_quit {} 1').kind, 'qemu-trace');
  });

  it('other lines are not trace lines, even when they look like words', () => {
    for (const line of ['Continuing.', 'blockdev_add is what I typed', "Formatting '/tmp/o.qcow2', fmt=qcow2", 'qmpenter_x {}', 'qbt-graph: cannot read QEMU\'s block graph']) {
      assert.equal(kind(line).kind, 'text', line);
    }
  });

  it('a command name from its event, and its outcome from qmp_exit', () => {
    assert.equal(commandOfTraceEvent('blockdev_add'), 'blockdev-add');
    assert.equal(commandOfTraceEvent('block_set_io_throttle'), 'block_set_io_throttle');
    assert.deepEqual(replyFromTrace('{} 1'), { return: {} });
    assert.deepEqual(replyFromTrace('{"id": "c0"} 1'), { return: { id: 'c0' } });
    assert.deepEqual(replyFromTrace("Could not open '/nonexistent/x.qcow2': No such file or directory 0"), { error: { class: 'GenericError', desc: "Could not open '/nonexistent/x.qcow2': No such file or directory" } });
    assert.equal(replyFromTrace('no outcome here'), null);
  });
});

describe('bad recorded lines: said, and nothing else lost', () => {
  const text = readFixture('traces/v7.2.0-recorded.log');
  const lines = text.split('\n');
  const graphLines = lines.flatMap((l, i) => (l.startsWith('qbt-graph {') ? [i] : []));

  it('a qbt-graph line cut short, or printed outside a hit, is a diagnostic with its line; the hits and the other graphs stay', () => {
    const damaged = [...lines];
    const cut = graphLines[3];
    damaged[cut] = damaged[cut].slice(0, 200);
    // before the first hit: no hit to give it to
    damaged.splice(2, 0, lines[graphLines[0]]);
    const t = parseTrace(damaged.join('\n'));
    const whole = parseTrace(text);
    assert.equal(t.hits.length, whole.hits.length);
    assert.deepEqual(t.commands.map((c) => [c.name, c.hits.length]), whole.commands.map((c) => [c.name, c.hits.length]));
    const d = t.diagnostics.find((x) => x.code === 'bad-recorded-graph');
    assert.ok(d, JSON.stringify(t.diagnostics));
    assert.deepEqual([d.count, d.lines], [2, [2, cut + 1]]);
    assert.match(d.message, /qbt-graph lines .* could not be read, or were printed outside a hit/);
    assert.equal(t.hits.filter((h) => h.recorded).length, whole.hits.length - 1);
    // the hit whose graph was cut has none, and the check leaves it out rather than guessing
    const checks = BlockGraph.build(t, new Identities(t)).checkRecorded();
    assert.equal(checks.length, whole.hits.length - 1);
    assert.deepEqual(checks.filter((c) => c.differences.length > 0), []);
  });

  it('a qmp_enter line whose arguments are not JSON still gives its command; a qmp_exit without an outcome gives no reply', () => {
    const t = parseTrace(['qmp_enter_blockdev_add {"node-name": "d0", "driver": oops', 'qmp_exit_blockdev_add done'].join('\n'));
    assert.deepEqual(t.commands.map((c) => [c.name, c.origin, c.arguments, c.reply, c.line]), [['blockdev-add', 'qemu-trace', {}, null, 0]]);
  });
});

describe('a recorded session (real QEMU 7.2): qmp-shell lines, qmp_* trace lines, QEMU’s graph at every stop', () => {
  const text = readFixture('traces/v7.2.0-recorded.log');
  const script = readFixture('traces/v7.2.0-recorded.qmp');
  const commands = (t: Trace) => t.commands.map((c) => [c.name, c.origin, c.hits.length, c.reply ? ('error' in c.reply ? 'error' : 'ok') : null]);

  it('each typed command once (its qmp_enter is its echo), with its hits and QEMU’s answer', () => {
    const t = parseTrace(text);
    const typed = script.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    assert.deepEqual(
      t.commands.map((c) => c.text),
      typed,
    );
    assert.deepEqual(commands(t), [
      ['blockdev-add', 'qmp-shell', 0, 'ok'],
      ['blockdev-add', 'qmp-shell', 3, 'ok'],
      ['nbd-server-start', 'qmp-shell', 0, 'ok'],
      ['block-export-add', 'qmp-shell', 1, 'ok'],
      ['blockdev-add', 'qmp-shell', 3, 'ok'],
      ['blockdev-snapshot', 'qmp-shell', 2, 'ok'],
      ['block-commit', 'qmp-shell', 6, 'ok'],
      ['block-job-complete', 'qmp-shell', 7, 'ok'],
      ['blockdev-add', 'qmp-shell', 0, 'error'],
      ['quit', 'qmp-shell', 4, 'ok'],
    ]);
    assert.deepEqual(t.diagnostics, []);
  });

  it('the replay agrees with QEMU’s memory at all 26 stops', () => {
    const t = parseTrace(text);
    assert.equal(t.hits.filter((h) => h.recorded).length, 26);
    const checks = BlockGraph.build(t, new Identities(t)).checkRecorded();
    assert.deepEqual(
      checks.filter((c) => c.differences.length > 0),
      [],
    );
    assert.equal(checks.length, 26);
  });

  it('QEMU’s graph as the views draw it: the same edges as the replay at every stop, and a difference marked both ways', () => {
    const t = parseTrace(text);
    const graph = BlockGraph.build(t, new Identities(t));
    for (const h of t.hits) {
      const v = recordedView(h.recorded!, graph.stateAtStop(h.index), h.index);
      assert.deepEqual([v.edges.filter((e) => e.change === 'added').length, v.removed.length], [0, 0], `stop ${h.index}`);
      assert.equal(v.edges.length, h.recorded!.edges.length);
      assert.match(v.explanation, new RegExp(`as hit ${h.index} stopped`));
    }
    // at stop 9 (after the snapshot), QEMU's graph with one edge taken out and another made up
    const rec = t.hits[8].recorded!;
    const dropped = rec.edges.find((e) => e.name === 'backing')!;
    const altered = { ...rec, edges: [...rec.edges.filter((e) => e !== dropped), { ...dropped, address: '0x1', name: 'made-up' }] };
    const v = recordedView(altered, graph.stateAtStop(9), 9);
    assert.deepEqual(v.edges.filter((e) => e.change === 'added').map((e) => e.name), ['made-up']);
    assert.deepEqual(v.removed.map((e) => e.name), ['backing']);
    const named = v.nodes.filter((n) => n.name).map((n) => n.name).sort();
    assert.deepEqual(named, ['base0', 'file0', 'over0']);
  });

  it('without the typed lines and replies, qmp_enter/qmp_exit alone give the same commands, hits and outcomes', () => {
    // as a log where the commands came from another client: only gdb's and QEMU's own output
    const bare = text
      .split('\n')
      .filter((l) => !l.startsWith('(QEMU) ') && !l.startsWith('{'))
      .join('\n');
    const t = parseTrace(bare);
    const typed = parseTrace(text);
    assert.deepEqual(
      commands(t),
      commands(typed).map(([name, , hits, reply]) => [name, 'qemu-trace', hits, reply]),
    );
    // the arguments are QEMU's own JSON of them
    assert.deepEqual(t.commands[4].arguments, { 'node-name': 'over0', driver: 'qcow2', file: { driver: 'file', filename: '/tmp/qbt-fx/over.qcow2' }, backing: null });
    // the failed blockdev-add: QEMU's error from qmp_exit ... 0
    assert.deepEqual(t.commands[8].reply, { error: { class: 'GenericError', desc: "Could not open '/nonexistent/x.qcow2': No such file or directory" } });
    // block-job-complete returns at once (qmp_exit_block_job_complete … 1); the 7 hits after it
    // are the job's completion, in its coroutine and bottom half: still that command's
    const complete = t.commands.findIndex((c) => c.name === 'block-job-complete');
    const exitLine = bare.split('\n').findIndex((l) => l.startsWith('qmp_exit_block_job_complete '));
    const afterExit = t.hits.filter((h) => h.line > exitLine && h.command === complete);
    assert.equal(afterExit.length, 7);
    assert.ok(afterExit.some((h) => h.frames.some((f) => f.function === 'job_exit' || f.function === 'job_co_entry' || f.function === 'mirror_exit_common')), 'they run in the job');
    assert.deepEqual(
      t.hits.map((h) => h.command),
      typed.hits.map((h) => h.command),
    );
    assert.deepEqual(BlockGraph.build(t, new Identities(t)).checkRecorded().filter((c) => c.differences.length > 0), []);
  });
});
