// Which revision of the user's QEMU checkout the traced binary was built from, and how its lines
// map to the working tree (design.md §6): a QEMU checkout is nearly always a git repository. The
// revision is given (a setting) or detected by scoring candidate revisions by how many of the
// trace's call sites hold, at that revision, exactly what the frame executed; printed lines are
// then mapped through git's hunks from that revision to the working tree. Git itself is injected:
// the model only asks for file contents, tags, history and hunks.

import { relocate, type FieldsOf, type FrameContext } from './cSource';
import { normalizePath, type CRelocator } from './source';

/** What the model needs of git, in one repository (paths relative to its top). */
export interface GitReader {
  /** Release tags, oldest first (`v7.0.0`, `v7.1.0`, …). */
  releaseTags(): Promise<string[]>;
  /** Commits on the first-parent line from `from` (excluded) to `to` (included), oldest first. */
  firstParentBetween(from: string, to: string): Promise<string[]>;
  /** Contents of `path` at `rev`; undefined when it is not there. */
  show(rev: string, path: string): Promise<string | undefined>;
  /** Hunks of `git diff REV -- path` (REV to the working tree), with zero lines of context. */
  hunks(rev: string, path: string): Promise<Hunk[]>;
  /** How many commits the working tree's HEAD is after `rev` (`git rev-list --count rev..HEAD`). */
  commitsSince(rev: string): Promise<number>;
  /** The commit id `rev` names, or undefined when it names none. */
  commitOf(rev: string): Promise<string | undefined>;
}

/** A changed region: `oldCount` lines from `oldStart` became `newCount` lines from `newStart` (1-based; a count of 0 is a pure insertion or deletion after that line). */
export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
}

/** Read `@@ -a,b +c,d @@` headers of a unified diff. */
export function parseHunks(diff: string): Hunk[] {
  const out: Hunk[] = [];
  for (const m of diff.matchAll(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/gm)) {
    out.push({ oldStart: Number(m[1]), oldCount: m[2] === undefined ? 1 : Number(m[2]), newStart: Number(m[3]), newCount: m[4] === undefined ? 1 : Number(m[4]) });
  }
  return out;
}

/**
 * Where line `line` of the old version is in the new one: exact when it lies outside every hunk
 * (`changed: false`), else the start of the hunk that replaced it (`changed: true`: to be checked).
 */
export function mapLine(hunks: readonly Hunk[], line: number): { line: number; changed: boolean } {
  let offset = 0;
  for (const h of hunks) {
    const oldEnd = h.oldStart + h.oldCount - 1;
    if (h.oldCount > 0 && line >= h.oldStart && line <= oldEnd) return { line: Math.max(1, h.newStart + Math.min(line - h.oldStart, Math.max(0, h.newCount - 1))), changed: true };
    // a hunk entirely before the line shifts it
    const before = h.oldCount === 0 ? h.oldStart < line : oldEnd < line;
    if (before) offset += h.newCount - h.oldCount;
    else break;
  }
  return { line: line + offset, changed: false };
}

/** A line of the trace that says what it executed: a file (relative to the tree), its printed line, its function, and what the line must hold. */
export interface CallSite {
  path: string;
  line: number;
  fn: string;
  ctx: FrameContext;
}

/** The distinct call sites of a trace's frames whose file is in the tree (`../block.c` → `block.c`). */
export function callSitesOf(frames: Iterable<{ file: string | null; line: number | null; function: string; ctx: FrameContext }>): CallSite[] {
  const out = new Map<string, CallSite>();
  for (const f of frames) {
    if (!f.file || f.line === null || !f.function || f.function === '??' || f.file.startsWith('/')) continue;
    if (!f.ctx.callee && !f.ctx.text) continue;
    const path = normalizePath(f.file).replace(/^(\.\.\/)+/, '');
    if (!/\.[ch]$/.test(path)) continue;
    const key = `${path}:${f.line}:${f.function}:${f.ctx.callee ?? ''}:${f.ctx.text ?? ''}`;
    if (!out.has(key)) out.set(key, { path, line: f.line, fn: f.function, ctx: f.ctx });
  }
  return [...out.values()];
}

export interface RevisionScore {
  rev: string;
  /** Call sites that hold, at that revision, exactly what the frame executed. */
  matching: number;
  total: number;
}

/** How many call sites hold exactly what they executed at `rev`. */
export async function scoreRevision(rev: string, sites: readonly CallSite[], git: GitReader, c: CRelocator, fieldsOf: FieldsOf = () => []): Promise<RevisionScore> {
  let matching = 0;
  let total = 0;
  const byFile = new Map<string, CallSite[]>();
  for (const s of sites) (byFile.get(s.path) ?? byFile.set(s.path, []).get(s.path)!).push(s);
  for (const [path, list] of byFile) {
    // generated files are in the build directory, which a checkout rarely holds
    const text = (await git.show(rev, path)) ?? (GENERATED.test(path) ? await git.show(rev, `build/${path}`) : undefined);
    if (text === undefined) continue;
    total += list.length;
    const outline = await c.outline(`git:${rev}:${path}`, () => text);
    for (const s of list) {
      // the printed line holds the call (or a call through a pointer, whose target is set at run time)
      const r = relocate(outline, s.fn, s.line, s.ctx, fieldsOf);
      if (r.method === 'exact' || (r.method === 'indirect' && r.delta === 0)) matching++;
    }
  }
  return { rev, matching, total };
}

const GENERATED = /^(?:qapi\/qapi-|trace\/|block\/block-gen\.c)/;

/** How many call sites, and what share of them, must hold for a revision to be the binary's. */
const MIN_MATCHING = 3;
const MIN_SHARE = 0.8;

export interface DetectedRevision extends RevisionScore {
  /** The candidates tried, best first (for the note). */
  tried: RevisionScore[];
}

/**
 * The revision the binary was built from: the release tag whose files hold the most call sites
 * exactly, then, between that tag and its neighbours, the first-parent commit that does better.
 * Ties go to the older revision (the first one at which the code was so). Undefined without tags.
 */
export async function detectRevision(sites: readonly CallSite[], git: GitReader, c: CRelocator, fieldsOf?: FieldsOf, maxCommits = 200): Promise<DetectedRevision | undefined> {
  const tags = await git.releaseTags();
  const tried: RevisionScore[] = [];
  const better = (a: RevisionScore, b: RevisionScore | undefined) => !b || a.matching > b.matching;
  let best: RevisionScore | undefined;
  let bestTag = -1;
  for (let i = 0; i < tags.length; i++) {
    const s = await scoreRevision(tags[i], sites, git, c, fieldsOf);
    tried.push(s);
    if (better(s, best)) {
      best = s;
      bestTag = i;
    }
    if (s.matching === s.total && s.total > 0) break;
  }
  if (!best || best.matching < best.total) {
    // the binary may be a commit between releases: the first-parent line after the best tag, and
    // after the newest tag (a development build)
    const segments = new Map<string, string>();
    if (bestTag >= 0) segments.set(tags[bestTag], bestTag + 1 < tags.length ? tags[bestTag + 1] : 'HEAD');
    if (tags.length > 0) segments.set(tags[tags.length - 1], 'HEAD');
    let left = maxCommits;
    outer: for (const [from, to] of segments) {
      for (const rev of (await git.firstParentBetween(from, to)).slice(0, left)) {
        left--;
        const s = await scoreRevision(rev, sites, git, c, fieldsOf);
        tried.push(s);
        if (better(s, best)) best = s;
        if (s.matching === s.total) break outer;
      }
    }
  }
  // a revision is claimed only where most call sites hold: below that it is no match, just the least bad
  if (!best || best.matching < MIN_MATCHING || best.matching < best.total * MIN_SHARE) return undefined;
  return { ...best, tried: [...tried].sort((a, b) => b.matching - a.matching) };
}

/** The mapping of a revision for resolveFrameLocation: hunks read once per file. */
export function revisionMapping(git: GitReader, rev: string, label = rev): { label: string; map(path: string, line: number): Promise<{ line: number; changed: boolean } | undefined> } {
  const files = new Map<string, Promise<Hunk[] | undefined>>();
  return {
    label,
    async map(path, line) {
      let h = files.get(path);
      if (!h) {
        // a file the revision does not have (new since, or moved) maps nothing
        h = git.show(rev, path).then((text) => (text === undefined ? undefined : git.hunks(rev, path)));
        files.set(path, h);
      }
      const hunks = await h;
      return hunks ? mapLine(hunks, line) : undefined;
    },
  };
}
