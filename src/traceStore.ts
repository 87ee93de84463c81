// One parsed Trace per open gdb-trace document, re-parsed (debounced) when the document changes.

import * as vscode from 'vscode';
import { parseTrace, type Trace } from './model/trace';

export const LANGUAGE_ID = 'gdb-trace';
const REPARSE_DELAY_MS = 250;

export interface TraceChange {
  document: vscode.TextDocument;
  trace: Trace;
}

export class TraceStore implements vscode.Disposable {
  private readonly cache = new Map<string, { version: number; trace: Trace }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly changed = new vscode.EventEmitter<TraceChange>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  /** Fires after a trace document was re-parsed because its text changed. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (!this.cache.has(e.document.uri.toString()) || e.contentChanges.length === 0) return;
        this.schedule(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
    );
  }

  static isTrace(document: vscode.TextDocument): boolean {
    return document.languageId === LANGUAGE_ID;
  }

  /** The trace of `document`, parsed now if the cached one is older than the text. */
  get(document: vscode.TextDocument): Trace {
    const key = document.uri.toString();
    const cached = this.cache.get(key);
    if (cached && cached.version === document.version) return cached.trace;
    const trace = parseTrace(document.getText());
    this.cache.set(key, { version: document.version, trace });
    return trace;
  }

  private schedule(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (document.isClosed) return;
        this.changed.fire({ document, trace: this.get(document) });
      }, REPARSE_DELAY_MS),
    );
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.cache.delete(key);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.cache.clear();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** Whether some editor tab shows `uri` (documents outlive their tabs by minutes). */
export function isInATab(uri: vscode.Uri): boolean {
  const key = uri.toString();
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key));
}
