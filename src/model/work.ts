// Long work over a large trace, done in batches: how far it got, and how it is asked to stop.

/** Options for work done in batches that yield between them. */
export interface Batches {
  /** Hits per batch (the work yields to the event loop between batches). */
  batch?: number;
  /** Called after each batch with the hits done so far (of `total`). */
  progress?: (done: number, total: number) => void;
  /** Asked after each batch: true stops the work with `Cancelled`. */
  cancelled?: () => boolean;
}

/** The work was asked to stop (`Batches.cancelled`). */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

/** Between two batches: report, stop if asked, and let other work run. */
export async function betweenBatches(options: Batches, done: number, total: number): Promise<void> {
  options.progress?.(done, total);
  if (options.cancelled?.()) throw new Cancelled();
  await new Promise((r) => setTimeout(r, 0));
  if (options.cancelled?.()) throw new Cancelled();
}
