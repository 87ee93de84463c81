// What to record, as a `.vscode/qemu-block-trace.json` profile says it: read and checked field by
// field, so that a profile written by hand with a mistake in it says which field is wrong instead
// of starting QEMU with arguments it never meant (a string spread into letters, say). No vscode
// import: tested in Node.

import * as path from 'node:path';

/** What to record: the same fields in the profile file, the settings and the command's argument. */
export interface RecordProfile {
  binary?: string;
  args?: string[];
  breakpoints?: string[];
  gdb?: string;
  gdbFiles?: string[];
  /** Where the log goes (default: recordings/<time>.log in the workspace). */
  out?: string;
}

const STRINGS = ['binary', 'gdb', 'out'] as const;
const LISTS = ['args', 'breakpoints', 'gdbFiles'] as const;
const EXAMPLE: Record<(typeof LISTS)[number], string> = { args: '["--blockdev", "driver=file,…"]', breakpoints: '["bdrv_replace_child_noperm"]', gdbFiles: '["my-helpers.gdb"]' };

/** The profile a file's text gives, and what in it was not used (each problem one short sentence). */
export function readProfile(text: string): { profile: RecordProfile; problems: string[] } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { profile: {}, problems: [`it is not valid JSON (${(e as Error).message}); it was not used`] };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { profile: {}, problems: ['it is not a JSON object ({"binary": …, "args": […]}); it was not used'] };
  const o = v as Record<string, unknown>;
  const profile: RecordProfile = {};
  const problems: string[] = [];
  for (const k of STRINGS) {
    if (o[k] === undefined) continue;
    if (typeof o[k] === 'string' && o[k] !== '') profile[k] = o[k];
    else problems.push(`"${k}" must be a non-empty string; it was not used`);
  }
  for (const k of LISTS) {
    if (o[k] === undefined) continue;
    const list = o[k];
    if (Array.isArray(list) && list.every((x) => typeof x === 'string')) profile[k] = list;
    else problems.push(`"${k}" must be a list of strings (${EXAMPLE[k]}); it was not used`);
  }
  const known = new Set<string>([...STRINGS, ...LISTS]);
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length > 0) problems.push(`${unknown.map((k) => `"${k}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a profile field (${[...known].join(', ')}); ignored`);
  return { profile, problems };
}

/** Paths of a profile (binary, gdb, the log, gdb files) relative to `base` (the workspace folder) made absolute; a bare `gdb` stays a command name. */
export function resolveProfile(p: RecordProfile, base: string): RecordProfile {
  const abs = (f: string) => (path.isAbsolute(f) ? f : path.resolve(base, f));
  return {
    ...p,
    ...(p.binary ? { binary: abs(p.binary) } : {}),
    ...(p.out ? { out: abs(p.out) } : {}),
    ...(p.gdb && p.gdb.includes('/') ? { gdb: abs(p.gdb) } : {}),
    ...(p.gdbFiles ? { gdbFiles: p.gdbFiles.map(abs) } : {}),
  };
}
