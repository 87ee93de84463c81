import * as assert from 'node:assert/strict';
import { BlockGraph } from '../../src/model/graph';
import { permString, type GraphView } from '../../src/model/graphView';
import { Identities } from '../../src/model/identities';
import { parseTrace } from '../../src/model/parser';
import { readFixture } from './helpers';

function replay(text: string): BlockGraph {
  const t = parseTrace(text);
  return BlockGraph.build(t, new Identities(t));
}

/** Edges as `parent —name→ child`, by address (a placeholder by its label), sorted. */
function edges(v: GraphView): string[] {
  const who = new Map(v.nodes.map((n) => [n.id, n.address ?? `(${n.label})`]));
  return v.edges.map((e) => `${who.get(e.parent)} —${e.name}→ ${who.get(e.child)}`).sort();
}

/** Edges by node label, for synthetic traces. */
function named(v: GraphView): string[] {
  const who = new Map(v.nodes.map((n) => [n.id, n.label]));
  return v.edges.map((e) => `${who.get(e.parent)} —${e.name}→ ${who.get(e.child)}`).sort();
}

describe('block graph replay: the sample (QEMU 7.1, snapshot + commit + complete)', () => {
  const g = replay(readFixture('traces/snapshot-commit-complete.log'));
  const DEV = '(guest device)';

  it('after hit 19: the device root moved to over01, over01 has its file and drive01 as backing', () => {
    const v = g.stateAfter(19);
    assert.deepEqual(edges(v), [`${DEV} —root→ 0x5555578ddc80`, '0x5555578ddc80 —backing→ 0x555556a7ae40', '0x5555578ddc80 —file→ 0x555556b08d20'].sort());
    const over = v.nodes.find((n) => n.address === '0x5555578ddc80')!;
    assert.deepEqual([over.name, over.driver, over.state], ['over01', 'qcow2', 'live']);
    assert.equal(v.nodes.find((n) => n.address === '0x555556a7ae40')!.name, 'drive01');
    const dev = v.nodes.find((n) => n.address === null)!;
    assert.deepEqual([dev.type, dev.state, dev.preExisting], ['block-backend', 'placeholder', true]);
    assert.deepEqual(
      v.edges.filter((e) => e.change === 'moved').map((e) => e.name),
      ['root'],
    );
  });

  it('after hit 25: the filter, job jobA with its three edges, and the target BlockBackend', () => {
    const v = g.stateAfter(25);
    assert.deepEqual(
      edges(v),
      [
        `${DEV} —root→ 0x5555578d7870`,
        '0x5555578d7870 —backing→ 0x5555578ddc80',
        '0x555556f9acd0 —main node→ 0x5555578d7870',
        '0x555556f9acd0 —source→ 0x5555578ddc80',
        '0x555556f9acd0 —target→ 0x555556a7ae40',
        '0x555557363a80 —root→ 0x555556a7ae40',
        '0x5555578ddc80 —file→ 0x555556b08d20',
        '0x5555578ddc80 —backing→ 0x555556a7ae40',
      ].sort(),
    );
    const job = v.nodes.find((n) => n.address === '0x555556f9acd0')!;
    assert.deepEqual([job.type, job.name, job.jobType], ['block-job', 'jobA', 'commit']);
    assert.equal(v.nodes.find((n) => n.address === '0x5555578d7870')!.label, 'mirror_top');
    assert.equal(v.nodes.find((n) => n.address === '0x555557363a80')!.type, 'block-backend');
    assert.deepEqual(
      v.edges.filter((e) => e.change).map((e) => [e.name, e.change]),
      [['target', 'added']],
    );
  });

  it('after hit 34: only the device root edge to drive01 is left', () => {
    const v = g.stateAfter(34);
    assert.deepEqual(edges(v), [`${DEV} —root→ 0x555556a7ae40`]);
    assert.deepEqual(v.removed.map((e) => e.name), ['file']);
    assert.ok(!v.nodes.some((n) => n.state === 'live' && n.address !== '0x555556a7ae40'), 'no live node but drive01');
  });

  it('explains hits 19, 27 and 31 in words', () => {
    assert.equal(g.changeAt(19)!.explanation, 'guest device —root→ moved from drive01 to over01 (bdrv_append)');
    assert.equal(g.changeAt(27)!.explanation, 'mirror_top —backing→ moved from over01 to drive01');
    assert.equal(g.changeAt(31)!.explanation, 'guest device —root→ moved from mirror_top to drive01');
    assert.equal(g.changeAt(18)!.explanation, 'attach over01 —backing→ drive01');
    assert.equal(g.changeAt(28)!.explanation, 'detach job jobA —target→ drive01');
    assert.equal(g.changeAt(30)!.explanation, 'detach job jobA —main node→ mirror_top; job jobA deleted');
  });

  it('shows drive01 and the device root edge from the start, as pre-existing', () => {
    const v = g.stateAfter(0);
    assert.deepEqual(edges(v), [`${DEV} —root→ 0x555556a7ae40`]);
    assert.ok(v.edges[0].preExisting);
    assert.deepEqual(v.edges[0].perm, null);
  });

  it('0x5555578ddc80 is a temporary node first and over01 later: two objects', () => {
    const early = g.stateAfter(1).nodes.find((n) => n.address === '0x5555578ddc80')!;
    const late = g.stateAfter(19).nodes.find((n) => n.address === '0x5555578ddc80')!;
    assert.notEqual(early.id, late.id);
    assert.equal(early.name, null);
  });

  it('a node left without parents is probably freed, and gone at the next command', () => {
    // hit 34 drops over01's file: the protocol node loses its last parent
    const v = g.stateAfter(34);
    assert.equal(v.nodes.find((n) => n.address === '0x555556b08d20')!.state, 'probably-freed');
    // the temporary nodes of the image creation are gone once block-commit starts
    assert.ok(!g.stateAfter(20).nodes.some((n) => n.state === 'probably-freed'));
  });

  it('permissions are those at attach, in render_block_graph.py letters', () => {
    const v = g.stateAfter(25);
    const target = v.edges.find((e) => e.name === 'root' && e.parent.startsWith('0x555557363a80'))!;
    assert.equal(permString(target.perm), 'w___');
    assert.equal(permString(null), '????');
  });
});

describe('block graph replay against QEMU’s own memory (the real traces’ .truth.json)', () => {
  for (const name of ['v7.1.0-stream', 'v10.2.0-mirror', 'v10.2.0-failures']) {
    it(`${name}: at every checkpoint the edges are QEMU's, by (parent, name, child) address`, () => {
      const g = replay(readFixture(`traces/${name}.log`));
      const truth = JSON.parse(readFixture(`traces/${name}.truth.json`)) as {
        afterHit: number;
        command: string;
        memGraph: { edges: { parent: string; name: string; bs: string }[]; nodes: { addr: string; node_name: string; driver: string }[] };
      }[];
      assert.ok(truth.length >= 8);
      for (const point of truth) {
        const v = g.stateAfter(point.afterHit);
        assert.deepEqual(edges(v), point.memGraph.edges.map((e) => `${e.parent} —${e.name}→ ${e.bs}`).sort(), `after hit ${point.afterHit} (${point.command.split('\n')[0]})`);
        // every node the replay shows live and QEMU holds has QEMU's name and driver
        for (const n of v.nodes) {
          const mem = point.memGraph.nodes.find((m) => m.addr === n.address);
          if (mem && n.type === 'block-driver' && n.name && !n.name.startsWith('#')) assert.equal(n.name, mem.node_name, `${n.address} after hit ${point.afterHit}`);
          if (mem && n.driver) assert.equal(n.driver, mem.driver);
        }
      }
    });
  }

  it('v10.2.0-failures: the permission conflict and the failed transaction roll back', () => {
    const g = replay(readFixture('traces/v10.2.0-failures.log'));
    assert.equal(g.changeAt(7)!.kind, 'rollback');
    assert.equal(g.changeAt(7)!.explanation, 'rollback: detach dup0 —file→ file0');
    // the failed command leaves nothing behind that it created: dup0 is gone after its last hit
    assert.match(g.changeAt(8)!.explanation, /; the command failed, so what it created is freed: dup0$/);
    assert.ok(!g.stateAfter(8).nodes.some((n) => n.name === 'dup0'));
    assert.deepEqual([g.changeAt(28)!.kind, g.changeAt(29)!.kind], ['rollback', 'rollback']);
    assert.match(g.changeAt(29)!.explanation, /moved from s0 to d0/);
  });
});

// ---------------------------------------------------------------------------------------------
// Synthetic traces: one hit per call, frames written as gdb prints them.

let pc = 0x5555555e0000;
function frame(level: number, text: string, file = '../block.c:100'): string {
  pc += 0x40;
  return level === 0 ? `#0  ${text} at ${file}` : `#${level}  0x0000${pc.toString(16)} in ${text} at ${file}`;
}
function hit(...calls: string[]): string {
  const head = calls[0];
  return [`Thread 1 "qemu-system-x86" hit Breakpoint 1, ${head} at ../block.c:2843`, '2843\t    BdrvChild *child = *childp;', ...calls.map((c, i) => frame(i, c)), frame(calls.length, 'main (argc=1, argv=0x7fffffffe3e8)', '../softmmu/main.c:50'), ''].join('\n');
}
const cmd = (text: string) => `(QEMU) ${text}\n`;
const open = (bs: string, name: string, drv = 'qcow2') => `bdrv_open_driver (bs=${bs}, drv=0x555555800000 <bdrv_${drv}>, node_name=0x5555557000 "${name}", options=0x0, open_flags=0, errp=0x0)`;

/** QEMU 7.1 attach: the parent is `opaque`, the edge pointer is not printed. */
function attach71(child: string, name: string, cls: 'child_of_bds' | 'child_root' | 'child_job', parent: string, opts: { tran?: string; perm?: number; shared?: number; role?: number; above?: string[] } = {}): string {
  return hit(
    `bdrv_replace_child_noperm (childp=0x7fffffffd4b8, new_bs=${child}, free_empty_child=true)`,
    `bdrv_attach_child_common (child_bs=${child}, child_name=0x555555765778 "${name}", child_class=0x555555802ac0 <${cls}>, child_role=${opts.role ?? 8}, perm=${opts.perm ?? 1}, shared_perm=${opts.shared ?? 15}, opaque=${parent}, child=0x7fffffffd5a0, tran=${opts.tran ?? '0x5555558c0000'}, errp=0x7fffffffdd70)`,
    ...(opts.above ?? ['bdrv_attach_child_noperm (parent_bs=0x0)']),
  );
}

describe('block graph replay: synthetic QEMU 7.1 stacks, one per frame-#1 case', () => {
  const A = '0x555556000100'; // base
  const B = '0x555556000200'; // top
  const C = '0x555556000300'; // new overlay
  const BLK = '0x555557000100';
  const JOB = '0x555558000100';

  it('attach: a node, a BlockBackend and a job as parents, with names from bdrv_open_driver', () => {
    const log =
      attach71(A, 'backing', 'child_of_bds', B, { above: [open(B, 'top'), open(A, 'base')] }) +
      attach71(B, 'root', 'child_root', BLK) +
      attach71(B, 'main node', 'child_job', JOB, { role: 0, perm: 0 });
    const g = replay(log);
    const v = g.stateAfter(3);
    assert.deepEqual(named(v), ['top —backing→ base', `BlockBackend ${BLK} —root→ top`, `job ${JOB} —main node→ top`].sort());
    assert.deepEqual(
      v.nodes.map((n) => n.type).sort(),
      ['block-backend', 'block-driver', 'block-driver', 'block-job'],
    );
    assert.equal(g.changeAt(1)!.explanation, 'attach top —backing→ base');
    assert.deepEqual(v.edges.find((e) => e.name === 'backing')!.role, ['cow']);
  });

  const detach71 = (caller: string, childPtr: string) =>
    hit('bdrv_replace_child_noperm (childp=0x7fffffffd808, new_bs=0x0, free_empty_child=true)', 'bdrv_detach_child (childp=0x7fffffffd808)', `bdrv_root_unref_child (child=${childPtr})`, caller);

  it('detach: blk_remove_bs takes the BlockBackend’s root; the BlockBackend goes with blk_delete', () => {
    const g = replay(attach71(B, 'root', 'child_root', BLK) + detach71(`blk_remove_bs (blk=${BLK})`, '0x555559000001').replace('main (argc', `blk_delete (blk=${BLK}) at x.c:1\n#9 0x0 in main (argc`));
    assert.deepEqual(named(g.stateAfter(2)), []);
    assert.equal(g.changeAt(2)!.explanation, `detach BlockBackend ${BLK} —root→ ${B}; BlockBackend ${BLK} deleted`);
    assert.deepEqual(g.stateAfter(2).removed[0].address, '0x555559000001', 'the edge pointer is learnt from bdrv_root_unref_child');
  });

  it('detach inside bdrv_close: children go newest first', () => {
    const log =
      attach71(A, 'file', 'child_of_bds', C, { above: [open(C, 'ov')] }) +
      attach71(B, 'backing', 'child_of_bds', C) +
      detach71(`bdrv_unref_child (parent=${C}, child=0x555559000002)`, '0x555559000002') +
      detach71(`bdrv_unref_child (parent=${C}, child=0x555559000003)`, '0x555559000003');
    const g = replay(log);
    assert.match(g.changeAt(3)!.explanation, /^detach ov —backing→/);
    assert.match(g.changeAt(4)!.explanation, /^detach ov —file→/);
  });

  it('detach by block_job_remove_all_bdrv: the job’s newest edge first; the job goes with its last', () => {
    const log =
      attach71(B, 'main node', 'child_job', JOB) +
      attach71(A, 'source', 'child_job', JOB) +
      attach71(C, 'target', 'child_job', JOB) +
      [1, 2, 3].map((i) => detach71(`block_job_remove_all_bdrv (job=${JOB})`, `0x55555900001${i}`)).join('');
    const g = replay(log);
    assert.deepEqual([4, 5, 6].map((h) => g.stateAfter(h).removed[0].name), ['target', 'source', 'main node']);
    // the deleted job is drawn faded at the hit that removed its last edge, live before
    assert.equal(g.stateAfter(6).nodes.find((n) => n.type === 'block-job')!.state, 'probably-freed');
    assert.equal(g.stateAfter(5).nodes.find((n) => n.type === 'block-job')!.state, 'live');
    assert.match(g.changeAt(6)!.explanation, /job 0x555558000100 deleted$/);
  });

  const move71 = (from: string, to: string, above: string) =>
    hit(
      `bdrv_replace_child_noperm (childp=0x7fffffffd5e8, new_bs=${to}, free_empty_child=false)`,
      `bdrv_replace_child_tran (childp=0x7fffffffd5e8, new_bs=${to}, tran=0x5555558c0000, free_empty_child=true)`,
      `bdrv_replace_node_noperm (from=${from}, to=${to}, auto_skip=true, tran=0x5555558c0000, errp=0x0)`,
      above,
    );

  it('move: parents of `from` newest first, but not job edges nor edges inside `to`’s subtree', () => {
    const BLK2 = '0x555557000200';
    const log =
      attach71(B, 'root', 'child_root', BLK) + // 1: older parent of B
      attach71(B, 'root', 'child_root', BLK2) + // 2: newer parent of B
      attach71(B, 'source', 'child_job', JOB) + // 3: a job edge stays
      attach71(B, 'backing', 'child_of_bds', C, { above: [open(C, 'ov')] }) + // 4: C's backing: inside C's subtree
      move71(B, C, 'bdrv_append (bs_new=0x0)') + // 5: newest eligible: BLK2
      move71(B, C, 'bdrv_append (bs_new=0x0)'); // 6: then BLK
    const g = replay(log);
    assert.equal(g.changeAt(5)!.explanation, `BlockBackend ${BLK2} —root→ moved from ${B} to ov (bdrv_append)`);
    assert.equal(g.changeAt(6)!.explanation, `BlockBackend ${BLK} —root→ moved from ${B} to ov (bdrv_append)`);
    const v = g.stateAfter(6);
    assert.deepEqual(named(v), [`BlockBackend ${BLK} —root→ ov`, `BlockBackend ${BLK2} —root→ ov`, `job ${JOB} —source→ ${B}`, `ov —backing→ ${B}`].sort());
    const moved = v.edges.find((e) => e.change === 'moved')!;
    assert.equal(moved.from, `${B}#1`);
  });

  it('move of a parent no hit showed: a pre-existing placeholder, there from hit 1', () => {
    const log = attach71(A, 'file', 'child_of_bds', C, { above: [open(C, 'ov')] }) + attach71(B, 'backing', 'child_of_bds', C) + move71(B, C, 'bdrv_append (bs_new=0x0)');
    const g = replay(log);
    assert.deepEqual(named(g.stateAfter(0)), [`guest device —root→ ${B}`]);
    assert.deepEqual(named(g.stateAfter(3)), ['guest device —root→ ov', `ov —backing→ ${B}`, `ov —file→ ${A}`].sort());
  });

  it('detach by bdrv_remove_file_or_backing_child, and set_file_or_backing’s is_backing', () => {
    const log =
      attach71(A, 'file', 'child_of_bds', B, { above: [open(B, 'top')] }) +
      attach71(C, 'backing', 'child_of_bds', B) +
      hit(
        'bdrv_replace_child_noperm (childp=0x5555558bb8a0, new_bs=0x0, free_empty_child=false)',
        'bdrv_replace_child_tran (childp=0x5555558bb8a0, new_bs=0x0, tran=0x5555558732f0, free_empty_child=false)',
        `bdrv_remove_file_or_backing_child (bs=${B}, child=0x55555589e3e0, tran=0x5555558732f0)`,
        `bdrv_set_file_or_backing_noperm (parent_bs=${B}, child_bs=0x0, is_backing=true, tran=0x5555558732f0, errp=0x0)`,
      );
    const g = replay(log);
    assert.equal(g.changeAt(3)!.explanation, `detach top —backing→ ${C}`);
    assert.equal(g.stateAfter(3).removed[0].address, '0x55555589e3e0');
    assert.equal(g.stateAfter(3).nodes.find((n) => n.address === C)!.state, 'probably-freed');
  });

  it('rollbacks: an aborted attach and an aborted move are undone, found by their transaction', () => {
    const TRAN = '0x55555589a630';
    const BLK2 = '0x555557000200';
    const abortAttach = hit('bdrv_replace_child_noperm (childp=0x7fffffffd000, new_bs=0x0, free_empty_child=true)', 'bdrv_attach_child_common_abort (opaque=0x555555aaa000)', `tran_abort (tran=${TRAN})`, 'tran_finalize (tran=0x0, ret=-1)');
    const abortMove = hit(`bdrv_replace_child_noperm (childp=0x7fffffffd100, new_bs=${B}, free_empty_child=false)`, 'bdrv_replace_child_abort (opaque=0x555555aab000)', `tran_abort (tran=${TRAN})`);
    const log =
      attach71(B, 'root', 'child_root', BLK2, { tran: '0x555555000001' }) + // 1
      attach71(B, 'backing', 'child_of_bds', C, { tran: TRAN, above: [open(C, 'ov')] }) + // 2
      hit(
        `bdrv_replace_child_noperm (childp=0x7fffffffd5e8, new_bs=${C}, free_empty_child=false)`,
        `bdrv_replace_child_tran (childp=0x7fffffffd5e8, new_bs=${C}, tran=${TRAN}, free_empty_child=true)`,
        `bdrv_replace_node_noperm (from=${B}, to=${C}, auto_skip=true, tran=${TRAN}, errp=0x0)`,
      ) + // 3
      abortMove + // 4
      abortAttach; // 5
    const g = replay(log);
    assert.equal(g.changeAt(4)!.kind, 'rollback');
    assert.equal(g.changeAt(4)!.explanation, `rollback: BlockBackend ${BLK2} —root→ moved from ov to ${B}`);
    assert.equal(g.changeAt(5)!.explanation, `rollback: detach ov —backing→ ${B}`);
    assert.deepEqual(named(g.stateAfter(5)), [`BlockBackend ${BLK2} —root→ ${B}`]);
  });

  it('rollback of a removal inside a transaction puts the same edge back', () => {
    const TRAN = '0x5555558732f0';
    const log =
      attach71(A, 'backing', 'child_of_bds', B, { above: [open(B, 'top'), open(A, 'base')] }) +
      hit(
        'bdrv_replace_child_noperm (childp=0x5555558bb8a0, new_bs=0x0, free_empty_child=false)',
        `bdrv_replace_child_tran (childp=0x5555558bb8a0, new_bs=0x0, tran=${TRAN}, free_empty_child=false)`,
        `bdrv_remove_file_or_backing_child (bs=${B}, child=0x55555589e3e0, tran=${TRAN})`,
        `bdrv_set_file_or_backing_noperm (parent_bs=${B}, child_bs=${C}, is_backing=true, tran=${TRAN}, errp=0x0)`,
      ) +
      hit(`bdrv_replace_child_noperm (childp=0x5555558bb8a0, new_bs=${A}, free_empty_child=false)`, 'bdrv_replace_child_abort (opaque=0x555555aab000)', `tran_abort (tran=${TRAN})`, 'tran_finalize (tran=0x0, ret=-1)');
    const g = replay(log);
    assert.deepEqual(named(g.stateAfter(2)), []);
    assert.equal(g.changeAt(3)!.explanation, 'rollback: reattach top —backing→ base');
    assert.deepEqual(named(g.stateAfter(3)), ['top —backing→ base']);
    assert.equal(g.stateAfter(3).edges[0].id, g.stateAfter(1).edges[0].id, 'the same edge, not a new one');
    assert.equal(g.stateAfter(3).edges[0].change, 'added');
  });

  it('hits of other breakpoints and stacks it does not know change nothing, and say so', () => {
    const other = `Thread 1 "qemu-system-x86" hit Breakpoint 2, bdrv_co_pwritev (child=0x555559000001, offset=0) at ../block/io.c:1700\n${frame(0, 'bdrv_co_pwritev (child=0x555559000001, offset=0)', '../block/io.c:1700')}\n\n`;
    const strange = hit('bdrv_replace_child_noperm (childp=0x7fffffffd000, new_bs=0x0, free_empty_child=true)', 'some_new_function (bs=0x555556000100)');
    const g = replay(attach71(B, 'root', 'child_root', BLK) + other + strange);
    assert.deepEqual([g.changeAt(2)!.kind, g.changeAt(3)!.kind], ['none', 'unrecognised']);
    assert.match(g.changeAt(2)!.explanation, /^no graph change: stopped in bdrv_co_pwritev \(breakpoint 2\)/);
    assert.match(g.changeAt(3)!.explanation, /called from some_new_function/);
    assert.deepEqual(named(g.stateAfter(3)), named(g.stateAfter(1)));
  });

  it('a node freed and its address reused is a new object; freed nodes leave at the next command', () => {
    const log =
      cmd('blockdev-add driver=qcow2 node-name=tmp') +
      attach71(A, 'root', 'child_root', BLK) +
      detach71(`blk_remove_bs (blk=${BLK})`, '0x555559000001') +
      cmd('blockdev-add driver=qcow2 node-name=x') +
      attach71(A, 'file', 'child_of_bds', C, { above: [open(C, 'x'), open(A, 'x-file', 'file')] });
    const g = replay(log);
    assert.equal(g.stateAfter(2).nodes.find((n) => n.address === A)!.state, 'probably-freed');
    const v = g.stateAfter(3);
    assert.deepEqual(named(v), ['x —file→ x-file']);
    assert.equal(v.nodes.filter((n) => n.address === A).length, 1);
  });

  it('state at any hit from checkpoints equals replaying by hand, over many checkpoints', () => {
    // 300 hits: attach a new BlockBackend to B, every third hit detach the newest
    let log = '';
    const live: string[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 2) {
        const blk = live.pop()!;
        log += detach71(`blk_remove_bs (blk=${blk})`, `0x5555590${(i + 1000).toString(16)}`);
      } else {
        const blk = `0x5555570${(i + 0x1000).toString(16)}`;
        live.push(blk);
        log += attach71(B, 'root', 'child_root', blk);
      }
      expected.push(live.length);
    }
    const g = replay(log);
    assert.equal(g.hitCount, 300);
    for (let n = 1; n <= 300; n++) assert.equal(g.stateAfter(n).edges.length, expected[n - 1], `after hit ${n}`);
  });
});

describe('block graph replay: QEMU 7.2+ prints the edge itself', () => {
  const P = '0x555555896c40';
  const A = '0x555556000100';
  const B = '0x555556000200';
  const BLK = '0x555557000100';
  const hit72 = (edge: string, newBs: string, ...above: string[]) => hit(`bdrv_replace_child_noperm (child=${edge}, new_bs=${newBs})`, ...above);
  const attach = (edge: string, child: string, name: string, cls: string, parent: string) =>
    hit72(edge, child, `bdrv_attach_child_common (child_bs=${child}, child_name=0x555555762d83 "${name}", child_class=0x5555557f53e0 <${cls}>, child_role=8, perm=1, shared_perm=15, opaque=${parent}, tran=0x55555589a630, errp=0x0)`);

  it('attach, move and detach are told by the edge pointer, whatever the callers', () => {
    const log =
      attach(P, A, 'root', 'child_root', BLK) +
      hit72(P, B, `bdrv_replace_child_tran (child=${P}, new_bs=${B}, tran=0x555555896050)`, 'some_future_function (x=1)') +
      hit72(P, '0x0', `bdrv_root_unref_child (child=${P})`, 'yet_another_caller (x=1)');
    const g = replay(log);
    assert.deepEqual(g.stateAfter(1).edges.map((e) => e.address), [P]);
    assert.equal(g.changeAt(2)!.explanation, `BlockBackend ${BLK} —root→ moved from ${A} to ${B}`);
    assert.equal(g.changeAt(3)!.kind, 'detach');
    assert.deepEqual(named(g.stateAfter(3)), []);
  });

  it('an abort prints the edge too: bdrv_attach_child_common_abort undoes that attach', () => {
    const log = attach(P, A, 'file', 'child_of_bds', B) + hit72(P, '0x0', 'bdrv_attach_child_common_abort (opaque=0x55555589c9f0)', 'tran_abort (tran=0x55555589a630)');
    const g = replay(log);
    assert.equal(g.changeAt(2)!.kind, 'rollback');
    assert.deepEqual(named(g.stateAfter(2)), []);
  });

  it('an aborted removal prints the edge, and it comes back', () => {
    const log =
      attach(P, A, 'backing', 'child_of_bds', B) +
      hit72(P, '0x0', `bdrv_replace_child_tran (child=${P}, new_bs=0x0, tran=0x55555589a630)`, `bdrv_remove_child (child=${P}, tran=0x55555589a630)`) +
      hit72(P, A, 'bdrv_replace_child_abort (opaque=0x55555589c9f0)', 'tran_abort (tran=0x55555589a630)');
    const g = replay(log);
    assert.equal(g.changeAt(2)!.kind, 'detach');
    assert.equal(g.changeAt(3)!.kind, 'rollback');
    assert.deepEqual(g.stateAfter(3).edges.map((e) => [e.name, e.address]), [['backing', P]]);
  });

  it('an edge pointer moved before any attach is a pre-existing edge of a placeholder parent', () => {
    const log = hit72(P, B, `bdrv_replace_child_tran (child=${P}, new_bs=${B}, tran=0x1)`, `bdrv_replace_node_noperm (from=${A}, to=${B}, auto_skip=true, tran=0x1, errp=0x0)`);
    const g = replay(log);
    const v0 = g.stateAfter(0);
    assert.deepEqual(named(v0), [`guest device —root→ ${A}`]);
    assert.equal(v0.edges[0].address, P);
  });
});

describe('block graph replay on bad input', () => {
  it('a damaged log replays without throwing; every hit has an explanation', () => {
    const g = replay(readFixture('malformed/damaged.gdb.log'));
    assert.ok(g.hitCount > 0);
    for (let n = 1; n <= g.hitCount; n++) {
      assert.ok(g.changeAt(n)!.explanation.length > 0);
      assert.doesNotThrow(() => g.stateAfter(n));
    }
    // its last hit lost frame #2 to line damage: said so, and the graph before it is kept whole
    const last = g.changeAt(g.hitCount)!;
    assert.equal(last.kind, 'unrecognised');
    assert.match(last.explanation, /^no graph change known: a detach whose edge is not printed: frame #2 is bdrv_root_unre, not bdrv_root_unref_child$/);
    assert.deepEqual(edges(g.stateAfter(g.hitCount)), edges(g.stateAfter(g.hitCount - 1)));
    assert.equal(g.stateAfter(g.hitCount - 1).explanation, 'attach job jobA —target→ drive01');
  });

  it('a hit cut off before its frames says it cannot tell, and changes nothing', () => {
    const g = replay('Thread 1 "qemu-system-x86" hit Breakpoint 1, bdrv_replace_child_noperm (childp=0x7ffd, new_bs=0x555556000100, free_empty_child=true) at ../block.c:2843\n2843\t    BdrvChild *child = *childp;\n(gdb) c\n');
    assert.equal(g.changeAt(1)!.kind, 'unrecognised');
    assert.deepEqual(g.stateAfter(1).edges, []);
  });
});

describe('block graph DOT', () => {
  it('escapes whatever a log names a node: quotes, backslashes, markup stay text', async () => {
    const { graphToDot, dotString } = await import('../../src/model/dot');
    const { dotToSvg } = await import('../../src/render/svg');
    assert.equal(dotString('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
    const evil = 'a\\b" ] ; n9 [label="<script>alert(1)</script>';
    const log =
      hit(
        'bdrv_replace_child_noperm (childp=0x7fffffffd4b8, new_bs=0x555556000100, free_empty_child=true)',
        `bdrv_attach_child_common (child_bs=0x555556000100, child_name=0x555555765778 "file", child_class=0x555555802ac0 <child_of_bds>, child_role=8, perm=1, shared_perm=15, opaque=0x555556000200, child=0x7fffffffd5a0, tran=0x5555558c0000, errp=0x0)`,
        open('0x555556000200', evil.replace(/\\/g, '\\\\').replace(/"/g, '\\"')),
      );
    const v = replay(log).stateAfter(1);
    const dot = graphToDot(v);
    const svg = await dotToSvg(dot);
    assert.ok(!svg.includes('<script>'), 'no markup from the log in the SVG');
    assert.ok(svg.includes('a\\b&quot; ] ; n9 [label=&quot;&lt;script&gt;alert(1)&lt;/script&gt; [qcow2]') || svg.includes('a\\b" ] ; n9 [label="&lt;script&gt;alert(1)&lt;/script&gt; [qcow2]'), svg);
    assert.equal((dot.match(/^ {2}n\d+ \[/gm) ?? []).length, 2, 'two nodes, no injected one');
  });
});

describe('block graph replay: a long session whose graph grows', () => {
  // the sample 100 times over, each copy's objects at other addresses: 3,400 hits, and the nodes
  // each copy leaves behind add up to a graph of some 200 nodes
  const sample = readFixture('traces/snapshot-commit-complete.log');
  const copies = Array.from({ length: 100 }, (_, i) =>
    sample.replace(/\b0x(5555[0-9a-f]{8}|7ff[0-9a-f]{9})\b/g, (_m, hex: string) => `0x${(parseInt(hex, 16) + i * 0x100000).toString(16).padStart(12, '0')}`),
  );
  const t = parseTrace(copies.join(''));
  const ids = new Identities(t);
  const spaced = BlockGraph.build(t, ids);
  const reference = BlockGraph.build(t, ids, true);

  it('grows: copies of its state are spaced by how large it is, not only every 64 hits', () => {
    assert.equal(t.hits.length, 100 * 34);
    assert.ok(spaced.stateAfter(t.hits.length).nodes.length > 150, 'the graph grows');
    const count = (g: BlockGraph) => (g as unknown as { checkpoints: unknown[] }).checkpoints.length;
    assert.equal(count(reference), t.hits.length + 1);
    assert.ok(count(spaced) < t.hits.length / 64, `${count(spaced)} copies of the state`);
  });

  it('gives at every hit the state a copy after each hit gives', () => {
    // every hit of two stretches, and every seventh of the rest
    const at = (n: number) => n <= 400 || (n >= 2000 && n <= 2400) || n % 7 === 0 || n === t.hits.length;
    for (let n = 0; n <= t.hits.length; n++) {
      if (!at(n)) continue;
      assert.deepEqual(spaced.stateAfter(n), reference.stateAfter(n), `after hit ${n}`);
      if (n > 0) assert.deepEqual(spaced.stateAtStop(n), reference.stateAtStop(n), `at the stop of hit ${n}`);
    }
  });
});
