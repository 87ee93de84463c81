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
  /** Line of the body's first statement (where gdb puts a breakpoint on the function); null for an empty body. */
  firstStatementLine: number | null;
  /** Names of its parameters and local variables: a call through one of them is a call through a pointer. */
  locals: string[];
}

/**
 * A call: `f(…)` (direct, `callee` is f), `x->f(…)` / `x.f(…)` (through a field, `callee` is the
 * field's name), or `fn(…)` where fn is a parameter or local variable (through a pointer).
 */
export interface CCall {
  callee: string;
  via: 'direct' | 'field' | 'pointer';
  /** 1-based. */
  line: number;
  /** The call as written up to its `(`: `drv->bdrv_co_create_opts`, for notes. */
  text: string;
}

/** `.field = function` in an initialiser (a BlockDriver, a JobDriver): the function a field calls. */
export interface CBinding {
  field: string;
  fn: string;
  line: number;
}

export interface COutline {
  functions: CFunction[];
  calls: CCall[];
  bindings: CBinding[];
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

/** Parameter and local variable names of a function definition. */
function declaredLocals(fn: Node): string[] {
  const names = new Set<string>();
  const params = fn.childForFieldName('declarator')?.descendantsOfType('parameter_declaration') ?? [];
  const decls = fn.childForFieldName('body')?.descendantsOfType(['declaration']) ?? [];
  for (const d of [...params, ...decls]) {
    if (!d) continue;
    for (const id of d.descendantsOfType('identifier')) {
      // the declared name, not an identifier of an initialiser's expression
      if (id && !hasAncestor(id, d, ['init_declarator'], 'value')) names.add(id.text);
    }
  }
  return [...names];
}

/** Whether `node`, below `top`, sits in the `field` part of an ancestor of one of `types`. */
function hasAncestor(node: Node, top: Node, types: string[], field: string): boolean {
  for (let n: Node | null = node; n && n.id !== top.id; n = n.parent) {
    const p = n.parent;
    if (p && types.includes(p.type) && p.childForFieldName(field)?.id === n.id) return true;
  }
  return false;
}

export class CSourceParser {
  private parser: Promise<Parser> | undefined;
  private readonly cache = new Map<string, COutline>();
  /** Files being parsed: a second asker waits for the same parse (a trace's links ask for block.c thirty times at once). */
  private readonly parsing = new Map<string, Promise<COutline>>();

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
    let p = this.parsing.get(key);
    if (!p) {
      p = this.parse(key, source).finally(() => this.parsing.delete(key));
      this.parsing.set(key, p);
    }
    return p;
  }

  private async parse(key: string, source: string | (() => string)): Promise<COutline> {
    const parser = await this.load();
    // a file's parse takes a while (block.c: a tenth of a second and more): let what waits run first
    await new Promise((r) => setTimeout(r, 0));
    const text = typeof source === 'string' ? source : source();
    const tree = parser.parse(text);
    if (!tree) throw new Error('tree-sitter could not parse the file');
    const functions: CFunction[] = [];
    const calls: CCall[] = [];
    const bindings: CBinding[] = [];
    /** Calls by an identifier, sorted into direct or through a pointer once the function's locals are known. */
    const named: { name: string; line: number; fnIndex: number }[] = [];
    try {
      // one walk over the tree: function definitions, call expressions, designated initialisers
      const cursor = tree.walk();
      let more = true;
      while (more) {
        const n = cursor.currentNode;
        if (n.type === 'function_definition') {
          const name = declaredName(n.childForFieldName('declarator'));
          if (name) {
            const body = n.childForFieldName('body');
            const first = body?.namedChildren.find((c): c is Node => c !== null && c.type !== 'comment');
            functions.push({
              name: name.text,
              startLine: n.startPosition.row + 1,
              endLine: n.endPosition.row + 1,
              nameLine: name.startPosition.row + 1,
              firstStatementLine: first ? first.startPosition.row + 1 : null,
              locals: declaredLocals(n),
            });
          }
        } else if (n.type === 'call_expression') {
          const fn = n.childForFieldName('function');
          const line = (fn ?? n).startPosition.row + 1;
          if (fn?.type === 'identifier') {
            const at = functions.length - 1;
            named.push({ name: fn.text, line, fnIndex: at >= 0 && functions[at].endLine >= line ? at : -1 });
          } else if (fn?.type === 'field_expression') {
            const field = fn.childForFieldName('field');
            if (field) calls.push({ callee: field.text, via: 'field', line, text: fn.text });
          } else if (fn?.type === 'parenthesized_expression' || fn?.type === 'pointer_expression') {
            // (*fn)(…), (s->cb)(…)
            const inner = fn.descendantsOfType(['field_identifier', 'identifier']).filter((x): x is Node => x !== null).pop();
            if (inner) calls.push({ callee: inner.text, via: inner.type === 'field_identifier' ? 'field' : 'pointer', line, text: fn.text });
          }
        } else if (n.type === 'initializer_pair') {
          const designator = n.childForFieldName('designator') ?? n.namedChildren[0];
          const value = n.childForFieldName('value');
          const target = value?.type === 'pointer_expression' ? value.childForFieldName('argument') : value;
          if (designator?.type === 'field_designator' && target?.type === 'identifier') {
            bindings.push({ field: designator.text.replace(/^\./, ''), fn: target.text, line: n.startPosition.row + 1 });
          }
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
    for (const c of named) {
      const owner = c.fnIndex >= 0 ? functions[c.fnIndex] : undefined;
      calls.push({ callee: c.name, via: owner?.locals.includes(c.name) ? 'pointer' : 'direct', line: c.line, text: c.name });
    }
    calls.sort((a, b) => a.line - b.line);
    const outline = { functions, calls, bindings, lines: text.split('\n') };
    this.cache.set(key, outline);
    while (this.cache.size > (this.options.cacheSize ?? 16)) this.cache.delete(this.cache.keys().next().value!);
    return outline;
  }
}

export type RelocationMethod = 'exact' | 'relocated-call' | 'indirect' | 'relocated-text' | 'entry' | 'renamed' | 'inlined' | 'unverified' | 'function' | 'unresolved';

export interface Relocation {
  /** 1-based line in the checkout. */
  line: number;
  method: RelocationMethod;
  /** How far the line moved (checkout line − printed line). */
  delta: number;
  /** In words, for hovers and tooltips. */
  note: string;
  /** The function the line is in, when it is not the one the frame names (renamed, inlined). */
  inFunction?: string;
  /** Where it might be instead, for `unresolved`. */
  candidates?: { fn: string; line: number }[];
}

/** What a frame's line must hold: frame #N−1's function (`callee`), or for frame #0 the echoed text; `outer` is frame #N+1's function. */
export interface FrameContext {
  callee?: string;
  text?: string;
  outer?: string;
  /** Frame #N−2's function: what the callee called, for a callee inlined away. */
  via?: string;
  /** Other printed lines of the same function in the trace and what they called: how far the function moved. */
  siblings?: readonly { line: number; callee: string }[];
}

/** How far function `def` moved since the binary: the median shift of its frames' calls that happen once in it. */
function functionShift(outline: COutline, def: CFunction, ctx: FrameContext, fieldsOf: FieldsOf, macrosOf: FieldsOf): number | null {
  const shifts: number[] = [];
  for (const s of ctx.siblings ?? []) {
    const sites = callSites(outline, def, s.callee, fieldsOf, def.name, macrosOf).filter((c) => c.strength === 3);
    if (sites.length === 1) shifts.push(sites[0].line - s.line);
  }
  if (shifts.length === 0) return null;
  shifts.sort((a, b) => a - b);
  return shifts[Math.floor(shifts.length / 2)];
}

/** The fields that are bound to a function anywhere in the tree (`.bdrv_co_create_opts = qcow2_co_create_opts`). */
export type FieldsOf = (fn: string) => readonly string[];

/** How alike two function names are: 1 for equal, 0.9 when one contains the other, else the shared prefix's share. */
export function nameLikeness(a: string, b: string): number {
  if (a === b) return 1;
  if (a.includes(b) || b.includes(a)) return 0.9;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i / Math.max(a.length, b.length);
}

/** Below this likeness a function that makes the call is a candidate, not an answer. */
const RENAME_LIKENESS = 0.6;

interface Candidate {
  line: number;
  how: string;
  /** 3: the call itself (by name, or through a field bound to it); 2: a call of a renamed callee; 1: some call through a pointer. */
  strength: number;
}

/**
 * The lines of `fn` that hold a call of `callee`, the strongest kind found: by name or through a
 * field bound to it; else a call of a function whose name contains it or is contained in it (the
 * callee renamed: `job_prepare` → `job_prepare_locked`); else any call through a pointer (a callback
 * bound at run time: `bh->cb`, `fn(job)`).
 */
function callSites(outline: COutline, fn: CFunction, callee: string, fieldsOf: FieldsOf, self?: string, macrosOf: FieldsOf = () => []): Candidate[] {
  const inside = outline.calls.filter((c) => fn.startLine <= c.line && c.line <= fn.endLine);
  const fields = new Set([...fieldsOf(callee), ...outline.bindings.filter((b) => b.fn === callee).map((b) => b.field)]);
  const macros = new Set(macrosOf(callee));
  const sure = inside
    .filter((c) => (c.via === 'direct' && (c.callee === callee || macros.has(c.callee))) || (c.via === 'field' && fields.has(c.callee)))
    .map((c) => ({
      line: c.line,
      strength: 3,
      how: c.via !== 'direct' ? `the call to ${callee} through ${c.text}` : c.callee === callee ? `the call to ${callee}` : `the call to ${callee} inside the macro ${c.callee}`,
    }));
  if (sure.length > 0) return sure;
  const renamed = inside
    // (never the frame's own function: a call of it is where it is called from, not what it calls)
    .filter((c) => c.via === 'direct' && c.callee !== self && isRenamedFrom(c.callee, callee))
    .map((c) => ({ line: c.line, strength: 2, how: `the call to ${c.callee} (${callee} renamed?)` }));
  if (renamed.length > 0) return renamed;
  // a field the tree binds to other functions, not to the callee, is no call of it
  const boundElsewhere = (c: CCall) => c.via === 'field' && fields.size > 0 && !fields.has(c.callee);
  return inside.filter((c) => c.via !== 'direct' && !boundElsewhere(c)).map((c) => ({ line: c.line, strength: 1, how: `a call through ${c.text} (to ${callee}, the next frame, presumably)` }));
}

/** Whether `name` is `old` with a word added (`job_completed` → `job_completed_locked`, `bdrv_co_x` → …): QEMU's renames keep the old name whole. */
export function isRenamedFrom(name: string, old: string): boolean {
  return name !== old && (name.startsWith(`${old}_`) || name.endsWith(`_${old}`));
}

/**
 * The call site that matches the printed line: when the function calls the callee more than once,
 * the nearest to where the whole function moved (its other frames' unique calls tell by how much),
 * else the nearest to the printed line.
 */
function pick(sites: Candidate[], line: number, shift: number | null): Candidate {
  return nearest(sites, shift === null ? line : line + shift);
}

function nearest(cands: Candidate[], line: number): Candidate {
  return cands.reduce((a, b) => (Math.abs(b.line - line) < Math.abs(a.line - line) ? b : a));
}

/**
 * Where the line a frame printed is in this version of the file, checked against what it must
 * hold (design.md §6): for frame #N a call of frame #N−1's function, for frame #0 the echoed text.
 * `exact` only when the printed line holds it; else the nearest line in the function that does;
 * a function gone from the file is looked for as renamed (a function that makes the call, with a
 * like name) or inlined (the call inside the next-outer frame's function); never a silent guess.
 */
export function relocate(outline: COutline, fn: string, line: number, ctx: FrameContext, fieldsOf: FieldsOf = () => [], macrosOf: FieldsOf = () => []): Relocation {
  const def = outline.functions.find((f) => f.name === fn);
  const moved = (to: number, method: RelocationMethod, what: string, inFn = fn): Relocation => ({
    line: to,
    method,
    delta: to - line,
    note: to === line ? `line ${line}: ${what} in ${inFn}` : `line moved ${line} → ${to} (${to > line ? '+' : ''}${to - line}): ${what} in ${inFn}`,
    ...(inFn !== fn ? { inFunction: inFn } : {}),
  });
  if (def) {
    if (ctx.callee) {
      const sites = callSites(outline, def, ctx.callee, fieldsOf, fn, macrosOf);
      const here = sites.find((c) => c.line === line);
      // exact only for the call itself; a renamed callee or a call through a pointer is a good guess, said as one
      if (here?.strength === 3) return { line, method: 'exact', delta: 0, note: `line ${line}: ${here.how}` };
      if (here) return { line, method: here.strength === 2 ? 'relocated-call' : 'indirect', delta: 0, note: `line ${line}: ${here.how}` };
      if (sites.length > 0) {
        const best = sites.length > 1 ? pick(sites, line, functionShift(outline, def, ctx, fieldsOf, macrosOf)) : sites[0];
        return moved(best.line, best.strength === 1 ? 'indirect' : 'relocated-call', best.how);
      }
      // the callee inlined into this function: what it called is called here
      const via = ctx.via ? callSites(outline, def, ctx.via, fieldsOf, fn, macrosOf).filter((c) => c.strength === 3) : [];
      if (via.length > 0) {
        const best = nearest(via, line);
        return moved(best.line, 'relocated-call', `no call to ${ctx.callee} (inlined here?): ${best.how}`);
      }
      return moved(def.nameLine, 'function', `no call to ${ctx.callee} found; the definition`);
    }
    if (ctx.text !== undefined && ctx.text.trim() !== '') {
      const want = ctx.text.trim();
      if (outline.lines[line - 1]?.trim() === want) return { line, method: 'exact', delta: 0, note: `line ${line}: the line gdb echoed` };
      const same: Candidate[] = [];
      for (let l = def.startLine; l <= def.endLine; l++) if (outline.lines[l - 1]?.trim() === want) same.push({ line: l, how: 'the line gdb echoed', strength: 3 });
      if (same.length > 0) {
        const best = nearest(same, line);
        return moved(best.line, 'relocated-text', best.how);
      }
      // the stop of a breakpoint on the function: where gdb puts it
      if (def.firstStatementLine !== null) return moved(def.firstStatementLine, 'entry', 'the line gdb echoed is not in this version; the first statement, where a breakpoint on the function stops,');
      return moved(def.nameLine, 'function', 'the line gdb echoed is not in it; the definition');
    }
    // nothing to check the line against (a thread's innermost frame): inside the function, as printed
    if (def.startLine <= line && line <= def.endLine) return { line, method: 'unverified', delta: 0, note: `line ${line} is in ${fn} (nothing to check it against)` };
    return moved(def.nameLine, 'function', 'the definition');
  }
  // the function is gone from this file
  if (ctx.callee) {
    const callee = ctx.callee;
    if (ctx.outer) {
      const outer = outline.functions.find((f) => f.name === ctx.outer);
      const sites = outer ? callSites(outline, outer, callee, fieldsOf, fn, macrosOf).filter((c) => c.strength === 3) : [];
      if (outer && sites.length > 0) {
        const best = nearest(sites, line);
        return { ...moved(best.line, 'inlined', best.how, outer.name), note: `${fn} is now inside ${outer.name}: ${best.how}, line ${best.line}` };
      }
    }
    // a call through a pointer counts only in a function whose name contains the frame's
    const callers = outline.functions
      .map((f) => {
        const like = nameLikeness(f.name, fn);
        return { f, like, sites: callSites(outline, f, callee, fieldsOf, fn, macrosOf).filter((c) => c.strength >= 2 || like >= 0.9) };
      })
      .filter((x) => x.sites.length > 0)
      .sort((a, b) => b.like - a.like);
    const best = callers[0];
    if (best && best.like >= RENAME_LIKENESS && !(callers[1] && callers[1].like === best.like)) {
      const site = nearest(best.sites, line);
      return { ...moved(site.line, 'renamed', site.how, best.f.name), note: `renamed to ${best.f.name}? ${site.how}, line ${site.line}` };
    }
    if (callers.length > 0) {
      return {
        line,
        method: 'unresolved',
        delta: 0,
        note: `${fn} is not defined in this file; functions that call ${callee}: ${callers.slice(0, 3).map((c) => c.f.name).join(', ')}. Showing line ${line} as printed.`,
        candidates: callers.slice(0, 5).map((c) => ({ fn: c.f.name, line: nearest(c.sites, line).line })),
      };
    }
  }
  return {
    line,
    method: 'unresolved',
    delta: 0,
    note: `${fn} is not defined in this file: renamed or removed in this version? Showing line ${line} as printed.`,
  };
}
