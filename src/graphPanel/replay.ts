// One replayed block graph per trace, shared by the graph panel and the Hits view's tooltips.

import { identities } from '../editor/pointers';
import { BlockGraph } from '../model/graph';
import type { Trace } from '../model/trace';

const graphs = new WeakMap<Trace, Promise<BlockGraph>>();

/** The replayed graph of a trace, built once (after its pointer identities, in batches) and kept with it. */
export function blockGraph(trace: Trace): Promise<BlockGraph> {
  let p = graphs.get(trace);
  if (!p) {
    p = identities(trace).then(async (ids) => (await BlockGraph.buildAsync(trace, ids))!);
    graphs.set(trace, p);
  }
  return p;
}
