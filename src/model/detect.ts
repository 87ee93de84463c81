// Does a text look like a gdb trace? Read from the start of a file (the first 64 KB), to switch a
// `.log` or plain-text document to the gdb-trace language.

import { hasTerminalCodes, withoutTerminalCodes } from './terminal';

export const DETECTION_WINDOW = 64 * 1024;

const HIT = /^(?:> ?)*\s*(?:Thread \d+(?: "[^"]*")? hit )?(?:Temporary breakpoint|Breakpoint|Hardware watchpoint|Watchpoint) \d+(?:\.\d+)?[,:] /m;
// spaces may be NBSPs, or their mojibake `Â` + NBSP (mail)
const FRAME = /^(?:> ?)*[\s\u00c2]*#\d+[ \u00a0\u00c2]+(?:0x[0-9a-fA-F]+[ \u00a0\u00c2]+in[ \u00a0\u00c2]|[A-Za-z_?<])/gm;
const PROMPT = /^(?:> ?)*\(gdb\)/gm;

/** Whether the beginning of `text` is a gdb session log: a hit with frames, or prompts with frames. */
export function looksLikeGdbTrace(text: string): boolean {
  let head = text.length > DETECTION_WINDOW ? text.slice(0, DETECTION_WINDOW) : text;
  // a session saved from a terminal: its lines as the terminal showed them
  if (hasTerminalCodes(head)) head = head.split('\n').map((l) => withoutTerminalCodes(l)).join('\n');
  const frames = head.match(FRAME)?.length ?? 0;
  if (frames === 0) return false;
  if (HIT.test(head)) return frames >= 1;
  const prompts = head.match(PROMPT)?.length ?? 0;
  return (prompts >= 1 && frames >= 2) || frames >= 5;
}
