// What a pointer is, where the reader's eye is: hover, highlights of the same object, and inline
// name hints (`0x5555578ddc80 ‹over01›`); and a hover on frames with their arguments.

import * as vscode from 'vscode';
import { describeIdentity, jobStateAt, shortLabel, type Identities, type ObjectIdentity } from '../model/identities';
import { LANGUAGE_ID, type TraceStore } from '../traceStore';
import { escapeMarkdown, frameMarkdown } from '../markdown';
import { frameAt } from '../model/positions';
import { documentRange, modelColumn } from '../logText';
import { locationTarget, type SourceNavigator } from './sourceNavigation';

const line1 = (n: number) => n + 1;
/** Other objects at a pointer's address that its hover lists, before it and after it. */
const NEAREST = 3;

function lifetime(id: ObjectIdentity): string {
  const hits = id.firstHit === null ? '' : id.firstHit === id.lastHit ? ` (hit ${id.firstHit})` : ` (hits ${id.firstHit}–${id.lastHit})`;
  const span = id.firstLine === id.lastLine ? `Seen on line ${line1(id.firstLine)}` : `Seen from line ${line1(id.firstLine)} to line ${line1(id.lastLine)}`;
  const freed = id.ended !== 'deleted' ? '' : id.lastHit !== null ? `; freed after hit ${id.lastHit}` : '; freed before any hit printed it';
  return `${span}${hits}${freed}.`;
}

function pointerHover(ids: Identities, id: ObjectIdentity, line: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`\`${id.address}\` — ${escapeMarkdown(describeIdentity(id))}\n\n${lifetime(id)}`);
  const state = jobStateAt(id, line);
  if (id.states && id.states.length > 0) {
    const states = id.states.map((s) => `${s.state} (line ${line1(s.line)})`).join(' → ');
    md.appendMarkdown(`\n\n${state ? vscode.l10n.t('Job state here: **{0}**, as QEMU\'s trace said on line {1}.', state.state, line1(state.line)) : vscode.l10n.t('QEMU\'s trace shows no state for it yet here.')} ${vscode.l10n.t('States: {0}', states)}`);
  }
  const all = ids.incarnations(id.address);
  const at = all.indexOf(id);
  const earlier = all.slice(0, at);
  const later = all.slice(at + 1);
  if (earlier.length + later.length > 0) {
    const kind = id.kind === 'node' ? 'node' : 'object';
    if (later.length > 0) {
      md.appendMarkdown(`\n\n${vscode.l10n.t('The address is reused: this is an earlier, different {0} than the one it holds from line {1} on.', kind, line1(later[0].firstLine))}`);
    } else {
      md.appendMarkdown(`\n\n${vscode.l10n.t('The address was used before by another object.')}`);
    }
    // the nearest before and after it (a long session reuses an address hundreds of times)
    const item = (o: ObjectIdentity) => `\n- lines ${line1(o.firstLine)}–${line1(o.lastLine)}: ${escapeMarkdown(describeIdentity(o))}`;
    const more = (n: number, from: ObjectIdentity, to: ObjectIdentity) => `\n- ${vscode.l10n.t('… {0} more, lines {1}–{2}', n, line1(from.firstLine), line1(to.lastLine))}`;
    if (earlier.length > 0) {
      md.appendMarkdown(`\n\n${vscode.l10n.t('Before it:')}`);
      if (earlier.length > NEAREST) md.appendMarkdown(more(earlier.length - NEAREST, earlier[0], earlier[earlier.length - NEAREST - 1]));
      for (const o of earlier.slice(-NEAREST)) md.appendMarkdown(item(o));
    }
    if (later.length > 0) {
      md.appendMarkdown(`\n\n${vscode.l10n.t('After it:')}`);
      for (const o of later.slice(0, NEAREST)) md.appendMarkdown(item(o));
      if (later.length > NEAREST) md.appendMarkdown(more(later.length - NEAREST, later[NEAREST], later[later.length - 1]));
    }
  }
  return md;
}

export function registerPointers(store: TraceStore, navigator: SourceNavigator): vscode.Disposable {
  const selector: vscode.DocumentSelector = { language: LANGUAGE_ID };
  const hintsChanged = new vscode.EventEmitter<void>();
  return vscode.Disposable.from(
    hintsChanged,
    store.onDidChange(() => hintsChanged.fire()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('qemuBlockTrace.hints')) hintsChanged.fire();
    }),
    vscode.languages.registerHoverProvider(selector, {
      async provideHover(doc, pos) {
        const trace = store.get(doc);
        const ids = await store.identities(trace);
        const column = modelColumn(doc, pos);
        const p = ids.pointerAt(pos.line, column);
        if (p) return new vscode.Hover(pointerHover(ids, p.identity, pos.line), documentRange(doc, p.range.line, p.range.start, p.range.end));
        const at = frameAt(trace, pos.line);
        const fr = at?.frame.functionRange;
        if (at && fr && fr.line === pos.line && fr.start <= column && column <= fr.end) {
          let destination: string | undefined;
          if (at.frame.file) {
            const r = await navigator.resolve(doc, at.frame, at.inner);
            destination =
              r.path === null
                ? `Source: not found (${escapeMarkdown(r.reason)}).`
                : `Opens [${escapeMarkdown(r.path)}:${r.line}](${locationTarget(r).toString()})${r.method === 'exact' ? '' : ` — ${escapeMarkdown(r.note)}`}${
                    r.candidates?.length ? `\n\nCandidates: ${r.candidates.map((c) => `[${escapeMarkdown(c.fn)}](${locationTarget({ ...r, line: c.line }).toString()}) (line ${c.line})`).join(', ')}` : ''
                  }`;
          }
          return new vscode.Hover(frameMarkdown(at.frame, destination), documentRange(doc, fr.line, fr.start, fr.end));
        }
        return undefined;
      },
    }),
    vscode.languages.registerDocumentHighlightProvider(selector, {
      async provideDocumentHighlights(doc, pos) {
        const ids = await store.identities(store.get(doc));
        const p = ids.pointerAt(pos.line, modelColumn(doc, pos));
        if (!p) return undefined;
        return ids.sightingsOf(p.identity).map((r) => new vscode.DocumentHighlight(documentRange(doc, r.line, r.start, r.end), vscode.DocumentHighlightKind.Read));
      },
    }),
    vscode.languages.registerInlayHintsProvider(selector, {
      onDidChangeInlayHints: hintsChanged.event,
      provideInlayHints(doc, range) {
        if (!vscode.workspace.getConfiguration('qemuBlockTrace.hints', doc).get<boolean>('pointerNames', true)) return [];
        const trace = store.get(doc);
        const ids = store.identitiesIfBuilt(trace);
        if (!ids) {
          // not built yet: hints come when they are (the editor asks again on the event)
          void store.identities(trace).then(() => hintsChanged.fire());
          return [];
        }
        const hints: vscode.InlayHint[] = [];
        for (let line = range.start.line; line <= range.end.line; line++) {
          for (const p of ids.pointersOn(line)) {
            const label = shortLabel(p.identity);
            if (!label) continue;
            const hint = new vscode.InlayHint(documentRange(doc, line, p.range.start, p.range.end).end, `‹${label}›`);
            hint.paddingLeft = true;
            hint.tooltip = describeIdentity(p.identity);
            hints.push(hint);
          }
        }
        return hints;
      },
    }),
  );
}

