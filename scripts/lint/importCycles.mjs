// A lint rule of our own: no import circles among the project's TypeScript files (type-only imports
// count too: a circle of types is still two files that cannot be understood apart). Each import
// that leads back to the importing file is reported with the circle it closes.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']*)'|^\s*import\s+'(\.[^']*)'/gm;
const graph = new Map();

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function importsOf(file) {
  let out = graph.get(file);
  if (out) return out;
  out = [];
  graph.set(file, out);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const m of text.matchAll(IMPORT)) {
    const target = resolveImport(file, m[1] ?? m[2]);
    if (target) out.push(target);
  }
  return out;
}

/** A path of imports from `start` to `goal`, or null. */
function pathTo(start, goal) {
  const seen = new Set([start]);
  const queue = [[start]];
  while (queue.length > 0) {
    const path = queue.shift();
    for (const next of importsOf(path[path.length - 1])) {
      if (next === goal) return [...path, next];
      if (!seen.has(next)) {
        seen.add(next);
        queue.push([...path, next]);
      }
    }
  }
  return null;
}

export default {
  meta: { type: 'problem', docs: { description: 'no import circles' }, messages: { cycle: 'import circle: {{circle}}' }, schema: [] },
  create(context) {
    const file = context.filename;
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = resolveImport(file, spec);
      if (!target) return;
      const back = pathTo(target, file);
      if (back) context.report({ node, messageId: 'cycle', data: { circle: [file, ...back].map((f) => relative(process.cwd(), f)).join(' → ') } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};
