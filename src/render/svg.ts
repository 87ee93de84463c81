// Graphviz compiled to WASM (@hpcc-js/wasm-graphviz), for the command line's `graph --svg`. The
// graph panel loads the same library inside its webview (media/graph/main.ts).

import { Graphviz } from '@hpcc-js/wasm-graphviz';

let loading: Promise<Graphviz> | undefined;

/** Lay out DOT and return the SVG; the WASM is loaded on first use. */
export async function dotToSvg(dot: string): Promise<string> {
  loading ??= Graphviz.load();
  return (await loading).dot(dot, 'svg');
}
