// Synthetic QEMU-like source trees for the source-navigation tests: never QEMU's code, only
// functions placed at the lines a trace names, with the calls and echoed lines its frames show.
//   exact    every function where the trace's binary had it
//   moved    every function shifted, and each call a few lines further into its function
//   renamed  like exact, but one function renamed (it is "gone" for frames that name it)
// A build directory with generated QAPI files is written in every variant.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Trace } from '../../src/model/trace';

export type TreeVariant = 'exact' | 'moved' | 'renamed';

interface Placement {
  fn: string;
  /** What must stand at the line: a call to `callee`, or the echoed source text. */
  lines: Map<number, string>;
}

/** What the trace says each file holds: functions, their lines, and what is at each line. */
function placements(trace: Trace): Map<string, Map<string, Placement>> {
  const files = new Map<string, Map<string, Placement>>();
  const add = (file: string, fn: string, line: number, text: string) => {
    const rel = file.replace(/^(\.\.\/)+/, '');
    const fns = files.get(rel) ?? files.set(rel, new Map()).get(rel)!;
    const p = fns.get(fn) ?? fns.set(fn, { fn, lines: new Map() }).get(fn)!;
    const had = p.lines.get(line);
    // one line that calls different functions in different hits calls through a pointer
    if (had === undefined) p.lines.set(line, text);
    else if (had !== text && /^ {4}\w+\(0\);$/.test(had)) p.lines.set(line, '    data->cmd->fn(0);');
  };
  for (const hit of trace.hits) {
    hit.frames.forEach((f, i) => {
      if (!f.file || f.line === null || !f.function || f.function === '??') return;
      if (i === 0) add(f.file, f.function, f.line, hit.source?.text ?? `    /* ${f.function} */`);
      else add(f.file, f.function, f.line, `    ${hit.frames[i - 1].function}(0);`);
    });
  }
  return files;
}

export const RENAMED = { from: 'bdrv_replace_child_tran', to: 'bdrv_replace_child_transaction' };
/** How far the moved tree shifts each function (+ its call offset inside the function). */
export const MOVED_BY = 18;

/** Write a tree for `trace` under `root`; `fullSize` pads files to the size of the real ones. */
export function writeQemuTree(root: string, trace: Trace, variant: TreeVariant, fullSize = false): void {
  for (const [rel, fns] of placements(trace)) {
    const generated = rel.startsWith('qapi/qapi-');
    const target = path.join(root, generated ? 'build' : '', rel);
    const out: string[] = [];
    let shift = 0;
    const sorted = [...fns.values()].sort((a, b) => Math.min(...a.lines.keys()) - Math.min(...b.lines.keys()));
    for (const p of sorted) {
      const lines = [...p.lines.keys()].sort((a, b) => a - b);
      if (variant === 'moved') shift += MOVED_BY;
      const first = lines[0] + shift;
      const start = first - 3;
      while (out.length < start - 1) out.push(fullSize && out.length % 7 === 3 ? `static int filler_${out.length}(int x) { return x + ${out.length}; }` : `/* ${rel} line ${out.length + 1} */`);
      const name = variant === 'renamed' && p.fn === RENAMED.from ? RENAMED.to : p.fn;
      out.push(`void ${name}(int unused)`);
      out.push('{');
      if (variant === 'moved') for (let k = 0; k < 3; k++) out.push(`    /* new in this version ${k} */`);
      for (const l of lines) {
        const at = l + shift + (variant === 'moved' ? 3 : 0);
        while (out.length < at - 1) out.push('    /* … */');
        out.push(p.lines.get(l)!);
      }
      out.push('}');
      if (variant === 'moved') shift += 3;
    }
    while (fullSize && rel === 'block.c' && out.length < 8000) out.push(out.length % 7 === 3 ? `static int filler_${out.length}(int x) { return x + ${out.length}; }` : `/* block.c line ${out.length + 1} */`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, `${out.join('\n')}\n`);
  }
  fs.mkdirSync(path.join(root, 'include', 'block'), { recursive: true });
  fs.writeFileSync(path.join(root, 'include', 'block', 'block.h'), '/* synthetic */\n');
}
