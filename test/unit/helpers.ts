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
