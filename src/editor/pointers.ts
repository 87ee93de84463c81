// What a pointer is, where the reader's eye is: hover, highlights of the same object, and inline
// name hints (`0x5555578ddc80 ‹over01›`); and a hover on frames with their arguments.

import * as vscode from 'vscode';
import { describeIdentity, jobStateAt, shortLabel, type Identities, type ObjectIdentity } from '../model/identities';
import { LANGUAGE_ID, type TraceStore } from '../traceStore';
import { escapeMarkdown, frameMarkdown } from '../markdown';
import { frameAt } from '../model/positions';
import { locationTarget, type SourceNavigator } from './sourceNavigation';

const line1 = (n: number) => n + 1;

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
  const others = ids.incarnations(id.address).filter((o) => o !== id);
  if (others.length > 0) {
    const kind = id.kind === 'node' ? 'node' : 'object';
    const earlier = others.filter((o) => o.incarnation < id.incarnation);
    const later = others.filter((o) => o.incarnation > id.incarnation);
    if (later.length > 0) {
      md.appendMarkdown(`\n\n${vscode.l10n.t('The address is reused: this is an earlier, different {0} than the one it holds from line {1} on:', kind, line1(later[0].firstLine))}`);
    } else {
      md.appendMarkdown(`\n\n${vscode.l10n.t('The address was used before by another object:')}`);
    }
    for (const o of [...earlier, ...later]) md.appendMarkdown(`\n- lines ${line1(o.firstLine)}–${line1(o.lastLine)}: ${escapeMarkdown(describeIdentity(o))}`);
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
        const p = ids.pointerAt(pos.line, pos.character);
        if (p) return new vscode.Hover(pointerHover(ids, p.identity, pos.line), new vscode.Range(p.range.line, p.range.start, p.range.line, p.range.end));
        const at = frameAt(trace, pos.line);
        const fr = at?.frame.functionRange;
        if (at && fr && fr.line === pos.line && fr.start <= pos.character && pos.character <= fr.end) {
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
          return new vscode.Hover(frameMarkdown(at.frame, destination), new vscode.Range(fr.line, fr.start, fr.line, fr.end));
        }
        return undefined;
      },
    }),
    vscode.languages.registerDocumentHighlightProvider(selector, {
      async provideDocumentHighlights(doc, pos) {
        const ids = await store.identities(store.get(doc));
        const p = ids.pointerAt(pos.line, pos.character);
        if (!p) return undefined;
        return ids.sightingsOf(p.identity).map((r) => new vscode.DocumentHighlight(new vscode.Range(r.line, r.start, r.line, r.end), vscode.DocumentHighlightKind.Read));
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
            const hint = new vscode.InlayHint(new vscode.Position(line, p.range.end), `‹${label}›`);
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

