// Synthetic QEMU-like source trees for the source-navigation tests: never QEMU's code, only
// functions placed at the lines a trace names, with the calls and echoed lines its frames show.
//   exact    every function where the trace's binary had it
//   moved    every function shifted, and each call a few lines further into its function
//   renamed  like exact, but one function renamed (it is "gone" for frames that name it)
//   drifted  every kind of drift design.md §6 names at once, as between two QEMU releases: lines
//            added inside functions (the printed line still lies in the function, on another
//            line), `_locked` renames of callers and callees, a directory move (softmmu/ →
//            system/), an inlined helper (bdrv_detach_child folded into bdrv_root_unref_child),
//            callbacks called through a BlockDriver / JobDriver field bound by an initialiser
// A build directory with generated QAPI files is written in every variant.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Trace } from '../../src/model/trace';

export type TreeVariant = 'exact' | 'moved' | 'renamed' | 'drifted';

interface Placement {
  fn: string;
  /** What must stand at the line: a call to `callee`, or the echoed source text. */
  lines: Map<number, string>;
  /** The function each line calls (when it is a call of one function). */
  callees: Map<number, string>;
}

/** The drift of the `drifted` variant. */
export const DRIFT = {
  renames: {
    job_txn_apply: 'job_txn_apply_locked',
    job_prepare: 'job_prepare_locked',
    job_do_finalize: 'job_do_finalize_locked',
    job_completed_txn_success: 'job_completed_txn_success_locked',
    job_completed: 'job_completed_locked',
    external_snapshot_prepare: 'external_snapshot_action',
  } as Record<string, string>,
  moves: [['softmmu/', 'system/']] as [string, string][],
  inlined: { fn: 'bdrv_detach_child', into: 'bdrv_root_unref_child' },
  /** Calls made through a field: (caller, callee) → the call, and the initialiser that binds it. */
  fields: [
    { caller: 'bdrv_create_co_entry', callee: 'qcow2_co_create_opts', call: 'cco->drv->bdrv_co_create_opts', field: 'bdrv_co_create_opts', file: 'block/qcow2.c', struct: 'BlockDriver bdrv_qcow2' },
    { caller: 'job_prepare', callee: 'mirror_prepare', call: 'job->driver->prepare', field: 'prepare', file: 'block/mirror.c', struct: 'static const BlockJobDriver mirror_job_driver' },
    { caller: 'qmp_transaction', callee: 'external_snapshot_prepare', call: 'state->ops->action', field: 'action', file: 'blockdev.c', struct: 'static const BlkActionOps actions_snapshot' },
  ],
};

/** What the trace says each file holds: functions, their lines, and what is at each line. */
function placements(trace: Trace): Map<string, Map<string, Placement>> {
  const files = new Map<string, Map<string, Placement>>();
  const add = (file: string, fn: string, line: number, text: string) => {
    const rel = file.replace(/^(\.\.\/)+/, '');
    const fns = files.get(rel) ?? files.set(rel, new Map()).get(rel)!;
    const p = fns.get(fn) ?? fns.set(fn, { fn, lines: new Map(), callees: new Map() }).get(fn)!;
    const had = p.lines.get(line);
    // one line that calls different functions in different hits calls through a pointer
    if (had === undefined) {
      p.lines.set(line, text);
      if (callee) p.callees.set(line, callee);
    } else if (had !== text && /^ {4}\w+\(0\);$/.test(had)) {
      p.lines.set(line, '    data->cmd->fn(0);');
      p.callees.delete(line);
    }
  };
  let callee: string | undefined;
  for (const hit of trace.hits) {
    hit.frames.forEach((f, i) => {
      if (!f.file || f.line === null || !f.function || f.function === '??') return;
      callee = i === 0 ? undefined : hit.frames[i - 1].function;
      if (i === 0) add(f.file, f.function, f.line, hit.source?.text ?? `    /* ${f.function} */`);
      else add(f.file, f.function, f.line, `    ${callee}(0);`);
    });
  }
  return files;
}

export const RENAMED = { from: 'bdrv_replace_child_tran', to: 'bdrv_replace_child_transaction' };
/** How far the moved tree shifts each function (+ its call offset inside the function). */
export const MOVED_BY = 18;

/** Write a tree for `trace` under `root`; `fullSize` pads files to the size of the real ones. */
export function writeQemuTree(root: string, trace: Trace, variant: TreeVariant, fullSize = false, moveBy = MOVED_BY): void {
  const shifts = variant === 'moved' || variant === 'drifted';
  const drifted = variant === 'drifted';
  for (const [printed, fns] of placements(trace)) {
    const generated = printed.startsWith('qapi/qapi-');
    let rel = printed;
    if (drifted) for (const [from, to] of DRIFT.moves) if (rel.startsWith(from)) rel = to + rel.slice(from.length);
    const target = path.join(root, generated ? 'build' : '', rel);
    const out: string[] = [];
    let shift = 0;
    const sorted = [...fns.values()].sort((a, b) => Math.min(...a.lines.keys()) - Math.min(...b.lines.keys()));
    for (const p of sorted) {
      // the inlined helper's code is inside its caller now
      if (drifted && p.fn === DRIFT.inlined.fn) continue;
      const lines = [...p.lines.keys()].sort((a, b) => a - b);
      if (shifts) shift += moveBy;
      const first = lines[0] + shift;
      const start = first - 3;
      while (out.length < start - 1) out.push(fullSize && out.length % 7 === 3 ? `static int filler_${out.length}(int x) { return x + ${out.length}; }` : `/* ${rel} line ${out.length + 1} */`);
      const name = variant === 'renamed' && p.fn === RENAMED.from ? RENAMED.to : drifted ? (DRIFT.renames[p.fn] ?? p.fn) : p.fn;
      out.push(`void ${name}(int unused)`);
      out.push('{');
      if (shifts) for (let k = 0; k < 3; k++) out.push(`    /* new in this version ${k} */`);
      for (const l of lines) {
        const at = l + shift + (shifts ? 3 : 0);
        while (out.length < at - 1) out.push('    /* … */');
        out.push(drifted ? driftedLine(p, l) : p.lines.get(l)!);
      }
      out.push('}');
      if (shifts) shift += 3;
    }
    if (drifted) {
      for (const f of DRIFT.fields.filter((x) => x.file === rel)) out.push(`${f.struct} = {`, `    .${f.field} = ${DRIFT.renames[f.callee] ?? f.callee},`, '};');
    }
    while (fullSize && rel === 'block.c' && out.length < 8000) out.push(out.length % 7 === 3 ? `static int filler_${out.length}(int x) { return x + ${out.length}; }` : `/* block.c line ${out.length + 1} */`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${out.join('\n')}\n`);
  }
  // a QAPI schema in QEMU's doc-comment format (our own words) for the commands the sample runs
  fs.mkdirSync(path.join(root, 'qapi'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'qapi', 'block-core.json'),
    [
      '# -*- Mode: Python -*-',
      '',
      '##',
      '# @block-commit:',
      '#',
      '# Synthetic: merge an overlay into its backing node.',
      '#',
      '# @device: the node to commit from',
      '#',
      '# @job-id: the new job\'s identifier',
      '#',
      '# Returns: nothing on success',
      '#',
      '# Since: 1.3',
      '##',
      "{ 'command': 'block-commit',",
      "  'data': { 'device': 'str', '*job-id': 'str' } }",
      '',
    ].join('\n'),
  );
  fs.mkdirSync(path.join(root, 'include', 'block'), { recursive: true });
  fs.writeFileSync(path.join(root, 'include', 'block', 'block.h'), '/* synthetic */\n');
}

/** A line of the drifted variant: its call as the newer version makes it. */
function driftedLine(p: Placement, line: number): string {
  const text = p.lines.get(line)!;
  let callee = p.callees.get(line);
  if (!callee) return text;
  // the caller of the inlined helper calls what the helper called
  if (p.fn === DRIFT.inlined.into && callee === DRIFT.inlined.fn) callee = 'bdrv_replace_child_noperm';
  const field = DRIFT.fields.find((f) => f.caller === p.fn && f.callee === callee);
  if (field) return `    ${field.call}(0);`;
  return `    ${DRIFT.renames[callee] ?? callee}(0);`;
}
