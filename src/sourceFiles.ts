// A QEMU checkout on disk, for source navigation: files read (with a version for the parse cache)
// and the tree's C files listed for the tree index. Node's fs, in the extension host as in the CLI.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SourceLister, SourceReader } from './model/source';

export const diskReader: SourceReader = {
  exists: (p) => fs.existsSync(p),
  read: (p) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  version: (p) => {
    try {
      return `${p}@${fs.statSync(p).mtimeMs}`;
    } catch {
      return p;
    }
  },
};

/** Folders of a QEMU tree that hold no code a frame runs (or are too big to read for nothing). */
const SKIP = new Set(['.git', 'tests', 'roms', 'docs', 'subprojects', 'pc-bios', 'node_modules', 'python', 'scripts']);

/** Every `.c` and `.h` under `dir` (symbolic links not followed), leaving out tests, ROMs and docs. */
export const diskLister: SourceLister = {
  listCFiles(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string, depth: number) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (depth < 12 && !SKIP.has(e.name) && !e.name.startsWith('.')) walk(p, depth + 1);
        } else if (e.isFile() && /\.[ch]$/.test(e.name)) out.push(p);
      }
    };
    walk(dir, 0);
    return out;
  },
};
