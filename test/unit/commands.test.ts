import * as assert from 'node:assert/strict';
import { argumentsFromFrame } from '../../src/model/attribution';
import { parseQmpJson, parseQmpShellCommand } from '../../src/model/qmp';
import { commandLabel } from '../../src/model/qmp';
import { formatSummary } from '../../src/model/summary';
import { parseTrace } from '../../src/model/parser';
import { type Trace } from '../../src/model/trace';
import { readFixture } from './helpers';

let hitNo = 0;
/** One breakpoint hit with `bt`: frames given innermost first, as `function (args) at file:line`. */
function hit(...frames: string[]): string[] {
  hitNo++;
  return [
    '',
    `Thread 1 "qemu-system-x86" hit Breakpoint 1, bdrv_replace_child_noperm (childp=0x7ffd3ebf2b78, new_bs=0x55555${hitNo}, free_empty_child=true) at ../block.c:2843`,
    '2843\t    BdrvChild *child = *childp;',
    '(gdb) bt',
    '#0  bdrv_replace_child_noperm (childp=0x7ffd3ebf2b78, new_bs=0x5555578ddc80, free_empty_child=true) at ../block.c:2843',
    ...frames.map((f, i) => `#${i + 1}  0x0000555555d6${String(i).padStart(4, '0')} in ${f}`),
    '(gdb) c',
    'Continuing.',
  ];
}

const COROUTINE = ['bdrv_create_co_entry (opaque=0x7fffffffd540) at ../block.c:534', 'coroutine_trampoline (i0=1466004512, i1=21845) at ../util/coroutine-ucontext.c:177'];
const MAIN_LOOP = ['aio_bh_call (bh=0x55555716a280) at ../util/async.c:150', 'main (argc=30, argv=0x7fffffffdd98) at ../softmmu/main.c:47'];
const SNAPSHOT_SYNC = (node: string) => [
  `qmp_blockdev_snapshot_sync (has_device=false, device=0x0, has_node_name=true, node_name=0x5555572b1b90 "${node}", snapshot_file=0x5555571580f0 "/tmp/${node}-over.qcow2", has_snapshot_node_name=true, snapshot_node_name=0x555557158230 "${node}-over", has_format=false, format=0x0, has_mode=false, mode=NEW_IMAGE_MODE_EXISTING, errp=0x7fffffffd928) at ../blockdev.c:1070`,
  'qmp_marshal_blockdev_snapshot_sync (args=0x7fffe0003910, ret=0x7ffff7fcbd98, errp=0x7ffff7fcbd90) at qapi/qapi-commands-block-core.c:280',
  'do_qmp_dispatch_bh (opaque=0x7ffff7fcbe30) at ../qapi/qmp-dispatch.c:128',
  ...MAIN_LOOP,
];
const JOB_START = (jobId: string, job: string) => [
  `block_job_add_bdrv (job=${job}, name=0x5555560d3340 "main node", bs=0x5555578d7870, perm=1, shared_perm=7, errp=0x7fffffffd770) at ../blockjob.c:243`,
  `block_job_create (job_id=0x555557617de0 "${jobId}", driver=0x55555640f320 <commit_active_job_driver>, txn=0x0, bs=0x5555578d7870, perm=1, shared_perm=7, flags=0, speed=0, cb=0x0, opaque=0x0, errp=0x7fffffffd770) at ../blockjob.c:408`,
];
const JOB_EXIT = (job: string) => [
  `job_completed (job=${job}) at ../job.c:921`,
  `job_exit (opaque=${job}) at ../job.c:941`,
  ...MAIN_LOOP,
];

function names(t: Trace) {
  return t.commands.map((c) => [c.name, c.origin, c.hits]);
}

describe('qmp-shell command lines', () => {
  it('reads key=value pairs with qmp-shell value rules and dotted keys', () => {
    const c = parseQmpShellCommand('blockdev-add driver=qcow2 node-name=x0 file.driver=file file.filename=/tmp/x.qcow2 backing=null read-only=true size=1024 opts={"a":[1]} cache.direct=on', 7);
    assert.ok(c);
    assert.equal(c.name, 'blockdev-add');
    assert.equal(c.line, 7);
    assert.deepEqual(c.arguments, {
      driver: 'qcow2',
      'node-name': 'x0',
      file: { driver: 'file', filename: '/tmp/x.qcow2' },
      backing: null,
      'read-only': true,
      size: 1024,
      opts: { a: [1] },
      cache: { direct: 'on' },
    });
  });

  it('rejects what is not a command', () => {
    assert.equal(parseQmpShellCommand('-- not a command', 0), null);
    assert.equal(parseQmpShellCommand('block-commit device', 0), null);
  });

  it('labels commands as typed, transactions by their actions', () => {
    const c = parseQmpShellCommand('block-commit device=over01 job-id=jobA', 0)!;
    assert.equal(commandLabel(c), 'block-commit device=over01 job-id=jobA');
  });

  it('raw QMP: commands, replies, events, broken JSON', () => {
    const cmd = parseQmpJson('{"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "n0"}}', 3);
    assert.equal(cmd?.kind, 'command');
    assert.deepEqual(cmd?.kind === 'command' && cmd.command.arguments, { driver: 'null-co', 'node-name': 'n0' });
    assert.equal(parseQmpJson('{"return": {}}', 0)?.kind, 'reply');
    assert.equal(parseQmpJson('{"event": "BLOCK_JOB_READY", "data": {}}', 0)?.kind, 'event');
    assert.equal(parseQmpJson('{"execute": "x", oops}', 0)?.kind, 'bad');
    assert.equal(parseQmpJson('{"unrelated": 1}', 0), null);
  });
});

describe('attributing hits to commands (design.md §4)', () => {
  it('coroutine hits before the first command belong to the command the next hits name (inferred)', () => {
    const t = parseTrace([...hit(...COROUTINE), ...hit(...COROUTINE), ...hit('bdrv_append (bs_new=0x1, bs_top=0x2, errp=0x3) at ../block.c:5343', ...SNAPSHOT_SYNC('drive01'))].join('\n'));
    assert.deepEqual(names(t), [['blockdev-snapshot-sync', 'inferred', [1, 2, 3]]]);
    const c = t.commands[0];
    assert.deepEqual(c.arguments, { 'node-name': 'drive01', 'snapshot-file': '/tmp/drive01-over.qcow2', 'snapshot-node-name': 'drive01-over' });
    assert.deepEqual(c.inferredFrom, { hit: 3, frame: 3, function: 'qmp_marshal_blockdev_snapshot_sync' });
    assert.equal(c.line, null);
    assert.deepEqual(
      t.hits.map((h) => h.command),
      [0, 0, 0],
    );
  });

  it('an explicit command line opens a section; hits after it belong to it', () => {
    const t = parseTrace(
      [
        '==================================',
        '(QEMU) blockdev-add driver=qcow2 node-name=d0 file=file0',
        ...hit('bdrv_open_inherit (filename=0x0) at ../block.c:4148', 'qmp_blockdev_add (options=0x7fffffffdf70, errp=0x7fffffffe028) at ../blockdev.c:3435', 'qmp_marshal_blockdev_add (args=0x1, ret=0x2, errp=0x3) at qapi/qapi-commands-block-core.c:1417'),
        ...hit(...COROUTINE),
        '(QEMU) nbd-server-start addr.type=unix addr.data.path=/tmp/nbd.sock',
        '(QEMU) quit',
        ...hit('bdrv_close_all () at ../block.c:4991', 'main (argc=5, argv=0x7fffffffe3e8) at ../storage-daemon/qemu-storage-daemon.c:439'),
      ].join('\n'),
    );
    assert.deepEqual(names(t), [
      ['blockdev-add', 'qmp-shell', [1, 2]],
      ['nbd-server-start', 'qmp-shell', []],
      ['quit', 'qmp-shell', [3]],
    ]);
    assert.deepEqual(t.commands[1].arguments, { addr: { type: 'unix', data: { path: '/tmp/nbd.sock' } } });
  });

  it('hits before any explicit command with no QMP frames belong to none', () => {
    const t = parseTrace([...hit(...MAIN_LOOP), '(QEMU) quit', ...hit(...MAIN_LOOP)].join('\n'));
    assert.deepEqual(
      t.hits.map((h) => h.command),
      [null, 0],
    );
    assert.match(formatSummary(t, 'x.log').join('\n'), /hits 1 \(1\) {2}before any command/);
  });

  it('frames that disagree with the command line win: an inferred command is inserted', () => {
    const t = parseTrace(['(QEMU) query-block', ...hit(...SNAPSHOT_SYNC('drive01')), ...hit(...COROUTINE)].join('\n'));
    assert.deepEqual(names(t), [
      ['query-block', 'qmp-shell', []],
      ['blockdev-snapshot-sync', 'inferred', [1, 2]],
    ]);
  });

  it('the same command run twice from an unlogged monitor is two commands, told apart by arguments', () => {
    const t = parseTrace([...hit(...SNAPSHOT_SYNC('a')), ...hit(...SNAPSHOT_SYNC('a')), ...hit(...SNAPSHOT_SYNC('b'))].join('\n'));
    assert.deepEqual(names(t), [
      ['blockdev-snapshot-sync', 'inferred', [1, 2]],
      ['blockdev-snapshot-sync', 'inferred', [3]],
    ]);
  });

  it('job completion hits belong to the command that acted on the job, and name the job', () => {
    const t = parseTrace(
      [
        '(QEMU) block-commit device=over01 job-id=jobA',
        ...hit(...JOB_START('jobA', '0x555556f9acd0'), 'qmp_block_commit (has_job_id=true, job_id=0x555557617de0 "jobA", device=0x555557158150 "over01") at ../blockdev.c:2769', 'qmp_marshal_block_commit (args=0x1, ret=0x2, errp=0x3) at qapi/qapi-commands-block-core.c:409'),
        '(QEMU) query-jobs',
        '(QEMU) block-job-complete device=jobA',
        '(QEMU) query-block',
        ...hit('mirror_exit_common (job=0x555556f9acd0) at ../block/mirror.c:687', ...JOB_EXIT('0x555556f9acd0')),
        ...hit(...JOB_EXIT('0x555556f9acd0')),
      ].join('\n'),
    );
    assert.deepEqual(names(t), [
      ['block-commit', 'qmp-shell', [1]],
      ['query-jobs', 'qmp-shell', []],
      ['block-job-complete', 'qmp-shell', [2, 3]],
      ['query-block', 'qmp-shell', []],
    ]);
    assert.deepEqual(
      t.hits.map((h) => h.job),
      [null, 'jobA', 'jobA'],
    );
  });

  it('a job that completes by itself belongs to the command that started it', () => {
    const t = parseTrace(
      [
        '(QEMU) block-stream device=top job-id=s1 base-node=base',
        ...hit('block_job_add_bdrv (job=0x5555558c9d00, name=0x1 "main node", bs=0x2, perm=0, shared_perm=15, errp=0x3) at ../blockjob.c:243', 'stream_start (job_id=0x5555558b7cd0 "s1", bs=0x1) at ../block/stream.c:352', 'qmp_block_stream (job_id=0x5555558b7cd0 "s1") at ../blockdev.c:2560', 'qmp_marshal_block_stream (args=0x1, ret=0x2, errp=0x3) at qapi/qapi-commands-block-core.c:900'),
        '(QEMU) block-stream device=top job-id=s2',
        ...hit(...JOB_EXIT('0x5555558c9d00')),
      ].join('\n'),
    );
    assert.deepEqual(names(t), [
      ['block-stream', 'qmp-shell', [1, 2]],
      ['block-stream', 'qmp-shell', []],
    ]);
    assert.equal(t.hits[1].job, 's1');
  });

  it('HMP commands own the hits their hmp_* frames run, even when those call QMP code', () => {
    const t = parseTrace(['(qemu) snapshot_blkdev drive0 /tmp/s.qcow2 qcow2', ...hit('hmp_snapshot_blkdev (mon=0x1, qdict=0x2) at ../block/monitor/block-hmp-cmds.c:340', ...SNAPSHOT_SYNC('drive0').slice(0, 1))].join('\n'));
    assert.deepEqual(names(t), [['snapshot_blkdev', 'hmp', [1]]]);
    assert.deepEqual(t.commands[0].arguments, { args: ['drive0', '/tmp/s.qcow2', 'qcow2'] });
  });

  it('raw QMP commands, replies, pretty-printed JSON, and qmp-shell -v echoes', () => {
    const t = parseTrace(
      [
        '{"execute": "blockdev-add", "arguments": {"driver": "null-co", "node-name": "n0"}}',
        ...hit(...MAIN_LOOP),
        '{"return": {}}',
        '(QEMU) blockdev-del node-name=n0',
        '{"execute": "blockdev-del", "arguments": {"node-name": "n0"}}',
        '{',
        '    "return": {}',
        '}',
        '{',
        '    "execute": "query-named-block-nodes"',
        '}',
      ].join('\n'),
    );
    assert.deepEqual(names(t), [
      ['blockdev-add', 'qmp', [1]],
      ['blockdev-del', 'qmp-shell', []],
      ['query-named-block-nodes', 'qmp', []],
    ]);
    assert.deepEqual(t.commands[0].reply, { return: {} });
    assert.deepEqual(t.commands[1].reply, { return: {} });
  });

  it('a qmp-shell transaction spanning lines is one command with its actions', () => {
    const t = parseTrace(
      [
        '(QEMU) transaction(',
        'TRANS> blockdev-snapshot-sync node-name=d0 snapshot-file=/tmp/s0.qcow2 snapshot-node-name=s0 format=qcow2',
        'TRANS> block-dirty-bitmap-add node=d0 name=bm0',
        'TRANS> )',
        ...hit('qmp_transaction (actions=0x1, properties=0x0, errp=0x2) at ../blockdev.c:2358', 'qmp_marshal_transaction (args=0x1, ret=0x2, errp=0x3) at qapi/qapi-commands-transaction.c:45'),
      ].join('\n'),
    );
    assert.deepEqual(names(t), [['transaction', 'qmp-shell', [1]]]);
    assert.deepEqual(t.commands[0].arguments, {
      actions: [
        { type: 'blockdev-snapshot-sync', data: { 'node-name': 'd0', 'snapshot-file': '/tmp/s0.qcow2', 'snapshot-node-name': 's0', format: 'qcow2' } },
        { type: 'block-dirty-bitmap-add', data: { node: 'd0', name: 'bm0' } },
      ],
    });
    assert.equal(commandLabel(t.commands[0]), 'transaction: blockdev-snapshot-sync, block-dirty-bitmap-add');
  });

  it('an unclosed transaction is still a command, and is reported', () => {
    const t = parseTrace(['(QEMU) transaction(', 'TRANS> blockdev-snapshot-sync node-name=d0 snapshot-file=/tmp/s0.qcow2'].join('\n'));
    assert.equal(t.commands.length, 1);
    assert.deepEqual(
      t.diagnostics.map((d) => d.code),
      ['unfinished-transaction'],
    );
  });

  it('command arguments from a qmp_* frame: optional has_x=false dropped, enums in QAPI spelling', () => {
    const t = parseTrace(hit(...SNAPSHOT_SYNC('n')).join('\n'));
    const f = t.hits[0].frames.find((x) => x.function === 'qmp_blockdev_snapshot_sync')!;
    assert.deepEqual(argumentsFromFrame(f), { 'node-name': 'n', 'snapshot-file': '/tmp/n-over.qcow2', 'snapshot-node-name': 'n-over' });
    const g = parseTrace('#0  qmp_drive_mirror (has_mode=true, mode=NEW_IMAGE_MODE_ABSOLUTE_PATHS, speed=0, unmap=true) at ../blockdev.c:3000').backtraces[0].frames[0];
    assert.deepEqual(argumentsFromFrame(g), { mode: 'absolute-paths', speed: 0, unmap: true });
  });
});

describe('attribution across repeated sessions', () => {
  it('an unlogged command after a typed one takes the coroutine hits that ran just before it', () => {
    const one = readFixture('traces/snapshot-commit-complete.log');
    const t = parseTrace(`${one}\n${one}`);
    assert.deepEqual(
      t.commands.map((c) => [c.name, c.origin, c.hits.length]),
      [
        ['blockdev-snapshot-sync', 'inferred', 19],
        ['block-commit', 'qmp-shell', 6],
        ['block-job-complete', 'qmp-shell', 9],
        ['blockdev-snapshot-sync', 'inferred', 19],
        ['block-commit', 'qmp-shell', 6],
        ['block-job-complete', 'qmp-shell', 9],
      ],
    );
    assert.deepEqual(t.commands[3].hits.slice(0, 2), [35, 36]);
  });

  it('hits without evidence stay with the typed command when no other command shows', () => {
    const t = parseTrace(['(QEMU) blockdev-create job-id=j1 options.driver=qcow2', ...hit(...COROUTINE), ...hit(...COROUTINE)].join('\n'));
    assert.deepEqual(names(t), [['blockdev-create', 'qmp-shell', [1, 2]]]);
  });
});
