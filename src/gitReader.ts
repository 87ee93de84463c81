// git, for the revision mapping of source navigation: run as a child process with arguments (never
// through a shell), in the checkout, reading file contents at a revision through one long-lived
// `git cat-file --batch`. Node's child_process, in the extension host (trusted workspaces only)
// and in the CLI.

import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { parseHunks, type GitReader, type Hunk } from './model/revision';

/** What a revision given by a user (a setting, a flag) may look like: a tag, a branch, a commit, `HEAD~3`. */
export function isSafeRevision(rev: string): boolean {
  return /^[\w][\w./~^@{}+-]{0,199}$/.test(rev) && !rev.includes('..');
}

function git(cwd: string, args: string[], maxBuffer = 64 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, maxBuffer, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' } }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** The top of the git repository that holds `dir`, or undefined (no git, or not a repository). */
export async function repositoryTop(dir: string): Promise<string | undefined> {
  try {
    return (await git(dir, ['rev-parse', '--show-toplevel'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Reads blobs `REV:path` one after another through a single `git cat-file --batch`. */
class BlobReader {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private buffer = Buffer.alloc(0);
  private queue: { resolve: (text: string | undefined) => void }[] = [];

  constructor(private readonly cwd: string) {}

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc;
    const p = spawn('git', ['cat-file', '--batch'], { cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.drain();
    });
    const fail = () => {
      for (const q of this.queue.splice(0)) q.resolve(undefined);
      this.buffer = Buffer.alloc(0);
      this.proc = undefined;
    };
    p.on('exit', fail);
    p.on('error', fail);
    this.proc = p;
    return p;
  }

  private drain(): void {
    for (;;) {
      const nl = this.buffer.indexOf(10);
      if (nl < 0 || this.queue.length === 0) return;
      const header = this.buffer.subarray(0, nl).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.queue.shift()!.resolve(undefined);
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (!Number.isFinite(size)) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.queue.shift()!.resolve(undefined);
        continue;
      }
      if (this.buffer.length < nl + 1 + size + 1) return;
      const body = this.buffer.subarray(nl + 1, nl + 1 + size).toString('utf8');
      this.buffer = this.buffer.subarray(nl + 1 + size + 1);
      this.queue.shift()!.resolve(body);
    }
  }

  read(spec: string): Promise<string | undefined> {
    if (/[\n\r]/.test(spec)) return Promise.resolve(undefined);
    const p = this.start();
    return new Promise((resolve) => {
      this.queue.push({ resolve });
      p.stdin.write(`${spec}\n`);
    });
  }

  dispose(): void {
    this.proc?.stdin.end();
    this.proc?.kill();
    this.proc = undefined;
  }
}

/** The model's GitReader for the checkout at `root` (paths relative to `root`, which may lie inside the repository). */
export class CheckoutGit implements GitReader {
  private readonly blobs: BlobReader;
  private readonly prefix: string;

  private constructor(
    private readonly top: string,
    root: string,
  ) {
    this.blobs = new BlobReader(top);
    const rel = path.relative(top, root);
    this.prefix = rel === '' ? '' : `${rel.split(path.sep).join('/')}/`;
  }

  /** The checkout's git, or undefined when `root` is not in a git repository (or git is missing). */
  static async open(root: string): Promise<CheckoutGit | undefined> {
    const top = await repositoryTop(root);
    return top ? new CheckoutGit(top, root) : undefined;
  }

  async releaseTags(): Promise<string[]> {
    const out = await git(this.top, ['tag', '--list', 'v[0-9]*', '--sort=version:refname']).catch(() => '');
    return out.split('\n').filter((t) => t !== '' && isSafeRevision(t));
  }

  async firstParentBetween(from: string, to: string): Promise<string[]> {
    if (!isSafeRevision(from) || !isSafeRevision(to)) return [];
    const out = await git(this.top, ['rev-list', '--first-parent', '--reverse', `${from}..${to}`, '--']).catch(() => '');
    return out.split('\n').filter(Boolean);
  }

  show(rev: string, file: string): Promise<string | undefined> {
    if (!isSafeRevision(rev)) return Promise.resolve(undefined);
    return this.blobs.read(`${rev}:${this.prefix}${file}`);
  }

  async hunks(rev: string, file: string): Promise<Hunk[]> {
    if (!isSafeRevision(rev)) return [];
    const out = await git(this.top, ['diff', '--no-color', '--no-ext-diff', '--unified=0', rev, '--', `${this.prefix}${file}`]).catch(() => '');
    return parseHunks(out);
  }

  async commitsSince(rev: string): Promise<number> {
    if (!isSafeRevision(rev)) return 0;
    return Number((await git(this.top, ['rev-list', '--count', `${rev}..HEAD`, '--']).catch(() => '0')).trim()) || 0;
  }

  async commitOf(rev: string): Promise<string | undefined> {
    if (!isSafeRevision(rev)) return undefined;
    const out = await git(this.top, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).catch(() => '');
    return out.trim() || undefined;
  }

  dispose(): void {
    this.blobs.dispose();
  }
}
