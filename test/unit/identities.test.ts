import * as assert from 'node:assert/strict';
import { describeIdentity, Identities, shortLabel, type ObjectIdentity } from '../../src/model/identities';
import { parseTrace } from '../../src/model/parser';
import { BlockGraph } from '../../src/model/graph';
import { Cancelled } from '../../src/model/work';
import { type Trace } from '../../src/model/trace';
import { traceReport } from '../../src/model/summary';
import { readFixture } from './helpers';

describe('pointer identities on the sample', () => {
  const t = parseTrace(readFixture('traces/snapshot-commit-complete.log'));
  const ids = new Identities(t);
  const at = (address: string, line1: number) => ids.at(address, line1 - 1)!;

  it('0x555556a7ae40 is node drive01', () => {
    const id = at('0x555556a7ae40', 700);
    assert.deepEqual([id.kind, id.name], ['node', 'drive01']);
    assert.equal(ids.incarnations('0x555556a7ae40').length, 1);
  });

  it('0x555556f9acd0 is job jobA', () => {
    const id = at('0x555556f9acd0', 700);
    assert.deepEqual([id.kind, id.name, shortLabel(id)], ['job', 'jobA', 'job jobA']);
  });

  it("0x5555578d7870 is the commit's filter (mirror_top), freed at completion", () => {
    const id = at('0x5555578d7870', 600);
    assert.deepEqual([id.kind, id.name, id.driver, id.ended], ['node', 'mirror_top', 'mirror_top', 'deleted']);
    assert.equal(id.firstHit, 20);
  });

  it('0x5555578ddc80 is a temporary node first, then node over01 (qcow2) at the same address', () => {
    const [first, second] = ids.incarnations('0x5555578ddc80');
    assert.equal(ids.incarnations('0x5555578ddc80').length, 2);
    assert.deepEqual([first.kind, first.name, first.filename, first.firstLine + 1], ['node', null, '/tmp/overlay01.qcow2', 6]);
    assert.deepEqual([second.kind, second.name, second.driver, second.incarnation], ['node', 'over01', 'qcow2', 2]);
    assert.equal(at('0x5555578ddc80', 6), first);
    assert.equal(at('0x5555578ddc80', 369), second);
    assert.ok(second.firstHit! > first.lastHit!);
    assert.equal(describeIdentity(second), 'node (BlockDriverState) over01 (qcow2), /tmp/overlay01.qcow2');
  });

  it('a node deleted and opened again is a new incarnation; a deletion over several hits is one', () => {
    assert.deepEqual(
      ids.incarnations('0x555556b08d20').map((i) => [i.firstHit, i.lastHit, i.ended]),
      [
        [4, 8, 'deleted'],
        [10, 14, 'deleted'],
        [15, 16, null],
      ],
    );
    assert.deepEqual(
      ids.incarnations('0x555557158250').map((i) => [i.firstHit, i.lastHit, i.kind]),
      [
        [1, 2, 'backend'],
        [6, 8, 'backend'],
        [12, 14, 'backend'],
      ],
    );
  });

  it('an address that changes kind is another object: a transaction, then edges', () => {
    assert.deepEqual(
      ids.incarnations('0x555557347940').map((i) => [i.kind, i.firstHit, i.name]),
      [
        ['transaction', 1, null],
        ['edge', 17, 'root'],
        ['edge', 33, null],
      ],
    );
  });

  it('every printed pointer has exactly one identity, and the sightings are exact ranges', () => {
    const text = readFixture('traces/snapshot-commit-complete.log').split('\n');
    let count = 0;
    text.forEach((line, i) => {
      for (const p of ids.pointersOn(i)) {
        assert.equal(line.slice(p.range.start, p.range.end), p.identity.address, `line ${i + 1}`);
        count++;
      }
    });
    const printed = text.join('\n').match(/=0x(?!0\b)[0-9a-f]+/g)!.length;
    assert.equal(count, printed);
    assert.equal(ids.pointerAt(5, text[5].indexOf('0x5555578ddc80') + 3)?.identity.address, '0x5555578ddc80');
  });
});

interface Truth {
  afterHit: number;
  memGraph: { nodes: { addr: string; node_name: string; driver: string }[]; jobs: { addr: string; id: string }[]; block_backends?: { addr: string }[] };
}

function checkAgainstMemory(t: Trace, truth: Truth[]): number {
  const ids = new Identities(t);
  let checked = 0;
  for (const e of truth) {
    const hit = t.hits[e.afterHit - 1];
    if (!hit) continue;
    for (const n of e.memGraph.nodes) {
      const id = ids.at(n.addr, hit.endLine);
      if (!id || id.firstLine > hit.endLine) continue; // never printed up to here
      assert.equal(id.kind, 'node', `${n.addr} is a node (${n.node_name}) after hit ${e.afterHit}`);
      if (id.name && !n.node_name.startsWith('#')) {
        assert.equal(id.name, n.node_name, `${n.addr} after hit ${e.afterHit}`);
        checked++;
      }
      if (id.driver) assert.equal(id.driver, n.driver, `${n.addr} driver after hit ${e.afterHit}`);
    }
    for (const j of e.memGraph.jobs ?? []) {
      const id = ids.at(j.addr, hit.endLine);
      if (id && id.name) assert.equal(id.name, j.id);
    }
    // and the other way: what is taken for a BlockBackend or a node here, printed by this hit, QEMU has
    const backends = new Set((e.memGraph.block_backends ?? []).map((b) => b.addr));
    const nodes = new Set(e.memGraph.nodes.map((n) => n.addr));
    for (let line = hit.line; line <= hit.endLine; line++) {
      for (const { identity: id } of ids.pointersOn(line)) {
        // the object as of this hit, still there after it (a later hit prints it)
        if (ids.at(id.address, hit.endLine) !== id || id.lastHit === null || id.lastHit <= e.afterHit) continue;
        if (id.kind === 'backend' && e.memGraph.block_backends) assert.ok(backends.has(id.address), `${id.address} on line ${line + 1} taken for ${describeIdentity(id)}: QEMU has no BlockBackend there after hit ${e.afterHit}`);
        if (id.kind === 'node') assert.ok(nodes.has(id.address), `${id.address} on line ${line + 1} taken for ${describeIdentity(id)}: QEMU has no node there after hit ${e.afterHit}`);
        checked++;
      }
    }
  }
  return checked;
}

describe('pointer identities against QEMU’s memory (the real traces’ .truth.json)', () => {
  for (const name of ['v10.2.0-mirror', 'v7.1.0-stream', 'v10.2.0-failures']) {
    it(`${name}: node names and drivers agree with what QEMU held at each checkpoint`, () => {
      const t = parseTrace(readFixture(`traces/${name}.log`));
      const truth = JSON.parse(readFixture(`traces/${name}.truth.json`)) as Truth[];
      const checked = checkAgainstMemory(t, truth);
      assert.ok(checked > 0, 'some names were checked');
    });
  }
});

describe('jobs made where an earlier one was (v7.2.0-job-reuse: 14 commit jobs under gdb, breakpoints in block_job_add_bdrv and job_exit)', () => {
  const text = readFixture('traces/v7.2.0-job-reuse.log');
  // the same session as a person logs it by hand: QEMU's trace of job states (which the recorder
  // asks for) not there, so only the stacks and the commands tell one job from the next
  const handMade = text
    .split('\n')
    .filter((l) => !l.startsWith('job_state_transition') && !l.startsWith('job_completed'))
    .join('\n');

  for (const [what, log] of [
    ['as recorded', text],
    ['without QEMU\'s job trace lines', handMade],
  ] as const) {
    describe(what, () => {
      const t = parseTrace(log);
      const ids = new Identities(t);

      it('has jobs at a reused address (the test can fail)', () => {
        const byAddress = new Map<string, Set<string>>();
        for (const h of t.hits) for (const j of h.recorded?.jobs ?? []) if (j.id) (byAddress.get(j.address) ?? byAddress.set(j.address, new Set()).get(j.address)!).add(j.id);
        assert.ok(Math.max(...[...byAddress.values()].map((s) => s.size)) >= 4, 'four jobs or more at one address');
        if (what === 'without QEMU\'s job trace lines') assert.ok(!log.includes('job_state_transition'));
      });

      it('each job_exit hit belongs to the block-job-complete of its own job', () => {
        for (let k = 1; k <= 14; k++) {
          const complete = t.commands.find((c) => c.name === 'block-job-complete' && c.arguments.device === `c${k}`)!;
          assert.equal(complete.hits.length, 1, `block-job-complete device=c${k}: ${complete.hits.join(', ')}`);
          const hit = t.hits[complete.hits[0] - 1];
          assert.equal(hit.frames[0].function, 'job_exit');
          assert.equal(hit.job, `c${k}`);
        }
      });

      it('the summary gives each command its own job', () => {
        const report = traceReport(t, 'v7.2.0-job-reuse.log');
        for (let k = 1; k <= 14; k++) {
          for (const label of [`block-commit device=o${k} job-id=c${k}`, `block-job-complete device=c${k}`]) {
            assert.deepEqual(report.commands.find((c) => c.label === label)?.jobs, [`c${k}`], label);
          }
        }
      });

      it("names each job pointer as QEMU's memory does at every stop", () => {
        let checked = 0;
        for (const h of t.hits) {
          for (const j of h.recorded?.jobs ?? []) {
            const id = ids.at(j.address, h.recordedLine ?? h.endLine);
            if (!id || id.firstLine > (h.recordedLine ?? h.endLine)) continue;
            assert.deepEqual([id.kind, id.name], ['job', j.id], `hit ${h.index}: ${j.address}`);
            checked++;
          }
        }
        assert.ok(checked >= 40, `checked ${checked}`);
      });
    });
  }
});

describe('a file node opened where an earlier command\'s was freed unseen (v7.2.0-attached-reuse: recorded attached to a running QEMU, so no trace lines)', () => {
  const t = parseTrace(readFixture('traces/v7.2.0-attached-reuse.log'));
  const ids = new Identities(t);

  it('each round\'s file node is a new object from the hit that probes it, though its address is the last round\'s', () => {
    const files = ids.incarnations('0x5599861293a0');
    assert.deepEqual(
      files.map((id) => [id.kind, id.driver, id.filename, id.firstHit]),
      [
        ['node', 'file', '/tmp/jr2/o12.qcow2', 1],
        ['node', 'file', '/tmp/jr2/o13.qcow2', 21],
        ['node', 'file', '/tmp/jr2/o14.qcow2', 41],
      ],
    );
  });

  it("the replay agrees with QEMU's memory at every recorded stop", () => {
    const checks = BlockGraph.build(t, ids).checkRecorded();
    assert.equal(checks.length, t.hits.length);
    assert.deepEqual(
      checks.filter((c) => c.differences.length > 0).map((c) => `hit ${c.hit}: ${c.differences.join('; ')}`),
      [],
    );
  });
});

describe('a job\'s filter made where a file node was freed unseen (v7.2.0-filter-reuse: two rounds of a recorded 300-round session)', () => {
  const t = parseTrace(readFixture('traces/v7.2.0-filter-reuse.log'));
  const ids = new Identities(t);

  it('round 63\'s file node and round 64\'s commit filter at 0x5555558e9000 are two objects', () => {
    assert.deepEqual(
      ids.incarnations('0x5555558e9000').map((id) => [id.name, id.driver, id.filename]),
      [
        [null, 'file', '/tmp/longsess/o63.qcow2'],
        ['mirror_top', 'mirror_top', null],
      ],
    );
  });

  it("names and drivers agree with QEMU's memory at every stop", () => {
    let checked = 0;
    for (const h of t.hits) {
      const line = h.recordedLine ?? h.endLine;
      for (const n of h.recorded?.nodes ?? []) {
        const id = ids.at(n.address, line);
        if (!id || id.firstLine > line) continue;
        if (n.name && !n.name.startsWith('#') && id.name !== null) assert.equal(id.name, n.name, `hit ${h.index}: ${n.address}`);
        if (n.driver && id.driver) assert.equal(id.driver, n.driver, `hit ${h.index}: ${n.address}`);
        checked++;
      }
    }
    assert.ok(checked >= 100, `checked ${checked}`);
  });

  it('the graph does not call round 63\'s file node mirror_top', () => {
    const view = BlockGraph.build(t, ids).stateAfter(20);
    assert.deepEqual(
      view.removed.map((e) => [e.name, view.nodes.find((n) => n.id === e.child)?.label ?? e.child]),
      [['file', 'o63.qcow2 (0x5555558e9000)']],
    );
  });
});

describe('building identities in batches', () => {
  it('reports its progress, and stops when asked, with Cancelled', async () => {
    const t = parseTrace(readFixture('traces/v10.2.0-failures.log'));
    const seen: number[] = [];
    await Identities.build(t, { batch: 4, progress: (done, total) => seen.push(done / total) });
    assert.ok(seen.length >= Math.floor(t.hits.length / 4) - 1 && seen.every((x, i) => x > 0 && x < 1 && (i === 0 || x > seen[i - 1])), JSON.stringify(seen));
    let batches = 0;
    await assert.rejects(
      Identities.build(t, { batch: 4, cancelled: () => ++batches > 2 }),
      (e: unknown) => e instanceof Cancelled,
    );
    assert.equal(batches, 3);
    const graphBatches: number[] = [];
    await assert.rejects(
      BlockGraph.buildAsync(t, new Identities(t), { batch: 5, progress: (done) => graphBatches.push(done), cancelled: () => graphBatches.length >= 2 }),
      (e: unknown) => e instanceof Cancelled,
    );
    assert.deepEqual(graphBatches, [5, 10]);
  });

  it('gives the same identities as building at once', async () => {
    for (const name of ['traces/snapshot-commit-complete.log', 'traces/v10.2.0-failures.log']) {
      const a = new Identities(parseTrace(readFixture(name)));
      const t = parseTrace(readFixture(name));
      const b = await Identities.build(t, { batch: 3 });
      const lines = readFixture(name).split('\n').length;
      for (let l = 0; l < lines; l++) {
        assert.deepEqual(
          b.pointersOn(l).map((p) => [p.range.start, describeIdentity(p.identity), p.identity.incarnation, p.identity.firstLine, p.identity.lastLine]),
          a.pointersOn(l).map((p) => [p.range.start, describeIdentity(p.identity), p.identity.incarnation, p.identity.firstLine, p.identity.lastLine]),
          `${name} line ${l + 1}`,
        );
      }
    }
  });
});

describe('the incarnation at a line', () => {
  it('is the last one whose first line is at or before it (every address, every line of every real trace)', () => {
    const names = ['snapshot-commit-complete.log', 'v10.2.0-failures.log', 'v10.2.0-mirror.log', 'v7.1.0-stream.log', 'v7.2.0-drain-threads.log', 'v7.2.0-mirror-reuse.log', 'v7.2.0-xdebug.log'];
    let checked = 0;
    let reused = 0;
    for (const name of names) {
      const text = readFixture(`traces/${name}`);
      const ids = new Identities(parseTrace(text));
      const lines = text.split('\n').length;
      const addresses = new Set([...ids.all()].map((i) => i.address));
      for (const address of addresses) {
        const list = ids.incarnations(address);
        if (list.length > 1) reused++;
        for (let line = 0; line < lines; line += list.length > 1 ? 1 : 97) {
          // the definition, by a scan of the list in its order
          let expected = list[0];
          for (const id of list) if (id.firstLine <= line) expected = id;
          assert.equal(ids.at(address, line), expected, `${name}: ${address} at line ${line}`);
          checked++;
        }
      }
    }
    assert.ok(reused >= 5, `addresses reused in these traces: ${reused}`);
    assert.ok(checked > 10_000, `${checked} lookups`);
  });
});

describe('sightings, kept as columns: by line for hovers, by object for highlights', () => {
  for (const name of ['traces/snapshot-commit-complete.log', 'traces/v7.2.0-drain-threads.log', 'mail/mojibake-threads.txt', 'traces/v7.2.0-recorded-events.log']) {
    it(`${name}: each object's sightings are the lines' pointers that are it, in order, with free-standing backtraces too`, () => {
      const text = readFixture(name);
      const t = parseTrace(text);
      const ids = new Identities(t);
      const lines = text.split('\n');
      const byObject = new Map<ObjectIdentity, string[]>();
      lines.forEach((line, i) => {
        const on = ids.pointersOn(i);
        for (let k = 1; k < on.length; k++) assert.ok(on[k - 1].range.start < on[k].range.start, `line ${i + 1} left to right`);
        for (const p of on) {
          assert.equal(line.slice(p.range.start, p.range.end), p.identity.address, `line ${i + 1}`);
          byObject.set(p.identity, [...(byObject.get(p.identity) ?? []), `${p.range.line}:${p.range.start}`]);
        }
      });
      assert.ok(byObject.size > 0);
      for (const id of ids.all()) assert.deepEqual(ids.sightingsOf(id).map((r) => `${r.line}:${r.start}`), byObject.get(id) ?? [], `${id.address}#${id.incarnation}`);
      if (t.backtraces.length > 0) assert.ok(t.backtraces.some((b) => b.frames.some((f) => f.pointers.length > 0)), 'the free-standing backtraces print pointers');
    });
  }
});

describe('QEMU data at an address a block object takes next (the real v10.2.0 traces)', () => {
  it('the options QDict blockdev-add opened a node with is not the BlockBackend block-export-add makes there', () => {
    const t = parseTrace(readFixture('traces/v10.2.0-mirror.log'));
    const ids = new Identities(t);
    const qdict = ids.pointersOn(26).find((p) => p.identity.address === '0x555555871b00');
    assert.ok(qdict, 'options=0x555555871b00 on line 27');
    assert.equal(qdict.identity.kind, 'data');
    assert.match(describeIdentity(qdict.identity), /^data, not a block object/);
    assert.equal(qdict.identity.lastHit, 3, 'printed in hits 1–3 only');
    const blk = ids.at('0x555555871b00', t.hits[3].endLine)!;
    assert.notEqual(blk, qdict.identity);
    assert.equal(blk.kind, 'backend');
    assert.equal(blk.name, 'export exp0');
    assert.equal(blk.firstHit, 4, 'from block-export-add’s hit on');
  });

  it('a BlockBackend opened in a bottom half for image creation is named after the command’s action, not the event loop', () => {
    const t = parseTrace(readFixture('traces/v10.2.0-failures.log'));
    const ids = new Identities(t);
    const options = ids.pointersOn(366).find((p) => p.identity.address === '0x55555589e250');
    assert.equal(options?.identity.kind, 'data', 'options=0x55555589e250 on line 367');
    const blk = ids.at('0x55555589e250', t.hits[13].endLine)!;
    assert.equal(blk.kind, 'backend');
    assert.equal(blk.firstHit, 14);
    assert.equal(blk.role, 'BlockBackend of external_snapshot_action');
  });
});
