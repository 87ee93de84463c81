import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root, from out/test/unit (compiled) or test/unit (sources). */
export const ROOT = path.resolve(__dirname, '..', '..', fs.existsSync(path.join(__dirname, '..', '..', 'package.json')) ? '' : '..');

export function fixturePath(name: string): string {
  return path.join(ROOT, 'test', 'fixtures', name);
}

export function readFixture(name: string): string {
  return fs.readFileSync(fixturePath(name), 'utf8');
}

/** Every log of the fixtures: the real traces, the damaged and mail logs, and the bundled sample. */
export function fixtureLogs(): string[] {
  return [
    ...fs.readdirSync(fixturePath('traces')).filter((f) => f.endsWith('.log')).map((f) => fixturePath(path.join('traces', f))),
    fixturePath('malformed/damaged.gdb.log'),
    fixturePath('mail/mojibake-threads.txt'),
    path.join(ROOT, 'examples', 'snapshot-commit-complete.gdb.log'),
  ];
}
