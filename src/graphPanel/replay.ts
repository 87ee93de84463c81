// One replayed block graph per trace, shared by the graph panel and the Hits view's tooltips.

import { identities } from '../editor/pointers';
import { BlockGraph } from '../model/graph';
import type { Trace } from '../model/trace';

const graphs = new WeakMap<Trace, Promise<BlockGraph>>();
const built = new WeakMap<Trace, BlockGraph>();

/** Traces up to this many hits replay in well under a second: a tooltip may start the replay. */
const QUICK_REPLAY_HITS = 5_000;

/** The replayed graph of a trace, built once (after its pointer identities, in batches) and kept with it. */
export function blockGraph(trace: Trace): Promise<BlockGraph> {
  let p = graphs.get(trace);
  if (!p) {
    p = identities(trace).then(async (ids) => {
      const g = await BlockGraph.buildAsync(trace, ids);
      built.set(trace, g);
      return g;
    });
    graphs.set(trace, p);
  }
  return p;
}

/**
 * The graph for something small, like a tooltip: at once if it is built, after a short wait if the
 * trace is small; a large trace is not replayed just because the mouse passed over a hit.
 */
export async function blockGraphIfQuick(trace: Trace, waitMs = 1500): Promise<BlockGraph | undefined> {
  const ready = built.get(trace);
  if (ready) return ready;
  if (!graphs.has(trace) && trace.hits.length > QUICK_REPLAY_HITS) return undefined;
  return Promise.race([blockGraph(trace), new Promise<undefined>((r) => setTimeout(() => r(undefined), waitMs))]);
}
