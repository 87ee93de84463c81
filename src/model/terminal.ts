// Terminal control codes in a log saved from a terminal (`script`, a terminal's own logging, tmux's
// `capture-pane -e`): gdb's colours (`ESC[33mbdrv_open_driverESC[m`), readline's switches around
// each prompt (`ESC[?2004h(gdb) `), the bell, and the backspaces of a line corrected as it was
// typed. The model reads each line as the terminal showed it, without them; the editor maps the
// columns of what was read back to the document's (`documentColumns`).

const ESC = 0x1b;
const BS = 0x08;
const BEL = 0x07;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x07\x08\x1b]/;

/** Whether `text[start, end)` holds a control code a terminal acts on rather than shows. */
export function hasTerminalCodes(text: string, start = 0, end = text.length): boolean {
  if (start === 0 && end === text.length) return CONTROLS.test(text);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === ESC || c === BS || c === BEL) return true;
  }
  return false;
}

/**
 * Where the escape sequence starting at `at` (an ESC) ends (ECMA-48: CSI `ESC [ params final`;
 * strings `ESC ] … BEL`, `ESC P|X|^|_ … ESC \`; `ESC intermediates final`; `ESC final`). A sequence
 * cut off by the line's end takes the rest of the line.
 */
function escapeEnd(line: string, at: number): number {
  const n = line.length;
  let i = at + 1;
  if (i >= n) return n;
  const c = line.charCodeAt(i);
  if (c === 0x5b /* [ */) {
    i++;
    while (i < n && line.charCodeAt(i) >= 0x20 && line.charCodeAt(i) <= 0x3f) i++;
    return i < n ? i + 1 : n;
  }
  if (c === 0x5d /* ] */ || c === 0x50 /* P */ || c === 0x58 /* X */ || c === 0x5e /* ^ */ || c === 0x5f /* _ */) {
    for (i++; i < n; i++) {
      const d = line.charCodeAt(i);
      if (d === BEL) return i + 1;
      if (d === ESC && line.charCodeAt(i + 1) === 0x5c /* \ */) return i + 2;
    }
    return n;
  }
  while (i < n && line.charCodeAt(i) >= 0x20 && line.charCodeAt(i) <= 0x2f) i++;
  return i < n ? i + 1 : n;
}

/**
 * A line as the terminal showed it: escape sequences and bells left out, each backspace taking
 * back the character before it. With `columns`, also where each character of the result is in
 * `line` (columns[k] is the column of character k).
 */
export function withoutTerminalCodes(line: string, columns?: number[]): string {
  if (!CONTROLS.test(line)) {
    if (columns) for (let k = 0; k < line.length; k++) columns.push(k);
    return line;
  }
  const out: string[] = [];
  let runStart = 0;
  const n = line.length;
  // characters kept so far, in runs of `line`; a backspace takes back the last one
  let i = 0;
  const flush = (to: number) => {
    if (to > runStart) {
      out.push(line.slice(runStart, to));
      if (columns) for (let k = runStart; k < to; k++) columns.push(k);
    }
  };
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c !== ESC && c !== BS && c !== BEL) {
      i++;
      continue;
    }
    flush(i);
    if (c === ESC) i = escapeEnd(line, i);
    else {
      if (c === BS) takeBack(out, columns);
      i++;
    }
    runStart = i;
  }
  flush(n);
  return out.join('');
}

function takeBack(out: string[], columns: number[] | undefined): void {
  for (let k = out.length - 1; k >= 0; k--) {
    if (out[k].length === 0) continue;
    out[k] = out[k].slice(0, -1);
    columns?.pop();
    return;
  }
}

/**
 * The document columns of the range `[start, end)` of a line as the model read it, in the line as
 * it is in the document (`raw`, with its terminal codes): the range covers the same characters.
 */
export function documentColumns(raw: string, start: number, end: number): { start: number; end: number } {
  if (!CONTROLS.test(raw)) return { start, end };
  const columns: number[] = [];
  withoutTerminalCodes(raw, columns);
  const at = (k: number) => (k < columns.length ? columns[k] : raw.length);
  const s = at(start);
  return { start: s, end: end > start ? Math.min(raw.length, at(end - 1) + 1) : s };
}

/** The column in the line as the model read it of document column `column` of `raw`: how many of the characters read stand before it. */
export function readColumn(raw: string, column: number): number {
  if (!CONTROLS.test(raw)) return column;
  const columns: number[] = [];
  withoutTerminalCodes(raw, columns);
  let k = 0;
  while (k < columns.length && columns[k] < column) k++;
  return k;
}
