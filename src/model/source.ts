import { relocate, type COutline, type FrameContext, type RelocationMethod } from './cSource';

// From a frame's `file:line` to a file of the user's QEMU checkout (design.md §6): path mappings,
// the source root, the build directory, absolute paths from another machine, and a unique suffix
// match among the workspace's files. File access is injected, so tests use in-memory trees.

/** What resolution may ask of the file system (paths are POSIX, absolute). */
export interface SourceFiles {
  exists(path: string): boolean;
}

export interface PathMapping {
  /** A prefix as it appears in the log (`/home/dev/src/qemu-10.2.0`). */
  from: string;
  /** What it is on this machine (`/work/qemu`). */
  to: string;
}

export interface SourceConfig {
  /** The QEMU source root; null when none is known. */
  root: string | null;
  /** The build directory; default `<root>/build`. */
  buildDir: string | null;
  pathMappings: readonly PathMapping[];
  /** Every source file of the workspace (absolute), for the last resort: a unique suffix match. */
  workspaceFiles: readonly string[];
}

export type PathVia = 'mapping' | 'root' | 'build-dir' | 'absolute-suffix' | 'as-printed' | 'workspace-suffix';

export type PathResolution =
  | { path: string; via: PathVia }
  | { path: null; reason: string };

/** Normalise `a/./b/../c` → `a/c`, keeping a leading `/` or leading `..`. */
export function normalizePath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part === '..' && abs) continue;
    else out.push(part);
  }
  return (abs ? '/' : '') + out.join('/');
}

function join(a: string, b: string): string {
  return normalizePath(`${a}/${b}`);
}

/** Generated files live in the build directory: QAPI, tracing, config headers. */
const GENERATED = /^(?:qapi\/qapi-|trace\/|trace-|config-host|qemu-version|target\/[^/]+\/[^/]+-decode)/;

/**
 * Where `file` (as a frame prints it: `../block.c`, `block.c`, `/abs/build/../block.c`,
 * `qapi/qapi-commands-block-core.c`) is on this machine, or why it cannot be found.
 */
export function resolveSourcePath(file: string, config: SourceConfig, files: SourceFiles): PathResolution {
  if (file === '' || file === '??') return { path: null, reason: 'the frame names no source file' };
  // 1. the user's mappings, longest prefix first
  const mappings = [...config.pathMappings].sort((a, b) => b.from.length - a.from.length);
  for (const m of mappings) {
    const from = m.from.replace(/\/+$/, '');
    if (file === from || file.startsWith(`${from}/`)) {
      const mapped = normalizePath(m.to.replace(/\/+$/, '') + file.slice(from.length));
      if (files.exists(mapped)) return { path: mapped, via: 'mapping' };
    }
  }
  const root = config.root;
  const buildDir = config.buildDir ?? (root ? join(root, 'build') : null);
  if (!file.startsWith('/')) {
    // 2. meson builds print paths relative to the build directory: `../block.c` is `<root>/block.c`
    if (root) {
      const rel = normalizePath(file);
      const fromBuild = buildDir ? join(buildDir, rel) : null;
      if (rel.startsWith('../') || rel === '..') {
        const inRoot = join(root, rel.replace(/^(\.\.\/)+/, ''));
        if (files.exists(inRoot)) return { path: inRoot, via: 'root' };
      } else {
        // 3. generated files are in the build directory; plain relative paths (make builds) in the root
        if (GENERATED.test(rel) && fromBuild && files.exists(fromBuild)) return { path: fromBuild, via: 'build-dir' };
        const inRoot = join(root, rel);
        if (files.exists(inRoot)) return { path: inRoot, via: 'root' };
        if (fromBuild && files.exists(fromBuild)) return { path: fromBuild, via: 'build-dir' };
      }
    }
  } else if (root) {
    // 4. an absolute path from another machine: its longest suffix that exists under the root
    const parts = normalizePath(file).split('/').filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      const suffix = parts.slice(i).join('/');
      for (const base of buildDir ? [root, buildDir] : [root]) {
        const candidate = join(base, suffix);
        if (files.exists(candidate)) return { path: candidate, via: 'absolute-suffix' };
      }
    }
  }
  // an absolute path that exists here as printed (the user's own build, no root configured)
  if (file.startsWith('/') && files.exists(normalizePath(file))) return { path: normalizePath(file), via: 'as-printed' };
  // 5. a unique match by path suffix among the workspace's files
  const tail = normalizePath(file).replace(/^(\.\.\/)+/, '').replace(/^\//, '');
  const parts = tail.split('/');
  for (let i = 0; i < parts.length; i++) {
    const suffix = `/${parts.slice(i).join('/')}`;
    const matches = config.workspaceFiles.filter((f) => f.endsWith(suffix));
    if (matches.length === 1) return { path: matches[0], via: 'workspace-suffix' };
    if (matches.length > 1) {
      return { path: null, reason: `${matches.length} files of the workspace end in ${suffix.slice(1)}; set qemuBlockTrace.source.root to choose` };
    }
  }
  if (!root) return { path: null, reason: 'no QEMU source folder is known (qemuBlockTrace.source.root)' };
  return { path: null, reason: `${file} is not in the QEMU source folder ${root} (nor its build directory)` };
}

/** A workspace folder is a QEMU tree when it has `block.c` and `include/block/`. */
export function looksLikeQemuTree(folder: string, files: SourceFiles): boolean {
  return files.exists(join(folder, 'block.c')) && files.exists(join(folder, 'include/block'));
}

// ---------------------------------------------------------------------------------------------
// Frames

export type FrameLocationMethod = RelocationMethod | 'moved' | 'mapped' | 'suffix-match';

export type FrameLocation =
  | { path: string; line: number; method: FrameLocationMethod; delta: number; note: string; candidates?: { fn: string; line: number }[] }
  | { path: null; reason: string };

/**
 * What the whole tree says, read once per tree: which files define each function (files move,
 * `softmmu/` became `system/`), and which fields each function is bound to by an initialiser
 * (`.bdrv_co_create_opts = qcow2_co_create_opts` in a BlockDriver, `.prepare = mirror_prepare` in a
 * JobDriver), so that a call through the field is a call of the function.
 */
export interface TreeIndex {
  definedIn(fn: string): readonly string[];
  fieldsOf(fn: string): readonly string[];
  /** Function-like macros whose body calls `fn` (`BDRV_POLL_WHILE` calls `aio_poll`). */
  macrosCalling(fn: string): readonly string[];
  files: number;
}

/** Lists a tree's C files (absolute paths), for the index. */
export interface SourceLister {
  listCFiles(dir: string): string[];
}

// A definition in QEMU's style: return type and name at column 0, `(` after the name, no `;`
const DEFINITION = /^(?!(?:if|for|while|switch|return|else|do|typedef|extern)\b)[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\([^;\n]*$/gm;
const BINDING = /\.\s*([A-Za-z_]\w*)\s*=\s*&?\s*([a-z_]\w*)\s*[,}\n]/g;
// `#define NAME(args) body`, the body running on over lines that end in a backslash
const MACRO = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(((?:[^\n]*\\\n)*[^\n]*)/gm;
const CALLED = /\b([A-Za-z_]\w*)\s*\(/g;

/** Read every C file of the tree (and the build directory) with two regular expressions; parsing comes later, for the few files a trace names. */
export function buildTreeIndex(dirs: readonly string[], lister: SourceLister, reader: Pick<SourceReader, 'read'>): TreeIndex {
  const b = new TreeIndexBuilder();
  for (const path of new Set(dirs.flatMap((d) => lister.listCFiles(d)))) b.add(path, reader.read(path));
  return b.index();
}

/** The same, yielding to the event loop every `batch` files (for the extension host). */
export async function buildTreeIndexAsync(dirs: readonly string[], lister: SourceLister, reader: Pick<SourceReader, 'read'>, batch = 200): Promise<TreeIndex> {
  const b = new TreeIndexBuilder();
  let n = 0;
  for (const path of new Set(dirs.flatMap((d) => lister.listCFiles(d)))) {
    b.add(path, reader.read(path));
    if (++n % batch === 0) await new Promise((r) => setTimeout(r, 0));
  }
  return b.index();
}

class TreeIndexBuilder {
  private readonly defs = new Map<string, string[]>();
  private readonly fields = new Map<string, Set<string>>();
  private readonly macros = new Map<string, Set<string>>();
  private count = 0;

  add(path: string, text: string | undefined): void {
    const defs = this.defs;
    const fields = this.fields;
    if (text === undefined) return;
    this.count++;
    if (text.includes('#')) {
      for (const m of text.matchAll(MACRO)) {
        for (const c of m[2].matchAll(CALLED)) if (c[1] !== m[1]) (this.macros.get(c[1]) ?? this.macros.set(c[1], new Set()).get(c[1])!).add(m[1]);
      }
    }
    for (const m of text.matchAll(DEFINITION)) {
      // the body follows within a few lines, `{` at column 0, with no `;` before it (a prototype)
      const after = text.indexOf('\n{', m.index);
      const head = after < 0 ? '' : text.slice(m.index, after);
      if (after < 0 || head.includes(';') || head.split('\n').length > 12) continue;
      const list = defs.get(m[1]) ?? defs.set(m[1], []).get(m[1])!;
      if (!list.includes(path)) list.push(path);
    }
    if (path.endsWith('.c')) for (const m of text.matchAll(BINDING)) (fields.get(m[2]) ?? fields.set(m[2], new Set()).get(m[2])!).add(m[1]);
  }

  index(): TreeIndex {
    const { defs, fields, macros, count } = this;
    return { definedIn: (fn) => defs.get(fn) ?? [], fieldsOf: (fn) => [...(fields.get(fn) ?? [])], macrosCalling: (fn) => [...(macros.get(fn) ?? [])], files: count };
  }
}

/** What resolution needs of a frame (a model Frame satisfies it). */
export interface FrameRef {
  function: string;
  file: string | null;
  line: number | null;
  library: string | null;
}

/** Reads the files to relocate in. */
export interface SourceReader extends SourceFiles {
  read(path: string): string | undefined;
  /** A key that changes when the file does (path + mtime), for the parse cache. */
  version(path: string): string;
}

export interface CRelocator {
  /** The outline of a file; `text` is called only when it is not cached under `key`. */
  outline(key: string, text: () => string): Promise<COutline>;
}

/**
 * What `resolveFrameLocation` reads of a frame and what is around it, as one key: frames with the
 * same key land on the same line (the siblings follow from the file, function and line). A log
 * repeats the same few stacks, so its frames are resolved once per key.
 */
export function frameLocationKey(frame: FrameRef, inner: FrameContext): string {
  return JSON.stringify([frame.library, frame.file, frame.line, frame.function, inner.callee, inner.text, inner.outer, inner.via]);
}

/**
 * The line of the user's checkout a frame was executing: the file by `resolveSourcePath`, the line
 * checked (and if need be relocated) against the function the frame names. `inner` is the
 * next-inner frame's function, or for frame #0 the source line gdb echoed.
 */
export async function resolveFrameLocation(
  frame: FrameRef,
  inner: FrameContext,
  config: SourceConfig,
  files: SourceReader,
  c: CRelocator,
  index?: TreeIndex,
  revision?: RevisionMapping,
): Promise<FrameLocation> {
  if (frame.library !== null) return { path: null, reason: `a library frame (${frame.library}): no source` };
  if (frame.file === null || frame.line === null) return { path: null, reason: `${frame.function || '??'} has no file:line in the log` };
  const fn = frame.function;
  const named = fn !== '' && fn !== '??';
  const fieldsOf = (f: string) => index?.fieldsOf(f) ?? [];
  const macrosOf = (f: string) => index?.macrosCalling(f) ?? [];
  const where = resolveSourcePath(frame.file, config, files);
  const outlineOf = (path: string) => c.outline(files.version(path), () => files.read(path) ?? '');
  /** The function's definition in another file of the tree: the file moved, or the function did. */
  const elsewhere = async (notHere: string | null): Promise<FrameLocation | undefined> => {
    const others = (index?.definedIn(fn) ?? []).filter((p) => p !== notHere && /\.c$/.test(p));
    const found: FrameLocation[] = [];
    for (const path of others) {
      const r = relocate(await outlineOf(path), fn, frame.line!, inner, fieldsOf, macrosOf);
      // moved only when the call (or the echoed line) is found there too
      if (r.method === 'unresolved' || r.method === 'renamed' || r.method === 'inlined' || r.method === 'function') continue;
      const rel = config.root && path.startsWith(`${config.root}/`) ? path.slice(config.root.length + 1) : path;
      found.push({ path, line: r.line, method: 'moved', delta: r.delta, note: `moved to ${rel}: ${r.note}` });
    }
    // two files define it (a static function of the same name): not a guess to make
    return found.length === 1 ? found[0] : undefined;
  };
  if (where.path === null) {
    if (named && index) {
      const moved = await elsewhere(null);
      if (moved) return moved;
    }
    return where;
  }
  const bySuffix = where.via === 'workspace-suffix' || where.via === 'absolute-suffix';
  const isC = /\.[ch]$/.test(where.path) && named;
  if (!isC) {
    return { path: where.path, line: frame.line, method: bySuffix ? 'suffix-match' : 'unverified', delta: 0, note: bySuffix ? `found by its path's suffix` : `line ${frame.line} as printed (not a C file: not checked)` };
  }
  const path = where.path;
  const outline = await outlineOf(path);
  // the binary's revision known: its line, through git's hunks, is where to start (and check)
  const rel = revision && config.root && path.startsWith(`${config.root}/`) ? path.slice(config.root.length + 1) : null;
  const mapped = rel ? await revision!.map(rel, frame.line) : undefined;
  const r = relocate(outline, fn, mapped?.line ?? frame.line, inner, fieldsOf, macrosOf);
  if (r.method === 'unresolved' || r.method === 'renamed') {
    // a function of that name elsewhere beats a rename in this file
    const moved = await elsewhere(path);
    if (moved) return moved;
  }
  if (mapped) {
    const delta = r.line - frame.line;
    const how = mapped.changed ? `line ${frame.line} of ${revision!.label} is in a changed part` : `line ${frame.line} of ${revision!.label} is line ${mapped.line} here (unchanged since)`;
    if (r.method === 'exact') {
      const method = delta === 0 ? 'exact' : 'mapped';
      return { path, line: r.line, method, delta, note: `${how}: ${r.note.replace(/^line \d+: /, '')}` };
    }
    return { path, line: r.line, method: r.method, delta, note: `${how}; ${r.note}`, ...(r.candidates ? { candidates: r.candidates } : {}) };
  }
  // never past the end of the file (a printed line of a longer version)
  const last = Math.max(1, outline.lines.length - (outline.lines[outline.lines.length - 1] === '' ? 1 : 0));
  if (r.line > last) return { path, line: last, method: r.method, delta: last - frame.line, note: `${r.note} (line ${r.line} is past the end of the file: its last line)`, ...(r.candidates ? { candidates: r.candidates } : {}) };
  return { path, line: r.line, method: r.method, delta: r.delta, note: r.note, ...(r.candidates ? { candidates: r.candidates } : {}) };
}

/** A revision of the checkout the binary was built from, and how its lines are found in the working tree. */
export interface RevisionMapping {
  /** What to call it: a tag, or a short commit id. */
  label: string;
  /** Where line `line` of `path` (relative to the source root) at the revision is in the working tree. */
  map(path: string, line: number): Promise<{ line: number; changed: boolean } | undefined>;
}

/** What frame `i` of a stack must hold (frame #0: the echoed line) and which frame is around it; `siblings` from `functionCalls`. */
export function frameContext(frames: readonly FrameRef[], i: number, echo: string | undefined, siblings?: FunctionCalls): FrameContext {
  const outer = frames[i + 1]?.function;
  const via = i >= 2 ? frames[i - 2].function : undefined;
  const f = frames[i];
  const sib = siblings?.get(`${f.file}:${f.function}`)?.filter((s) => s.line !== f.line);
  return i === 0
    ? { text: echo, ...(outer ? { outer } : {}) }
    : { callee: frames[i - 1].function, ...(outer ? { outer } : {}), ...(via ? { via } : {}), ...(sib && sib.length > 0 ? { siblings: sib } : {}) };
}

/** `ctx` with the other printed lines of `frame`'s function (when it has a callee and none were given). */
export function withSiblings(ctx: FrameContext, frame: FrameRef, calls: FunctionCalls): FrameContext {
  if (!ctx.callee || ctx.siblings) return ctx;
  const sib = calls.get(`${frame.file}:${frame.function}`)?.filter((s) => s.line !== frame.line);
  return sib && sib.length > 0 ? { ...ctx, siblings: sib } : ctx;
}

/** For each function of a trace (`file:function`), the lines its frames printed and what each called. */
export type FunctionCalls = Map<string, { line: number; callee: string }[]>;

/** Read once per trace: every (line, callee) each function's frames show. */
export function functionCalls(stacks: Iterable<readonly FrameRef[]>): FunctionCalls {
  const out: FunctionCalls = new Map();
  for (const frames of stacks) {
    for (let i = 1; i < frames.length; i++) {
      const f = frames[i];
      if (!f.file || f.line === null || !f.function) continue;
      const key = `${f.file}:${f.function}`;
      const list = out.get(key) ?? out.set(key, []).get(key)!;
      if (!list.some((x) => x.line === f.line && x.callee === frames[i - 1].function)) list.push({ line: f.line, callee: frames[i - 1].function });
    }
  }
  return out;
}
