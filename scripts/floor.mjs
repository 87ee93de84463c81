// The least a summary of a gdb log can do in Node: read the log in chunks, find its lines, count
// the hits and the frame lines, and look once at every character of each frame line (as telling a
// whole frame from a broken one must: its argument list is closed where its location starts).
// Nothing is decoded, kept or built. `npm run bench` times it next to awk and the CLI: the floor
// under the budgets of design.md §7 on this machine.
//
//   node scripts/floor.mjs FILE   prints: hits frames
import { openSync, readSync } from 'node:fs';

const HIT = Buffer.from('hit Breakpoint');
let hits = 0;
let frames = 0;
let depth = 0;

/** Where the next `hit Breakpoint` is at or after `from` (looked for again only once passed). */
let nextHit = -1;
function hitIn(buf, s, e) {
  if (nextHit < s) nextHit = buf.indexOf(HIT, s);
  if (nextHit < 0) nextHit = Infinity;
  return nextHit + HIT.length <= e;
}

/** The line `buf[s, e)`. */
function line(buf, s, e) {
  // as awk counts them: a line that holds `hit Breakpoint`, a line that starts with `#` and a digit
  if (hitIn(buf, s, e)) hits++;
  if (buf[s] === 35 /* # */ && buf[s + 1] >= 48 && buf[s + 1] <= 57) {
    frames++;
    for (let k = s; k < e; k++) {
      const b = buf[k];
      if (b === 40) depth++;
      else if (b === 41) depth--;
    }
  }
}

const fd = openSync(process.argv[2], 'r');
let buf = Buffer.allocUnsafe(1 << 18);
let carry = 0;
for (;;) {
  const n = readSync(fd, buf, carry, buf.length - carry, null);
  const end = carry + n;
  if (n === 0) {
    if (end > 0) line(buf, 0, end);
    break;
  }
  let s = 0;
  for (let i = buf.indexOf(10, s); i >= 0 && i < end; i = buf.indexOf(10, s)) {
    line(buf, s, i);
    s = i + 1;
  }
  carry = end - s;
  nextHit = -1;
  // a line longer than the buffer: room for it
  if (s === 0 && carry === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
  else buf.copy(buf, 0, s, end);
}
// (the depth is printed so that the loop over the characters is not left out)
process.stdout.write(`${hits} ${frames} ${depth === 0 ? 'balanced' : 'unbalanced'}\n`);
