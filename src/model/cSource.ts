// C source structure with web-tree-sitter and the C grammar: the functions a file defines and the
// calls inside them, for relocating frames when the checkout differs from the binary (design §6).
// The WASM is loaded on first use; a small cache keeps the last files' outlines and frees the trees.

import { Language, Parser, type Node } from 'web-tree-sitter';

export interface CFunction {
  name: string;
  /** 1-based, inclusive: from the definition's first line to its closing brace. */
  startLine: number;
  endLine: number;
  /** Line of the function's name (where "go to definition" lands). */
  nameLine: number;
}

export interface CCall {
  callee: string;
  /** 1-based. */
  line: number;
}

export interface COutline {
  functions: CFunction[];
  calls: CCall[];
  lines: string[];
}

export interface CParserOptions {
  /** Path of web-tree-sitter's own WASM (web-tree-sitter.wasm). */
  runtimeWasm: string;
  /** Path of the C grammar's WASM (tree-sitter-c.wasm). */
  grammarWasm: string;
  /** How many files' outlines to keep. */
  cacheSize?: number;
}

/** The name a function declarator declares, through pointer and parenthesised declarators. */
function declaredName(declarator: Node | null): Node | null {
  let d = declarator;
  while (d) {
    if (d.type === 'function_declarator') {
      const inner = d.childForFieldName('declarator');
      if (inner?.type === 'identifier') return inner;
      d = inner;
    } else if (d.type === 'pointer_declarator' || d.type === 'parenthesized_declarator' || d.type === 'attributed_declarator') {
      d = d.childForFieldName('declarator') ?? d.namedChildren.find((c): c is Node => c !== null && c.type.endsWith('declarator')) ?? null;
    } else {
      return null;
    }
  }
  return null;
}

export class CSourceParser {
  private parser: Promise<Parser> | undefined;
  private readonly cache = new Map<string, COutline>();

  constructor(private readonly options: CParserOptions) {}

  /** Load the runtime and the grammar, once. */
  private load(): Promise<Parser> {
    this.parser ??= (async () => {
      await Parser.init({ locateFile: () => this.options.runtimeWasm });
      const c = await Language.load(this.options.grammarWasm);
      const p = new Parser();
      p.setLanguage(c);
      return p;
    })();
    return this.parser;
  }

  /**
   * Functions and calls of a C file. `key` identifies the file and its version; `text` is read
   * only when the cache does not have it.
   */
  async outline(key: string, source: string | (() => string)): Promise<COutline> {
    const hit = this.cache.get(key);
    if (hit) {
      // most recently used last
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const parser = await this.load();
    const text = typeof source === 'string' ? source : source();
    const tree = parser.parse(text);
    if (!tree) throw new Error('tree-sitter could not parse the file');
    const functions: CFunction[] = [];
    const calls: CCall[] = [];
    try {
      // one walk over the tree: function definitions and call expressions
      const cursor = tree.walk();
      let more = true;
      while (more) {
        const n = cursor.currentNode;
        if (n.type === 'function_definition') {
          const name = declaredName(n.childForFieldName('declarator'));
          if (name) functions.push({ name: name.text, startLine: n.startPosition.row + 1, endLine: n.endPosition.row + 1, nameLine: name.startPosition.row + 1 });
        } else if (n.type === 'call_expression') {
          const fn = n.childForFieldName('function');
          if (fn?.type === 'identifier') calls.push({ callee: fn.text, line: fn.startPosition.row + 1 });
        }
        if (cursor.gotoFirstChild()) continue;
        while (!cursor.gotoNextSibling()) {
          if (!cursor.gotoParent()) {
            more = false;
            break;
          }
        }
      }
      cursor.delete();
    } finally {
      tree.delete();
    }
    const outline = { functions, calls, lines: text.split('\n') };
    this.cache.set(key, outline);
    while (this.cache.size > (this.options.cacheSize ?? 16)) this.cache.delete(this.cache.keys().next().value!);
    return outline;
  }
}

export type RelocationMethod = 'exact' | 'relocated-call' | 'relocated-text' | 'function' | 'unresolved';

export interface Relocation {
  /** 1-based line in the checkout. */
  line: number;
  method: RelocationMethod;
  /** How far the line moved (checkout line − printed line). */
  delta: number;
  /** In words, for hovers and tooltips. */
  note: string;
}

/**
 * Where the line a frame printed is in this version of the file: the same line when it lies in
 * the function the frame names; else, inside that function, the call to the next-inner frame's
 * function (`inner`), or for frame #0 the echoed source text; else the function's definition.
 */
export function relocate(outline: COutline, fn: string, line: number, inner: { callee?: string; text?: string }): Relocation {
  const containing = outline.functions.find((f) => f.startLine <= line && line <= f.endLine);
  if (containing?.name === fn) return { line, method: 'exact', delta: 0, note: `line ${line} is in ${fn}` };
  const def = outline.functions.find((f) => f.name === fn);
  if (!def) {
    return {
      line,
      method: 'unresolved',
      delta: 0,
      note: `${fn} is not defined in this file: renamed or removed in this version? Showing line ${line} as printed.`,
    };
  }
  const moved = (to: number, method: RelocationMethod, what: string): Relocation => ({
    line: to,
    method,
    delta: to - line,
    note: to === line ? `${what} in ${fn}` : `line moved ${line} → ${to} (${to > line ? '+' : ''}${to - line}): ${what} in ${fn}`,
  });
  if (inner.callee) {
    const calls = outline.calls.filter((c) => c.callee === inner.callee && def.startLine <= c.line && c.line <= def.endLine);
    if (calls.length > 0) {
      const best = calls.reduce((a, b) => (Math.abs(b.line - line) < Math.abs(a.line - line) ? b : a));
      return moved(best.line, 'relocated-call', `the call to ${inner.callee}`);
    }
  }
  if (inner.text) {
    const want = inner.text.trim();
    const candidates: number[] = [];
    for (let l = def.startLine; l <= def.endLine; l++) if (want !== '' && outline.lines[l - 1]?.trim() === want) candidates.push(l);
    if (candidates.length > 0) {
      const best = candidates.reduce((a, b) => (Math.abs(b - line) < Math.abs(a - line) ? b : a));
      return moved(best, 'relocated-text', 'the line gdb echoed');
    }
  }
  return moved(def.nameLine, 'function', 'the definition');
}
