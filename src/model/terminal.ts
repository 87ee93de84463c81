// Terminal control codes in a log saved from a terminal (`script`, a terminal's own logging, tmux's
// `capture-pane -e`): gdb's colours (`ESC[33mbdrv_open_driverESC[m`), readline's switches around
// each prompt (`ESC[?2004h(gdb) `), the bell, and the backspaces of a line corrected as it was
// typed. The model reads each line as the terminal showed it, without them; the editor maps the
// columns of what was read back to the document's (`documentColumns`).

import { isQemuTraceLine } from './lines';

const ESC = 0x1b;
const BS = 0x08;
const BEL = 0x07;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x07\x08\x1b]/;

/** Whether `text` holds a control code a terminal acts on rather than shows. */
export function hasTerminalCodes(text: string): boolean {
  return CONTROLS.test(text);
}

/**
 * Where the escape sequence starting at `at` (an ESC) ends (ECMA-48: CSI `ESC [ params final`;
 * strings `ESC ] … BEL`, `ESC P|X|^|_ … ESC \`; `ESC intermediates final`; `ESC final`). A
 * sequence cut off, by the line's end or by another ESC, ends there. CODES says the same.
 */
function escapeEnd(line: string, at: number): number {
  const n = line.length;
  let i = at + 1;
  if (i >= n) return n;
  const c = line.charCodeAt(i);
  if (c === 0x5b /* [ */) {
    i++;
    while (i < n && line.charCodeAt(i) >= 0x20 && line.charCodeAt(i) <= 0x3f) i++;
    return i < n && line.charCodeAt(i) >= 0x40 && line.charCodeAt(i) <= 0x7e ? i + 1 : i;
  }
  if (c === 0x5d /* ] */ || c === 0x50 /* P */ || c === 0x58 /* X */ || c === 0x5e /* ^ */ || c === 0x5f /* _ */) {
    for (i++; i < n; i++) {
      const d = line.charCodeAt(i);
      if (d === BEL) return i + 1;
      if (d === ESC) return line.charCodeAt(i + 1) === 0x5c /* \ */ ? i + 2 : i;
    }
    return n;
  }
  while (i < n && line.charCodeAt(i) >= 0x20 && line.charCodeAt(i) <= 0x2f) i++;
  return i < n && line.charCodeAt(i) >= 0x30 && line.charCodeAt(i) <= 0x7e ? i + 1 : i;
}

/** The escape sequences and bells escapeEnd finds, as one pattern (replacing with it is V8's work, not a loop's). */
// eslint-disable-next-line no-control-regex
const CODES = /\x1b(?:\[[\x20-\x3f]*[\x40-\x7e]?|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x20-\x2f]*[\x30-\x7e]?)|\x07/g;

// Line editing: a backspace moves the cursor back one column (it erases nothing by itself), and
// readline edits a line with CSI sequences: ESC[K erases to the end, ESC[nP deletes, ESC[n@
// inserts, ESC[nC / ESC[nD move right / left. A line with any of them is played as a row of a screen.
// eslint-disable-next-line no-control-regex
const EDITING = /\x08|\x1b\[\d*[@CDKP]/;

/**
 * A line as the terminal showed it: escape sequences and bells left out, and a line edited as it
 * was typed (backspaces, readline's cursor moves) as the screen ended up. With `columns`, also
 * where each character of the result is in `line` (columns[k] is the column of character k).
 */
export function withoutTerminalCodes(line: string, columns?: number[]): string {
  if (!CONTROLS.test(line)) {
    if (columns) for (let k = 0; k < line.length; k++) columns.push(k);
    return line;
  }
  if (EDITING.test(line)) return asEdited(line, columns);
  if (!columns) return line.replace(CODES, '');
  const out: string[] = [];
  let runStart = 0;
  const n = line.length;
  let i = 0;
  const flush = (to: number) => {
    if (to > runStart) {
      out.push(line.slice(runStart, to));
      for (let k = runStart; k < to; k++) columns.push(k);
    }
  };
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c !== ESC && c !== BEL) {
      i++;
      continue;
    }
    flush(i);
    i = c === ESC ? escapeEnd(line, i) : i + 1;
    runStart = i;
  }
  flush(n);
  return out.join('');
}

/** A line played on one row of a screen: what each column shows at the end, and from where in `line`. */
function asEdited(line: string, columns?: number[]): string {
  const shown: string[] = [];
  const from: number[] = [];
  let cursor = 0;
  const n = line.length;
  for (let i = 0; i < n; ) {
    const c = line.charCodeAt(i);
    if (c === BS) {
      if (cursor > 0) cursor--;
      i++;
    } else if (c === BEL) {
      i++;
    } else if (c === ESC) {
      const end = escapeEnd(line, i);
      // eslint-disable-next-line no-control-regex
      const m = /^\x1b\[(\d*)([@CDKP])$/.exec(line.slice(i, end));
      if (m) {
        const k = m[1] === '' ? 1 : Number(m[1]);
        switch (m[2]) {
          case 'K':
            // 0: to the end; 1: to the start; 2: the whole line
            if (k === 1 && m[1] !== '') for (let x = 0; x < Math.min(cursor + 1, shown.length); x++) shown[x] = ' ';
            else if (k === 2) {
              shown.length = 0;
              from.length = 0;
            } else {
              shown.length = Math.min(shown.length, cursor);
              from.length = shown.length;
            }
            break;
          case 'P':
            shown.splice(cursor, k);
            from.splice(cursor, k);
            break;
          case '@':
            if (cursor <= shown.length) {
              shown.splice(cursor, 0, ...Array<string>(k).fill(' '));
              from.splice(cursor, 0, ...Array<number>(k).fill(i));
            }
            break;
          case 'C':
            cursor += k;
            break;
          case 'D':
            cursor = Math.max(0, cursor - k);
            break;
        }
      }
      i = end;
    } else {
      while (shown.length < cursor) {
        shown.push(' ');
        from.push(i);
      }
      shown[cursor] = line[i];
      from[cursor] = i;
      cursor++;
      i++;
    }
  }
  if (columns) for (const f of from) columns.push(f);
  return shown.join('');
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
  return { start: s, end: end > start ? Math.max(s, Math.min(raw.length, at(end - 1) + 1)) : s };
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

// A log saved from a terminal's screen (tmux's `capture-pane` without -J, GNU screen's hardcopy, a
// copy from some terminals) has its long lines cut where the screen wrapped them: every piece but
// the last is exactly as wide as the screen, or one less where the terminal dropped the space
// that fell at the edge. Nothing in such a log is longer than the screen.

/** Lengths of lines counted up to this; longer ones count here. */
const LONGEST_COUNTED = 1024;
/** A screen narrower than this is not taken for one (short lines of equal length are common). */
const NARROWEST_SCREEN = 40;

/**
 * How many lines of each length a log has, its longest, and how often a line as long as the
 * longest so far was followed by one that does not start anything of its own (the rest of a line
 * the screen cut): what tells a log cut at a screen's width.
 */
export class LineLengths {
  readonly counts = new Int32Array(LONGEST_COUNTED + 1);
  readonly continued = new Int32Array(LONGEST_COUNTED + 1);
  longest = 0;
  private previous = 0;

  /** Whether the next line's start is wanted (`next`): the line before it was as long as the longest, or one less. */
  get wantsNext(): boolean {
    return this.previous >= NARROWEST_SCREEN && this.previous >= this.longest - 1 && this.previous < LONGEST_COUNTED;
  }

  /** The line after the one added last: whether it starts something of its own (`startsOwnLine`). */
  next(startsOwn: boolean): void {
    if (!startsOwn) this.continued[this.previous]++;
  }

  add(length: number): void {
    this.counts[length < LONGEST_COUNTED ? length : LONGEST_COUNTED]++;
    if (length > this.longest) this.longest = length;
    this.previous = length;
  }

  copyTo(other: LineLengths): void {
    other.counts.set(this.counts);
    other.continued.set(this.continued);
    other.longest = this.longest;
    other.previous = this.previous;
  }

  /**
   * The screen width the log's lines were cut at, with how many lines are that wide, or null when
   * it does not look cut: no line longer than that width; lines of exactly that width at least ten,
   * four times as many as of each length just under it on average (a log gdb itself wrapped at its
   * width has lines of every length up to it), and most of them followed by the rest of a line
   * (a log holding the same session twice has its longest lines twice over, each followed by the
   * next frame).
   */
  cutAt(): { width: number; lines: number } | null {
    if (this.longest < NARROWEST_SCREEN || this.longest >= LONGEST_COUNTED) return null;
    const width = this.longest;
    const at = this.counts[width];
    // (not one less: where a terminal dropped the space at the edge)
    let under = 0;
    for (let l = width - 21; l <= width - 2; l++) under += this.counts[l];
    return at >= 10 && at * 20 >= 4 * under && this.continued[width] * 2 >= at ? { width, lines: at } : null;
  }
}

/** Lines that start something of their own (a frame, a hit, a prompt, a command, a reply, an event, a separator): never the rest of a cut line. */
const STARTS_A_LINE = /^(?:#\d+[ \u00a0\u00c2]|Thread \d|\(gdb\)|\(QEMU\)|TRANS>|\[(?:New|Thread|Inferior|Switching)|Breakpoint \d|Temporary breakpoint \d|Continuing\.|Run till exit|={8}|\{"(?:return|error|event|execute|QMP|timestamp)"|\d+(?:\t| {2,})|\d+@\d+\.\d+:|\d{4}-\d\d-\d\dT\d\d:|$)/;

/** Whether `line` starts something of its own, and so is not the rest of a line a screen cut. */
export function startsOwnLine(line: string): boolean {
  return STARTS_A_LINE.test(line) || isQemuTraceLine(line);
}

/** The lines of a log cut at a screen of `width` columns, each joined again with the pieces the screen cut it into. */
export function joinCutLines(lines: readonly string[], width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let piece = lines[i];
    let line = piece;
    // one short: the space at the screen's edge was dropped (so the rest starts with none)
    const cutBefore = (next: string) => (piece.length === width || (piece.length === width - 1 && !next.startsWith(' '))) && !startsOwnLine(next);
    while (i + 1 < lines.length && cutBefore(lines[i + 1])) {
      const next = lines[++i];
      line += (piece.length === width - 1 ? ' ' : '') + next;
      piece = next;
    }
    out.push(line);
  }
  return out;
}

/**
 * A log as gdb printed it: its lines without terminal codes and, when the screen it was saved
 * from cut them, joined again. `cutAt` is the width they were joined at (null: none were).
 */
export function asGdbPrintedIt(text: string): { text: string; cutAt: number | null } {
  const lines = text.split(/\r\n|\n|\r/).map((l) => withoutTerminalCodes(l));
  const lengths = new LineLengths();
  for (const l of lines) {
    if (lengths.wantsNext) lengths.next(startsOwnLine(l));
    lengths.add(l.length);
  }
  const cut = lengths.cutAt();
  return { text: (cut ? joinCutLines(lines, cut.width).map(withSourceTab) : lines).join('\n'), cutAt: cut?.width ?? null };
}

/**
 * A screen shows gdb's echo of the source line (`2832<TAB>    BlockDriverState *old_bs = …`) with
 * its tab as spaces to the next tab stop: the tab put back, so that the line is read as gdb's echo.
 */
function withSourceTab(line: string): string {
  const m = /^(\d{1,7})( +)/.exec(line);
  if (!m || m[0].length < 8) return line;
  return `${m[1]}\t${line.slice(8)}`;
}
