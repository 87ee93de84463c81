// The summary view's page, made on the host from a TraceReport: every string from the log is
// escaped; the page's only script sends clicks on log links back to the host.

import type { CommandReport, LogLink, TraceReport } from '../model/summary';
import { escapeHtml, pageHead } from '../webviewPage';
import * as l10n from '@vscode/l10n';

/** A command's hits or graph changes beyond this are counted, not listed. */
const MAX_LISTED = 200;


/** `1 hit`, `2 hits`: each form its own string, for languages whose plurals differ. */
const plural = (n: number, one: string, many: string) => (n === 1 ? one : many).replace('{0}', String(n));
const link = (l: LogLink, text = l.label) => `<a href="#" data-line="${l.line}" title="${escapeHtml(l10n.t('Log line {0}', l.line + 1))}">${escapeHtml(text)}</a>`;

/** `#1–#19, #21`: each run of consecutive hits as links to its first and last hit. */
function hitRuns(hits: LogLink[]): string {
  const runs: string[] = [];
  let i = 0;
  while (i < hits.length) {
    let j = i;
    while (j + 1 < hits.length && Number(hits[j + 1].label.slice(1)) === Number(hits[j].label.slice(1)) + 1) j++;
    runs.push(i === j ? link(hits[i]) : `${link(hits[i])}–${link(hits[j])}`);
    i = j + 1;
  }
  return runs.join(', ');
}

function commandSection(c: CommandReport): string {
  const meta: string[] = [];
  if (c.inferred) meta.push(`<span class="inferred">${l10n.t('inferred')}</span> ${escapeHtml(c.inferred)}`);
  else if (c.at) meta.push(`${escapeHtml(c.origin)}, ${link(c.at)}`);
  if (c.reply?.ok === true) meta.push(`<span class="ok">${l10n.t('returned')}</span>`);
  if (c.reply?.ok === false) meta.push(`<span class="error">${escapeHtml(l10n.t('failed: {0}', c.reply.error))}</span>`);
  for (const j of c.jobs) meta.push(`${l10n.t('job')} <code>${escapeHtml(j)}</code>`);
  const hits = c.hits.length === 0 ? `<p class="hits none">${l10n.t('no hits')}</p>` : `<p class="hits">${plural(c.hits.length, l10n.t('{0} hit'), l10n.t('{0} hits'))}: ${hitRuns(c.hits)}</p>`;
  let changes: string;
  if (c.changes === null) changes = c.hits.length > 0 ? `<p class="changes pending">${l10n.t('Replaying the block graph…')}</p>` : '';
  else if (c.changes.length === 0) changes = c.hits.length > 0 ? `<p class="changes none">${l10n.t('no change to the block graph')}</p>` : '';
  else {
    const shown = c.changes.slice(0, MAX_LISTED).map((x) => `<li>${link(x, `#${x.hit}`)} <span class="change">${escapeHtml(x.label)}</span></li>`);
    const rest = c.changes.length - shown.length;
    changes = `<ul class="changes">${shown.join('')}${rest > 0 ? `<li class="more">${l10n.t('… and {0} more', rest)}</li>` : ''}</ul>`;
  }
  if (c.check) {
    changes += c.check.length === 0
      ? `<p class="check ok">${l10n.t('QEMU’s graph agrees with the replay (user-named nodes and the edges between them).')}</p>`
      : `<div class="check differs"><p>${l10n.t('QEMU’s graph differs from the replay:')}</p><ul>${c.check.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul></div>`;
  }
  const title = c.text && c.text.includes('\n') ? `<pre>${escapeHtml(c.text)}</pre>` : `<h2><code>${escapeHtml(c.label)}</code></h2>`;
  return `<section class="command${c.reply?.ok === false ? ' failed' : ''}">${title}<p class="meta">${meta.join(' · ')}</p>${hits}${changes}</section>`;
}

/** The page for one trace. `csp` and `nonce` guard it; `style` is the stylesheet's webview URI. */
export function summaryHtml(r: TraceReport, { csp, nonce, style }: { csp: string; nonce: string; style: string }): string {
  const counts = [
    plural(r.hits, l10n.t('{0} hit'), l10n.t('{0} hits')),
    plural(r.frames, l10n.t('{0} frame'), l10n.t('{0} frames')),
    plural(r.commands.filter((c) => c.label !== 'before any command').length, l10n.t('{0} command'), l10n.t('{0} commands')),
    plural(r.backtraces.length, l10n.t('{0} other backtrace'), l10n.t('{0} other backtraces')),
  ].join(' · ');
  const backtraces =
    r.backtraces.length === 0
      ? ''
      : `<section class="backtraces"><h2>${l10n.t('Backtraces')}</h2><ul>${r.backtraces
          .map((b) => `<li>${link(b, l10n.t('line {0}', b.line + 1))} ${escapeHtml(b.label)} <span class="dim">(${plural(b.frames, l10n.t('{0} frame'), l10n.t('{0} frames'))}${b.hit !== null ? `, ${l10n.t('during hit #{0}', b.hit)}` : ''})</span></li>`)
          .join('')}</ul></section>`;
  const diagnostics =
    r.diagnostics.length === 0
      ? `<section class="diagnostics ok"><p>${l10n.t('Everything in this log was understood.')}</p></section>`
      : `<section class="diagnostics"><h2>${l10n.t('Not understood')}</h2><ul>${r.diagnostics
          .map((d) => `<li>${d.count} × ${escapeHtml(d.message)}${d.lines.length > 0 ? ` — ${d.lines.map((l) => link({ line: l, label: l10n.t('line {0}', l + 1) })).join(', ')}${d.count > d.lines.length ? ', …' : ''}` : ''}</li>`)
          .join('')}</ul></section>`;
  // the replay against QEMU's own graph, where the session was recorded with it (the model's sentence, in English like the CLI's)
  const recorded = r.recorded
    ? `<section class="recorded${r.recorded.differing.length === 0 ? ' ok' : ''}"><h2>${l10n.t("QEMU's recorded graph")}</h2><p>${escapeHtml(r.recorded.line)}</p>${
        r.recorded.differing.length === 0
          ? ''
          : `<ul>${r.recorded.differing.map((d) => `<li>${link(d, d.label)} ${d.differences.map(escapeHtml).join('; ')}</li>`).join('')}</ul>`
      }</section>`
    : '';
  return `${pageHead({ csp, style, title: l10n.t('{0} — summary', r.name) })}
<body>
<header><h1>${escapeHtml(r.name)}</h1><p class="counts">${counts}</p><button data-action="copy" title="${l10n.t('Copy this summary as plain text, as the CLI prints it')}">${l10n.t('Copy as Text')}</button></header>
<main>${recorded}${r.commands.map(commandSection).join('\n')}${backtraces}${diagnostics}</main>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
document.addEventListener('click', (e) => {
  const target = e.target instanceof Element ? e.target : null;
  const a = target && target.closest('[data-line]');
  if (a) { e.preventDefault(); vscode.postMessage({ type: 'reveal', line: Number(a.getAttribute('data-line')) }); return; }
  if (target && target.closest('[data-action="copy"]')) vscode.postMessage({ type: 'copy' });
});
</script>
</body>
</html>`;
}
