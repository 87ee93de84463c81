// A synthetic QEMU-like git repository for the revision tests: the trace's functions at their
// printed lines in the first commit (tagged as the trace's release), every kind of drift in the
// commits after it, the working tree at the last. With `olderTags`, releases before it whose lines
// are off by a little each (for detection to rule out).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Trace } from '../../src/model/trace';
import { writeQemuTree } from './qemuTree';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 't@example.org', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' } });
}

function clear(dir: string): void {
  for (const e of fs.readdirSync(dir)) if (e !== '.git') fs.rmSync(path.join(dir, e), { recursive: true, force: true });
}

function commit(dir: string, message: string, tag?: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  if (tag) git(dir, 'tag', tag);
  return git(dir, 'rev-parse', 'HEAD').trim();
}

export interface QemuGitRepo {
  dir: string;
  /** The commit whose lines the trace printed. */
  traced: string;
  tag: string;
  /** Commits after it (the drifted working tree's HEAD last). */
  later: string[];
}

/**
 * Write the repository under `dir`: older releases (`olderTags`, each one line further off),
 * then `tag` with the trace's lines, then a commit that drifts everything, then `laterCommits`
 * more (lines moved again). The working tree is the last commit.
 */
export function writeQemuGitRepo(dir: string, trace: Trace, { tag = 'v7.1.0', olderTags = 0, laterCommits = 1 } = {}): QemuGitRepo {
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'master');
  git(dir, 'config', 'commit.gpgsign', 'false');
  for (let i = 0; i < olderTags; i++) {
    clear(dir);
    writeQemuTree(dir, trace, 'moved', false, olderTags - i);
    commit(dir, `older release ${i}`, `v6.${i}.0`);
  }
  clear(dir);
  writeQemuTree(dir, trace, 'exact');
  const traced = commit(dir, 'the traced release', tag);
  const later: string[] = [];
  clear(dir);
  writeQemuTree(dir, trace, 'drifted');
  later.push(commit(dir, 'drift: _locked renames, softmmu/ → system/, bdrv_detach_child inlined, callbacks through driver fields, lines added'));
  for (let i = 1; i < laterCommits; i++) {
    clear(dir);
    writeQemuTree(dir, trace, 'drifted', false, 18 + i);
    later.push(commit(dir, `more lines ${i}`));
  }
  return { dir, traced, tag, later };
}
