// Switch `.log` and plain-text documents that are gdb traces to the gdb-trace language, once per
// document, unless the user turned detection off (or switched the document back themselves).

import * as vscode from 'vscode';
import { looksLikeGdbTrace } from './model/detect';
import { isInATab, LANGUAGE_ID } from './traceStore';

const CANDIDATES = new Set(['log', 'plaintext']);

export function registerDetection(): vscode.Disposable {
  /** Documents already looked at: a user who switches one back to Log keeps their choice. */
  const seen = new Set<string>();

  const check = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    if (!CANDIDATES.has(doc.languageId) || seen.has(key)) return;
    seen.add(key);
    if (!vscode.workspace.getConfiguration('qemuBlockTrace.detection', doc).get<boolean>('enabled', true)) return;
    if (looksLikeGdbTrace(doc.getText(new vscode.Range(0, 0, Math.min(doc.lineCount, 4000), 0)))) {
      void vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
    }
  };

  vscode.workspace.textDocuments.forEach(check);
  return vscode.Disposable.from(
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      // a language switch closes and reopens the document: keep what was decided until it is really gone
      if (doc.isClosed && !isInATab(doc.uri)) {
        seen.delete(doc.uri.toString());
      }
    }),
  );
}
