// Messages between the summary view's page and its host, declared once for both sides.

/** From the page: a link to a log line was clicked, or Copy as Text. */
export type SummaryPageMessage = { type: 'reveal'; line: number } | { type: 'copy' };
