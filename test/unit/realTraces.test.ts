import * as assert from 'node:assert/strict';
import { parseTrace } from '../../src/model/parser';
import * as fs from 'node:fs';
import { fixturePath, readFixture } from './helpers';

/** Frames per hit counted the simplest way (lines starting `#N` between hit headers): an independent check. */
function framesPerHitByLines(text: string): number[] {
  const counts: number[] = [];
  for (const line of text.split('\n')) {
    if (/ hit Breakpoint \d+, /.test(line)) counts.push(0);
    else if (/^#\d+ /.test(line) && counts.length > 0) counts[counts.length - 1]++;
  }
  return counts;
}

/** For every hit, the last `(QEMU)` line before it (1-based), or null. */
function qmpShellLineBefore(text: string): (number | null)[] {
  const out: (number | null)[] = [];
  let last: number | null = null;
  text.split('\n').forEach((line, i) => {
    if (line.startsWith('(QEMU) ')) last = i;
    if (/ hit Breakpoint \d+, /.test(line)) out.push(last);
  });
  return out;
}

describe('the real traces', () => {
  describe('snapshot-commit-complete.log (QEMU 7.1.0, older gdb)', () => {
    const text = readFixture('traces/snapshot-commit-complete.log');
    const t = parseTrace(text);

    it('has 34 hits with every frame of every bt, and nothing misunderstood', () => {
      assert.equal(t.hits.length, 34);
      assert.deepEqual(
        t.hits.map((h) => h.frames.length),
        framesPerHitByLines(text),
      );
      assert.equal(t.hits.reduce((n, h) => n + h.frames.length, 0), 663);
      assert.deepEqual(t.diagnostics, []);
      assert.deepEqual(t.backtraces, []);
    });

    it('attributes hits 1-19 to an inferred blockdev-snapshot-sync, 20-25 to block-commit, 26-34 to block-job-complete', () => {
      const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
      assert.deepEqual(
        t.commands.map((c) => [c.name, c.origin, c.line === null ? null : c.line + 1, c.hits]),
        [
          ['blockdev-snapshot-sync', 'inferred', null, range(1, 19)],
          ['block-commit', 'qmp-shell', 488, range(20, 25)],
          ['block-job-complete', 'qmp-shell', 684, range(26, 34)],
        ],
      );
      assert.deepEqual(t.commands[0].arguments, { 'node-name': 'drive01', 'snapshot-file': '/tmp/overlay01.qcow2', 'snapshot-node-name': 'over01' });
      assert.deepEqual(
        t.hits.slice(25).map((h) => h.job),
        Array(9).fill('jobA'),
      );
    });

    it('hit 21 starts on log line 525 and its frame #1 is bdrv_replace_child_tran', () => {
      const h = t.hits[20];
      assert.equal(h.line + 1, 525);
      assert.equal(h.frames[1].function, 'bdrv_replace_child_tran');
      assert.equal(h.frames[2].arg('from')?.pointer, '0x5555578ddc80');
    });

    it('every frame is either source (file and line) or library or unknown', () => {
      for (const h of t.hits) {
        h.frames.forEach((f, i) => {
          assert.equal(f.level, i);
          assert.ok((f.file !== null && f.line !== null) || f.library !== null || f.function === '' || f.function === '??', `hit ${h.index} #${i}`);
        });
      }
    });
  });

  for (const [name, hits, commands] of [
    ['v7.1.0-stream.log', 46, 10],
    ['v10.2.0-mirror.log', 23, 8],
    ['v10.2.0-failures.log', 43, 12],
  ] as const) {
    describe(`${name} (gdb 13)`, () => {
      const text = readFixture(`traces/${name}`);
      const t = parseTrace(text);

      it(`has ${hits} hits, every frame of every bt (wrapped mid-argument-list), nothing misunderstood`, () => {
        assert.equal(t.hits.length, hits);
        assert.deepEqual(
          t.hits.map((h) => h.frames.length),
          framesPerHitByLines(text),
        );
        assert.deepEqual(t.diagnostics, []);
        for (const h of t.hits) for (const f of h.frames) assert.ok(f.file !== null || f.library !== null, `hit ${h.index} #${f.level} has a location`);
      });

      it(`puts each hit under the (QEMU) command before it (${commands} commands)`, () => {
        assert.equal(t.commands.length, commands);
        assert.ok(t.commands.every((c) => c.origin === 'qmp-shell'));
        assert.deepEqual(
          t.hits.map((h) => (h.command === null ? null : t.commands[h.command].line)),
          qmpShellLineBefore(text),
        );
      });

      it('reads the breakpoint definition', () => {
        assert.equal(t.breakpoints.length, 1);
        assert.equal(t.breakpoints[0].file, '../block.c');
      });
    });
  }

  it('v10.2.0-failures.log: the multi-line transaction( is one command with two actions', () => {
    const t = parseTrace(readFixture('traces/v10.2.0-failures.log'));
    const tx = t.commands.filter((c) => c.name === 'transaction');
    assert.equal(tx.length, 1);
    assert.equal(tx[0].line! + 1, 279);
    const actions = tx[0].arguments.actions as { type: string; data: Record<string, unknown> }[];
    assert.deepEqual(
      actions.map((a) => [a.type, a.data['node-name']]),
      [
        ['blockdev-snapshot-sync', 'd0'],
        ['blockdev-snapshot-sync', 'nosuchnode'],
      ],
    );
    assert.equal(tx[0].hits.length, 22);
  });

  it('v10.2.0-mirror.log: job completion hits name job m1', () => {
    const t = parseTrace(readFixture('traces/v10.2.0-mirror.log'));
    const complete = t.commands.find((c) => c.name === 'block-job-complete')!;
    assert.deepEqual(complete.hits, [14, 15, 16, 17, 18, 19, 20]);
    assert.ok(complete.hits.every((i) => t.hits[i - 1].job === 'm1'));
  });
});

describe('pointers read without parsing arguments', () => {
  const logs = fs.readdirSync(fixturePath('traces')).filter((f) => f.endsWith('.log')).map((f) => `traces/${f}`);
  const frames = (t: ReturnType<typeof parseTrace>) => [...t.hits.flatMap((h) => (h.stop ? [h.stop, ...h.frames] : h.frames)), ...t.backtraces.flatMap((b) => b.frames)];
  for (const name of [...logs, 'malformed/damaged.gdb.log', 'mail/mojibake-threads.txt']) {
    it(`${name}: every frame's pointers are those of its parsed arguments, with the same ranges`, () => {
      const text = readFixture(name);
      const quick = frames(parseTrace(text)).map((f) => f.pointers);
      const full = frames(parseTrace(text)).map((f) => {
        void f.args;
        return f.pointers;
      });
      assert.ok(full.flat().length > 0);
      assert.deepEqual(quick, full);
    });

    it(`${name}: an argument asked for alone is the one the whole list gives`, () => {
      const text = readFixture(name);
      const alone = frames(parseTrace(text));
      const parsed = frames(parseTrace(text));
      let asked = 0;
      parsed.forEach((f, i) => {
        for (const n of [...new Set(f.args.map((a) => a.name)), 'absent', 'b', 'filename']) {
          if (n === '') continue;
          assert.deepEqual(alone[i].arg(n), f.arg(n), `${f.function} ${n} (log line ${f.logLine + 1})`);
          asked++;
        }
      });
      assert.ok(asked > 100);
    });
  }
});
