// Outline, breadcrumbs, Go to Symbol and folding for gdb traces; the `Fold Plumbing Frames` command.

import * as vscode from 'vscode';
import { traceFolds, traceOutline, type Section } from '../model/outline';
import { LANGUAGE_ID, type TraceStore } from '../traceStore';

const KIND: Record<Section['kind'], vscode.SymbolKind> = {
  command: vscode.SymbolKind.Event,
  hit: vscode.SymbolKind.Function,
  frame: vscode.SymbolKind.Method,
  backtrace: vscode.SymbolKind.Namespace,
};

function toSymbol(doc: vscode.TextDocument, s: Section): vscode.DocumentSymbol {
  const last = Math.min(s.endLine, doc.lineCount - 1);
  const range = new vscode.Range(s.startLine, 0, last, doc.lineAt(last).text.length);
  const line = Math.min(s.line, last);
  const selection = new vscode.Range(line, 0, line, doc.lineAt(line).text.length);
  const symbol = new vscode.DocumentSymbol(s.name, s.detail, KIND[s.kind], range, range.contains(selection) ? selection : range);
  symbol.children = s.children.map((c) => toSymbol(doc, c));
  return symbol;
}

export function registerStructure(store: TraceStore): vscode.Disposable {
  const selector: vscode.DocumentSelector = { language: LANGUAGE_ID };
  return vscode.Disposable.from(
    vscode.languages.registerDocumentSymbolProvider(
      selector,
      {
        provideDocumentSymbols(doc) {
          const frames = vscode.workspace.getConfiguration('qemuBlockTrace.outline', doc).get<boolean>('frames', false);
          return traceOutline(store.get(doc), frames).map((s) => toSymbol(doc, s));
        },
      },
      { label: 'QEMU Block Trace' },
    ),
    vscode.languages.registerFoldingRangeProvider(selector, {
      provideFoldingRanges(doc) {
        return traceFolds(store.get(doc))
          .filter((f) => f.end < doc.lineCount)
          .map((f) => new vscode.FoldingRange(f.start, f.end, f.kind === 'plumbing' ? vscode.FoldingRangeKind.Imports : vscode.FoldingRangeKind.Region));
      },
    }),
    vscode.commands.registerCommand('qemuBlockTrace.foldPlumbingFrames', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== LANGUAGE_ID) return;
      const lines = traceFolds(store.get(editor.document))
        .filter((f) => f.kind === 'plumbing')
        .map((f) => f.start);
      await vscode.commands.executeCommand('editor.fold', { levels: 1, selectionLines: lines });
    }),
  );
}
