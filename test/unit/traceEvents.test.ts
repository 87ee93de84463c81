// QEMU's trace lines about block objects as evidence (issue 15): bdrv_open_common (a node opened,
// a new object at its address), blk_root_attach/detach (a BlockBackend's root edge), and
// job_state_transition / job_apply_verb (a job's states). The fixture is a real session recorded
// here with `qemu-block-trace record` against a debug qemu-storage-daemon 7.2, from the script
// traces/v7.2.0-recorded-events.qmp: in its failed transaction QEMU opened a new image's protocol
// node at the address of a node freed earlier, which no backtrace shows being opened.
import * as assert from 'node:assert/strict';
import { BlockGraph } from '../../src/model/graph';
import { graphToDot } from '../../src/model/dot';
import { Identities, jobStateAt } from '../../src/model/identities';
import { parseTrace } from '../../src/model/parser';
import { readBlockTraceEvent, readTraceLine } from '../../src/model/traceEvents';
import { readFixture } from './helpers';

describe('QEMU’s block trace events, read as QEMU’s trace-events files format them', () => {
  it('bdrv_open_common: the node, its file and its driver', () => {
    assert.deepEqual(readBlockTraceEvent('bdrv_open_common', 'bs 0x5555558b8d70 filename "/tmp/rx/base.qcow2" flags 0xa002 format_name "file"'), {
      kind: 'open',
      bs: '0x5555558b8d70',
      filename: '/tmp/rx/base.qcow2',
      driver: 'file',
    });
  });

  it('blk_root_attach / blk_root_detach, with (nil) as glibc prints NULL', () => {
    assert.deepEqual(readBlockTraceEvent('blk_root_attach', 'child 0x5555558b4c40 blk 0x5555558c5910 bs 0x5555558b8d70'), { kind: 'root-attach', child: '0x5555558b4c40', blk: '0x5555558c5910', bs: '0x5555558b8d70' });
    assert.deepEqual(readBlockTraceEvent('blk_root_detach', 'child 0x1 blk 0x2 bs (nil)'), { kind: 'root-detach', child: '0x1', blk: '0x2', bs: '0x0' });
  });

  it('job_state_transition and job_apply_verb; a disallowed transition is not a state', () => {
    assert.deepEqual(readBlockTraceEvent('job_state_transition', 'job 0x5555558df9c0 (ret: 0) attempting allowed transition (created-->running)'), { kind: 'job-state', job: '0x5555558df9c0', from: 'created', to: 'running' });
    assert.equal(readBlockTraceEvent('job_state_transition', 'job 0x5 (ret: -5) attempting disallowed transition (null-->running)'), null);
    assert.deepEqual(readBlockTraceEvent('job_apply_verb', 'job 0x5 in state ready; applying verb complete (allowed)'), { kind: 'job-verb', job: '0x5', state: 'ready', verb: 'complete', allowed: true });
    assert.equal((readBlockTraceEvent('job_apply_verb', 'job 0x5 in state null; applying verb complete (prohibited)') as { allowed: boolean }).allowed, false);
  });

  it('arguments not in QEMU’s format, and other events, say nothing', () => {
    assert.equal(readBlockTraceEvent('bdrv_open_common', 'bs 0x55'), null);
    assert.equal(readBlockTraceEvent('blk_root_attach', 'something else'), null);
    assert.equal(readBlockTraceEvent('qmp_enter_blockdev_add', '{}'), null);
  });

  it('the pointers of a line and where they are: the %p arguments only, not flags or a file name with hex in it', () => {
    assert.deepEqual(readTraceLine('bdrv_open_common', 'bs 0x55 filename "/tmp/0xdeadbeef.qcow2" flags 0x2 format_name "raw"', 17)?.pointers, [{ value: '0x55', start: 20, end: 24 }]);
    assert.deepEqual(readTraceLine('blk_root_detach', 'child 0x1 blk 0x22 bs (nil)', 0)?.pointers, [
      { value: '0x1', start: 6, end: 9 },
      { value: '0x22', start: 14, end: 18 },
    ]);
  });

  it('a file name QEMU prints with quotes in it (json:{…}) is read whole', () => {
    const e = readBlockTraceEvent('bdrv_open_common', 'bs 0x55 filename "json:{"driver": "raw", "file": {"filename": "/a"}}" flags 0x2002 format_name "raw"');
    assert.deepEqual(e, { kind: 'open', bs: '0x55', filename: 'json:{"driver": "raw", "file": {"filename": "/a"}}', driver: 'raw' });
  });
});

describe('a recorded session whose failed transaction reopens a freed address (real QEMU 7.2)', () => {
  const text = readFixture('traces/v7.2.0-recorded-events.log');
  /** The same log without QEMU's bdrv_open_common lines, as a log made without that trace event. */
  const withoutOpens = text
    .split('\n')
    .filter((l) => !l.startsWith('bdrv_open_common '))
    .join('\n');

  it('the trace lines are read in order, each with the hits before it and its pointers', () => {
    const t = parseTrace(text);
    assert.deepEqual(t.diagnostics, []);
    const opens = t.events.filter((e) => e.kind === 'open');
    assert.equal(opens.length, text.split('\n').filter((l) => l.startsWith('bdrv_open_common ')).length);
    const first = opens[0];
    assert.deepEqual([first.line + 1, first.hitsBefore, first.kind === 'open' && first.driver], [13, 0, 'file']);
    assert.deepEqual(first.pointers, [{ value: '0x5555558b8d70', start: 20, end: 34 }]);
    for (let i = 1; i < t.events.length; i++) assert.ok(t.events[i].line > t.events[i - 1].line);
    for (const e of t.events) {
      const before = t.hits.filter((h) => h.line < e.line).length;
      assert.equal(e.hitsBefore, before, `line ${e.line + 1}`);
    }
  });

  it('the replay agrees with QEMU’s memory at all 79 stops, the failed transaction’s included', () => {
    const t = parseTrace(text);
    const checks = BlockGraph.build(t, new Identities(t)).checkRecorded();
    assert.equal(checks.length, 79);
    assert.deepEqual(
      checks.filter((c) => c.differences.length > 0).map((c) => [c.hit, c.differences]),
      [],
    );
  });

  it('without the bdrv_open_common lines the reused address is taken for the freed node, and the transaction’s stops differ', () => {
    const t = parseTrace(withoutOpens);
    const differing = BlockGraph.build(t, new Identities(t))
      .checkRecorded()
      .filter((c) => c.differences.length > 0);
    const tx = t.commands.findIndex((c) => c.name === 'transaction');
    assert.ok(differing.length > 0);
    for (const c of differing) assert.equal(t.hits[c.hit - 1].command, tx, `hit ${c.hit}`);
  });

  it('a node opened at a reused address is a new object, named by the trace line, the old one ended', () => {
    const t = parseTrace(text);
    const ids = new Identities(t);
    const tx = t.commands.find((c) => c.name === 'transaction')!;
    const firstTx = t.hits[tx.hits[0] - 1];
    // the image the transaction creates: its protocol node is opened without any stop showing it
    const open = t.events.find((e) => e.kind === 'open' && e.filename.endsWith('/s2.qcow2') && e.driver === 'file')!;
    assert.ok(open && open.kind === 'open');
    assert.equal(open.hitsBefore, firstTx.index - 1, 'opened after the last stop before the transaction');
    const node = ids.at(open.bs, firstTx.endLine)!;
    assert.ok(node.incarnation > 1, 'the address was used before');
    assert.deepEqual([node.kind, node.driver, node.filename], ['node', 'file', open.filename]);
    assert.deepEqual(
      node.evidence.map((e) => [e.what, e.line]),
      [
        ['driver', open.line],
        ['filename', open.line],
      ],
    );
    const before = ids.incarnations(open.bs)[node.incarnation - 2];
    assert.equal(before.ended, 'deleted');
    // hovering the trace line's pointer tells the same node
    assert.equal(ids.pointersOn(open.line)[0]?.identity, node);
  });

  it('root edges and job states from QEMU’s trace', () => {
    const t = parseTrace(text);
    const ids = new Identities(t);
    const attach = t.events.find((e) => e.kind === 'root-attach')!;
    assert.ok(attach.kind === 'root-attach');
    const edge = ids.at(attach.child, attach.line)!;
    assert.deepEqual([edge.kind, edge.name], ['edge', 'root']);
    assert.equal(ids.at(attach.blk, attach.line)!.kind, 'backend');
    const stream = [...ids.all()].find((id) => id.kind === 'job' && id.name === 'st0')!;
    assert.deepEqual(
      stream.states!.map((s) => s.state),
      ['created', 'running', 'waiting', 'pending', 'concluded', 'null'],
    );
    const mirror = [...ids.all()].find((id) => id.kind === 'job' && id.name === 'm0')!;
    assert.ok(mirror.states!.map((s) => s.state).includes('ready'));
    // the graph after the first hit once the mirror is ready draws the job with that state
    const ready = mirror.states!.find((s) => s.state === 'ready')!;
    const hit = t.hits.find((h) => h.line > ready.line)!;
    const view = BlockGraph.build(t, ids).stateAfter(hit.index);
    const job = view.nodes.find((n) => n.type === 'block-job' && n.name === 'm0')!;
    assert.equal(job.jobState, jobStateAt(mirror, hit.endLine)!.state);
    assert.match(graphToDot(view), new RegExp(`mirror job \\(m0\\)\\\\n${job.jobState}\\\\n${job.address}`));
  });
});

describe('QEMU 8.2 and later drop a child’s last reference in a bottom half (bdrv_schedule_unref)', () => {
  it('a session recorded on QEMU 10.0: at quit the replay keeps base0 until the half that deletes it, and agrees at all 26 stops', () => {
    const t = parseTrace(readFixture('traces/v10.0.13-recorded.log'));
    const graph = BlockGraph.build(t, new Identities(t));
    const checks = graph.checkRecorded();
    assert.equal(checks.length, 26);
    assert.deepEqual(
      checks.filter((c) => c.differences.length > 0).map((c) => [c.hit, c.differences]),
      [],
    );
    // the hit whose stack runs the half: base0 is being deleted there, and was live until then
    const bh = t.hits.find((h) => h.frames.some((f) => f.function === 'bdrv_schedule_unref_bh'))!;
    const base0 = (n: number) => graph.stateAtStop(n).nodes.find((x) => x.name === 'base0');
    assert.equal(base0(bh.index - 1)?.state, 'live');
    assert.equal(base0(bh.index)?.state, 'probably-freed');
  });

  it('QEMU 10.2 (a real trace with its own truth): the node left without parents under bdrv_close stays until its half runs', () => {
    const t = parseTrace(readFixture('traces/v10.2.0-failures.log'));
    const ids = new Identities(t);
    const graph = BlockGraph.build(t, ids);
    const address = [...ids.all()].find((id) => id.kind === 'node' && id.name === 'd0')!.address;
    const bh = t.hits.find((h) => h.frames.some((f) => f.function === 'bdrv_schedule_unref_bh' && f.arg('opaque')?.pointer === address))!;
    const d0 = (n: number) => graph.stateAfter(n).nodes.find((x) => x.name === 'd0')?.state;
    // its last parent went two hits before (o0's backing edge); the half deletes it at `bh`
    assert.deepEqual([d0(bh.index - 2), d0(bh.index - 1)], ['live', 'live']);
    assert.equal(graph.stateAtStop(bh.index).nodes.find((x) => x.name === 'd0')?.state, 'probably-freed');
  });
});

describe('trace lines and the backtraces around them', () => {
  it('a node printed by the hits of its own open before its bdrv_open_common line is one object, not two', () => {
    // as with a breakpoint inside the open: the format node's children attach (hits that print
    // it as their parent) before QEMU traces its open; here the recorded line is moved after the next stop
    const lines = readFixture('traces/v7.2.0-recorded-events.log').split('\n');
    const at = lines.findIndex((l) => l.startsWith('bdrv_open_common ') && l.endsWith('format_name "qcow2"'));
    const open = lines.splice(at, 1)[0];
    const after = lines.findIndex((l, i) => i > at && l === '(gdb) c');
    lines.splice(after + 1, 0, open);
    const t = parseTrace(lines.join('\n'));
    const ids = new Identities(t);
    const bs = open.split(' ')[2];
    assert.deepEqual(
      ids.incarnations(bs).map((id) => [id.name, id.driver]).slice(0, 1),
      [['base0', 'qcow2']],
    );
    // the same object before and after the moved line
    const moved = lines.indexOf(open);
    const first = ids.incarnations(bs)[0];
    assert.ok(first.firstLine < moved && first.lastLine > moved, `${first.firstLine + 1}–${first.lastLine + 1} around ${moved + 1}`);
    assert.deepEqual(
      BlockGraph.build(t, ids)
        .checkRecorded()
        .filter((c) => c.differences.length > 0),
      [],
    );
  });

  it('two jobs one after the other at the same address are two objects, each with its states', () => {
    const log = [
      '(QEMU) block-stream job-id=j1 device=a',
      'job_state_transition job 0x5555558c0000 (ret: 0) attempting allowed transition (undefined-->created)',
      'job_state_transition job 0x5555558c0000 (ret: 0) attempting allowed transition (created-->running)',
      'job_state_transition job 0x5555558c0000 (ret: 0) attempting allowed transition (concluded-->null)',
      '(QEMU) block-stream job-id=j2 device=a',
      'job_state_transition job 0x5555558c0000 (ret: 0) attempting allowed transition (undefined-->created)',
      'job_state_transition job 0x5555558c0000 (ret: 0) attempting allowed transition (created-->running)',
    ].join('\n');
    const ids = new Identities(parseTrace(log));
    assert.deepEqual(
      ids.incarnations('0x5555558c0000').map((id) => [id.kind, id.states!.map((s) => s.state).join(' ')]),
      [
        ['job', 'created running null'],
        ['job', 'created running'],
      ],
    );
  });

  it('a node opened by a command that failed before any hit ends with it; hex in its file name is no pointer', () => {
    const log = [
      '(QEMU) blockdev-add driver=qcow2 node-name=base0 file.driver=file file.filename=/tmp/0xdeadbeef.qcow2',
      'bdrv_open_common bs 0x5555558bf110 filename "/tmp/0xdeadbeef.qcow2" flags 0x2002 format_name "qcow2"',
      '{"error": {"class": "GenericError", "desc": "Image is not in qcow2 format"}}',
    ].join('\n');
    const ids = new Identities(parseTrace(log));
    const [node] = ids.incarnations('0x5555558bf110');
    assert.deepEqual([node.kind, node.driver, node.ended, node.createdIn], ['node', 'qcow2', 'deleted', 0]);
    assert.deepEqual(ids.incarnations('0xdeadbeef'), []);
    assert.deepEqual(
      ids.pointersOn(1).map((p) => p.identity.address),
      ['0x5555558bf110'],
    );
  });

  it('a QMP event printed between two frames leaves the backtrace whole, its frames on their own lines', () => {
    const log = [
      'Thread 1 "qemu-storage-da" hit Breakpoint 1, bdrv_replace_child_noperm (child=0x55555591f010, new_bs=0x0) at ../block.c:2832',
      '2832\t    BlockDriverState *old_bs = child->bs;',
      '(gdb) bt',
      '#0  bdrv_replace_child_noperm (child=0x55555591f010, new_bs=0x0) at ../block.c:2832',
      '{"timestamp": {"seconds": 1796135812, "microseconds": 988411}, "event": "BLOCK_EXPORT_DELETED", "data": {"id": "exp0"}}',
      '#1  0x00005555555e93b5 in bdrv_detach_child (child=0x55555591f010) at ../block.c:3078',
      '#2  0x00005555555e9809 in bdrv_unref_child (parent=0x5555558ed020, child=0x55555591f010) at ../block.c:3269',
      '(gdb) c',
    ].join('\n');
    const t = parseTrace(log);
    assert.deepEqual(t.backtraces, []);
    assert.deepEqual(
      t.hits[0].frames.map((f) => [f.level, f.function, f.logLine]),
      [
        [0, 'bdrv_replace_child_noperm', 3],
        [1, 'bdrv_detach_child', 5],
        [2, 'bdrv_unref_child', 6],
      ],
    );
    assert.equal(t.hits[0].frameCount, 3);
    assert.deepEqual(t.diagnostics, []);
    assert.equal(new Identities(t).pointersOn(6)[0]?.identity.address, '0x5555558ed020');
    // and the same for one of QEMU's trace lines there, which is read as well
    const traced = parseTrace(log.replace(/^\{"timestamp".*$/m, 'blk_root_detach child 0x5555558c72f0 blk 0x5555558c46e0 bs 0x5555558ed020'));
    assert.deepEqual(traced.backtraces, []);
    assert.deepEqual(
      traced.hits[0].frames.map((f) => f.logLine),
      [3, 5, 6],
    );
    assert.deepEqual(
      traced.events.map((e) => [e.kind, e.line, e.hitsBefore]),
      [['root-detach', 4, 1]],
    );
  });
});
