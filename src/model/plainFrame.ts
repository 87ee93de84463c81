// One line that is one whole frame, as gdb prints nearly all of them, read in a single pass:
//
//   #1  0x0000555555d68bcb in bdrv_attach_child_common (child_bs=0x5555578ddc80, child_name=0x5555560db1d8 "root", child_class=0x5555564037c0 <child_root>, perm=10) at ../block.c:3055
//
// What it gives is what parseFrameText (lines.ts) finds on that line, and the pointer arguments
// pointerArgs finds in its list, without the slices, objects and second scan those take: a 100 MB
// log has 650,000 such lines. Anything less plain (a wrapped frame, a frame without a location, an
// argument that is a struct, an escape in a string, a character outside ASCII) is declined, and the
// caller reads the line the general way. So this reader may decline any line, but what it accepts
// it must read exactly as the general reader does: test/unit/plainFrame.test.ts holds the two to that.

/** What `readPlainFrame` found, as offsets in the text it was given (-1: none). */
export const enum Plain {
  Level,
  /** Where the frame starts after `#N` and its spaces. */
  Start,
  AddressStart,
  AddressEnd,
  FunctionStart,
  FunctionEnd,
  ArgsStart,
  ArgsEnd,
  /** `at FILE:LINE`: the file is [LocationStart, FileEnd). */
  FileEnd,
  Line,
  /** `from LIB`: the library is [LocationStart, LocationEnd). */
  IsLibrary,
  LocationStart,
  LocationEnd,
  Pointers,
}

/** The fields of the last line read (one buffer, reused). */
export const plain = new Int32Array(Plain.Pointers + 1);

/**
 * The pointer arguments of the last line read, four numbers each: the value's start and end, and
 * its argument's name's start and end (without `@entry`).
 */
export let plainPointers = new Int32Array(4 * 32);

const HEX = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
/** Characters of a name (`[A-Za-z0-9_$]`); 2 for those that may start one. */
const NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_$]/.test(ch)) NAME[c] = 2;
  else if (/[0-9]/.test(ch)) NAME[c] = 1;
}
/** Characters of a plain value: a number, `true`, an enum constant. */
const SCALAR = new Uint8Array(128);
for (const c of '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.+-') SCALAR[c.charCodeAt(0)] = 1;
/** Characters that end a symbol's name inside `<…>`, or make it not a plain one. */
const NOT_SYMBOL = new Uint8Array(128);
for (const c of '<>"\'(){}[],=\\') NOT_SYMBOL[c.charCodeAt(0)] = 1;

/** After a string's opening quote at `q`: its closing quote, or -1 (an escape, a character outside ASCII, the end of the line). */
function plainStringEnd(text: string, q: number, end: number): number {
  for (let k = q + 1; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === 34) return k;
    if (c === 92 || c >= 128 || c < 32) return -1;
  }
  return -1;
}

/** The library `text[from, e)`. */
function library(from: number, e: number): void {
  plain[Plain.FileEnd] = -1;
  plain[Plain.Line] = -1;
  plain[Plain.IsLibrary] = 1;
  plain[Plain.LocationStart] = from;
  plain[Plain.LocationEnd] = e;
}

/**
 * Read `text[start, end)` (one line, without its line break) as a plain frame: its fields in `plain`
 * and its pointer arguments in `plainPointers`. Returns how many pointers, or -1 when the line is
 * not a plain frame (then nothing it left in the buffers means anything).
 */
export function readPlainFrame(text: string, start: number, end: number): number {
  if (text.charCodeAt(start) !== 35 /* # */) return -1;
  let j = start + 1;
  let level = 0;
  for (let c = text.charCodeAt(j); c >= 48 && c <= 57 && j < end; c = text.charCodeAt(++j)) level = level * 10 + (c - 48);
  // at most nine digits: the number fits a row
  if (j === start + 1 || j - start > 10 || text.charCodeAt(j) !== 32) return -1;
  while (j < end && text.charCodeAt(j) === 32) j++;
  const out = plain;
  out[Plain.Level] = level;
  out[Plain.Start] = j;
  out[Plain.AddressStart] = -1;
  out[Plain.AddressEnd] = -1;
  let i = j;
  if (text.charCodeAt(i) === 48 && text.charCodeAt(i + 1) === 120 /* 0x */) {
    let h = i + 2;
    while (h < end && HEX[text.charCodeAt(h)] === 1) h++;
    if (h === i + 2 || text.charCodeAt(h) !== 32 || text.charCodeAt(h + 1) !== 105 || text.charCodeAt(h + 2) !== 110 || text.charCodeAt(h + 3) !== 32) return -1;
    out[Plain.AddressStart] = i;
    out[Plain.AddressEnd] = h;
    i = h + 4;
    while (i < end && text.charCodeAt(i) === 32) i++;
  }
  // the function: a C or C++ name (not `??`, not `<…>`), or none after an address (`in  ()`)
  out[Plain.FunctionStart] = i;
  const first = text.charCodeAt(i);
  if (first !== 40 /* ( */ && !(first < 128 && NAME[first] === 2) && first !== 126 /* ~ */) return -1;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 40 || c === 9) break;
    if (c >= 128) return -1;
    i++;
  }
  out[Plain.FunctionEnd] = i;
  if (i === out[Plain.FunctionStart] && out[Plain.AddressStart] < 0) return -1;
  while (i < end && text.charCodeAt(i) === 32) i++;
  // the argument list (not a sanitizer's `(/module+0x…)`)
  if (i >= end || text.charCodeAt(i) !== 40 || text.charCodeAt(i + 1) === 47) return -1;
  const argsStart = i + 1;
  out[Plain.ArgsStart] = argsStart;
  let p = argsStart;
  let pointers = 0;
  if (text.charCodeAt(p) !== 41 /* ) */) {
    for (;;) {
      // name=, or name@entry=
      const nameStart = p;
      let c = text.charCodeAt(p);
      if (c >= 128 || NAME[c] !== 2) return -1;
      p++;
      for (c = text.charCodeAt(p); c < 128 && NAME[c] !== 0; c = text.charCodeAt(++p));
      const nameEnd = p;
      if (c === 64 /* @ */) {
        if (!text.startsWith('@entry=', p)) return -1;
        p += 6;
      }
      if (text.charCodeAt(p) !== 61 /* = */) return -1;
      const valueStart = ++p;
      c = text.charCodeAt(p);
      if (c === 48 && text.charCodeAt(p + 1) === 120) {
        let h = p + 2;
        while (h < end && HEX[text.charCodeAt(h)] === 1) h++;
        if (h === p + 2) return -1;
        p = h;
        if (text.charCodeAt(p) === 32) {
          // `0x… <symbol>` or `0x… "string"`
          const d = text.charCodeAt(p + 1);
          if (d === 60 /* < */) {
            let q = p + 2;
            for (c = text.charCodeAt(q); q < end && c > 32 && c < 128 && NOT_SYMBOL[c] === 0; c = text.charCodeAt(++q));
            if (c !== 62 /* > */ || q === p + 2) return -1;
            p = q + 1;
          } else if (d === 34) {
            const q = plainStringEnd(text, p + 1, end);
            if (q < 0) return -1;
            p = q + 1;
          } else {
            return -1;
          }
        }
        // 0x0 is no object
        if (h - valueStart !== 3 || text.charCodeAt(valueStart + 2) !== 48) {
          if (4 * pointers + 4 > plainPointers.length) {
            const more = new Int32Array(plainPointers.length * 2);
            more.set(plainPointers);
            plainPointers = more;
          }
          const o = 4 * pointers++;
          plainPointers[o] = valueStart;
          plainPointers[o + 1] = h;
          plainPointers[o + 2] = nameStart;
          plainPointers[o + 3] = nameEnd;
        }
      } else if (c === 34 /* " */) {
        const q = plainStringEnd(text, p, end);
        if (q < 0) return -1;
        p = q + 1;
      } else if (c === 60 /* < */) {
        if (!text.startsWith('<optimized out>', p)) return -1;
        p += 15;
      } else {
        while (p < end && (c = text.charCodeAt(p)) < 128 && SCALAR[c] === 1) p++;
        if (p === valueStart) return -1;
      }
      c = text.charCodeAt(p);
      if (c === 44 /* , */ && text.charCodeAt(p + 1) === 32) {
        p += 2;
        continue;
      }
      if (c === 41) break;
      return -1;
    }
  }
  if (p >= end) return -1;
  const close = p;
  out[Plain.ArgsEnd] = close;
  i = close + 1;
  // what follows: ` at FILE:LINE` or ` from LIB`, to the end of the line (nothing: the location
  // may be on the next line, which only the general reader tells)
  if (text.charCodeAt(i) !== 32) return -1;
  const kind = text.charCodeAt(i + 1);
  if (kind === 97 /* a */ && text.charCodeAt(i + 2) === 116 /* t */ && text.charCodeAt(i + 3) === 32) {
    // no space, quote or other character than ASCII in it: then no `) at ` follows the list's
    // close, where parseFrameText takes the list to end, and the last colon on the line is in it
    const from = i + 4;
    let e = end;
    while (e > from && text.charCodeAt(e - 1) === 32) e--;
    if (e === from) return -1;
    let colon = -1;
    for (let k = from; k < e; k++) {
      const c = text.charCodeAt(k);
      if (c <= 32 || c >= 127 || c === 34 || c === 39) return -1;
      if (c === 58 /* : */) colon = k;
    }
    // `at FILE:LINE`, else a library gdb printed with `at` (`at /lib64/libc.so.6`)
    let line = colon > from && e > colon + 1 && e - colon <= 10 ? 0 : -1;
    for (let k = colon + 1; line >= 0 && k < e; k++) {
      const c = text.charCodeAt(k);
      line = c >= 48 && c <= 57 ? line * 10 + (c - 48) : -1;
    }
    if (line >= 0) {
      out[Plain.FileEnd] = colon;
      out[Plain.Line] = line;
      out[Plain.IsLibrary] = 0;
      out[Plain.LocationStart] = from;
      out[Plain.LocationEnd] = e;
    } else {
      // (more than nine digits: a line number too large for a row, read the general way)
      if (colon > from && e > colon + 10 && /^\d+$/.test(text.slice(colon + 1, e))) return -1;
      library(from, e);
    }
  } else if (text.startsWith(' from ', i)) {
    for (let k = i; k < end; k++) {
      const c = text.charCodeAt(k);
      if (c === 34 || c === 39 || c < 32 || c >= 127) return -1;
    }
    // parseFrameText takes the list to close at the last `) at ` on the line, else at the last
    // `) from `: not where it closes when the library's name holds one of those. (A `) at ` in a
    // string argument before it is no matter: then a quote follows, and parseFrameText reads the
    // list to its close. Looked for in the line alone: a backtrace of thousands of library frames
    // was searched back to its first line from each.)
    const tail = text.slice(close + 1, end);
    if (tail.includes(') at ') || tail.includes(') from ')) return -1;
    const from = i + 6;
    let e = end;
    while (e > from && text.charCodeAt(e - 1) === 32) e--;
    if (e === from || text.charCodeAt(from) === 32) return -1;
    library(from, e);
  } else {
    return -1;
  }
  out[Plain.Pointers] = pointers;
  return pointers;
}
