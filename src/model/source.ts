import { relocate, type COutline } from './cSource';

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

export type FrameLocationMethod = 'exact' | 'relocated-call' | 'relocated-text' | 'function' | 'suffix-match' | 'unresolved';

export type FrameLocation =
  | { path: string; line: number; method: FrameLocationMethod; delta: number; note: string }
  | { path: null; reason: string };

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
 * The line of the user's checkout a frame was executing: the file by `resolveSourcePath`, the line
 * checked (and if need be relocated) against the function the frame names. `inner` is the
 * next-inner frame's function, or for frame #0 the source line gdb echoed.
 */
export async function resolveFrameLocation(
  frame: FrameRef,
  inner: { callee?: string; text?: string },
  config: SourceConfig,
  files: SourceReader,
  c: CRelocator,
): Promise<FrameLocation> {
  if (frame.library !== null) return { path: null, reason: `a library frame (${frame.library}): no source` };
  if (frame.file === null || frame.line === null) return { path: null, reason: `${frame.function || '??'} has no file:line in the log` };
  const where = resolveSourcePath(frame.file, config, files);
  if (where.path === null) return where;
  const bySuffix = where.via === 'workspace-suffix' || where.via === 'absolute-suffix';
  const isC = /\.[ch]$/.test(where.path) && frame.function !== '' && frame.function !== '??';
  if (!isC) {
    return { path: where.path, line: frame.line, method: bySuffix ? 'suffix-match' : 'exact', delta: 0, note: bySuffix ? `found by its path's suffix` : `line ${frame.line} as printed` };
  }
  const path = where.path;
  const outline = await c.outline(files.version(path), () => files.read(path) ?? '');
  const r = relocate(outline, frame.function, frame.line, inner);
  return { path: where.path, line: r.line, method: r.method, delta: r.delta, note: r.note };
}
