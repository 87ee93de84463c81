import * as assert from 'node:assert/strict';
import { callerOf, groupHits, hitMatches, inferredBecause, plumbingStart, shortLocation } from '../../src/model/hitGroups';
import { hitAfterLine, hitAtLine } from '../../src/model/positions';
import { parseTrace } from '../../src/model/parser';
import { readFixture } from './helpers';

const sample = () => parseTrace(readFixture('traces/snapshot-commit-complete.log'));

describe('grouping hits', () => {
  it('by command: in log order, labelled as typed, with their hits', () => {
    const t = sample();
    const g = groupHits(t, 'command');
    assert.deepEqual(
      g.map((x) => [x.label, x.hits.length, x.command?.origin]),
      [
        ['blockdev-snapshot-sync node-name=drive01 snapshot-file=/tmp/overlay01.qcow2 snapshot-node-name=over01', 19, 'inferred'],
        ['block-commit device=over01 job-id=jobA', 6, 'qmp-shell'],
        ['block-job-complete device=jobA', 9, 'qmp-shell'],
      ],
    );
    assert.equal(inferredBecause(g[0].command!), 'No command line in the log: inferred from frame #10 qmp_marshal_blockdev_snapshot_sync of hit #15.');
  });

  it('by command: commands without hits are listed; hits before any command get their own group', () => {
    const t = parseTrace(readFixture('traces/v10.2.0-mirror.log'));
    const g = groupHits(t, 'command');
    assert.equal(g.length, 8);
    assert.deepEqual(
      g.map((x) => x.hits.length),
      [0, 3, 1, 3, 6, 7, 1, 2],
    );
    const early = parseTrace('Breakpoint 1, f () at a.c:1\n(gdb) bt\n#0  f () at a.c:1\n(QEMU) quit\n');
    assert.deepEqual(
      groupHits(early, 'command').map((x) => [x.key, x.hits.length]),
      [
        ['before', 1],
        ['quit#1', 0],
      ],
    );
  });

  it('by caller (frame #1), most frequent first, without reading any frame', () => {
    const t = sample();
    const g = groupHits(t, 'caller');
    assert.deepEqual(
      g.map((x) => [x.label, x.hits.length]),
      [
        ['bdrv_attach_child_common', 15],
        ['bdrv_detach_child', 15],
        ['bdrv_replace_child_tran', 4],
      ],
    );
    // attribution read a few stacks (job attach, the inferred command); grouping read none more
    const parsed = t.hits.filter((h) => h.backtrace?.isParsed).length;
    assert.ok(parsed <= 3, `${parsed} backtraces read`);
  });

  it('callerOf agrees with the frames, wrapped (gdb 13) or not', () => {
    for (const name of ['traces/snapshot-commit-complete.log', 'traces/v10.2.0-failures.log']) {
      const lazy = parseTrace(readFixture(name));
      const eager = parseTrace(readFixture(name));
      lazy.hits.forEach((h, i) => assert.equal(callerOf(h), eager.hits[i].frames[1]?.function ?? null, `${name} hit ${h.index}`));
    }
  });

  it('by thread and by breakpoint', () => {
    const t = sample();
    assert.deepEqual(
      groupHits(t, 'thread').map((x) => [x.label, x.hits.length]),
      [['Thread 1 "qemu-system-x86"', 34]],
    );
    const real = parseTrace(readFixture('traces/v7.1.0-stream.log'));
    assert.deepEqual(
      groupHits(real, 'breakpoint').map((x) => [x.label, x.hits.length]),
      [['Breakpoint 1 — bdrv_replace_child_noperm', 46]],
    );
    assert.equal(groupHits(t, 'flat')[0].hits.length, 34);
  });

  it('groups only the hits given (a filter)', () => {
    const t = sample();
    const some = t.hits.filter((h) => hitMatches(t, h, 'bdrv_append'));
    const g = groupHits(t, 'command', some);
    assert.ok(g.every((x) => x.hits.length > 0));
  });
});

describe('plumbing frames', () => {
  it('fold the event loop, glib, coroutine entry and main that end every stack', () => {
    const t = sample();
    const h21 = t.hits[20];
    const cut = plumbingStart(h21.frames);
    assert.equal(h21.frames[cut - 1].function, 'qmp_marshal_block_commit');
    assert.deepEqual(
      h21.frames.slice(cut).map((f) => f.function),
      ['do_qmp_dispatch_bh', 'aio_bh_call', 'aio_bh_poll', 'aio_dispatch', 'aio_ctx_dispatch', 'g_main_context_dispatch', 'glib_pollfds_poll', 'os_host_main_loop_wait', 'main_loop_wait', 'qemu_main_loop', 'qemu_main', 'main'],
    );
    const h1 = t.hits[0];
    assert.deepEqual(
      h1.frames.slice(plumbingStart(h1.frames)).map((f) => f.function),
      ['coroutine_trampoline', '__start_context', '', ''],
    );
  });

  it('a stack of plumbing only keeps its first frame in view', () => {
    const t = parseTrace('#0  main (argc=1, argv=0x1) at vl.c:1\n');
    assert.equal(plumbingStart(t.backtraces[0].frames), 1);
  });
});

describe('filtering and finding hits', () => {
  const t = sample();

  it('matches command, function, pointer, node name, job, hit number; case-insensitive', () => {
    const count = (q: string) => t.hits.filter((h) => hitMatches(t, h, q)).length;
    assert.equal(count(''), 34);
    assert.equal(count('block-commit'), 6);
    assert.equal(count('BDRV_APPEND'), t.hits.filter((h) => h.frames.some((f) => f.function === 'bdrv_append')).length);
    assert.equal(count('jobA'), t.hits.filter((h) => h.command !== null && t.commands[h.command].name !== 'blockdev-snapshot-sync').length);
    assert.equal(count('#21'), 1);
    assert.ok(count('0x5555578d7870') > 0 && count('0x5555578d7870') < 34);
    assert.equal(count('no-such-thing'), 0);
  });

  it('the hit at a line, and the next and previous hit', () => {
    assert.equal(hitAtLine(t, 699)?.index, 26);
    assert.equal(hitAtLine(t, 524)?.index, 21);
    assert.equal(hitAtLine(t, 0), undefined, 'before the first hit');
    assert.equal(hitAtLine(t, 487), undefined, 'on the block-commit command line');
    assert.equal(hitAfterLine(t, 524, 1)?.index, 22);
    assert.equal(hitAfterLine(t, 524, -1)?.index, 20);
    assert.equal(hitAfterLine(t, 10_000, 1), undefined);
  });

  it('short locations', () => {
    assert.equal(shortLocation(t.hits[0].stop), 'block.c:2843');
    assert.equal(shortLocation(t.hits[0].frames[9]), 'libc.so.6');
    assert.equal(shortLocation(t.hits[0].frames[10]), null);
  });
});
