// The document's columns and the model's: a log saved from a terminal holds colour and prompt codes
// in its lines, which the model reads without (model/terminal.ts). Ranges the model gives are put
// back on the same characters of the document, and a position in the document is read at the
// model's column. For a line without codes both are the same.

import * as vscode from 'vscode';
import { documentColumns, readColumn } from './model/terminal';

/** The document range of `[start, end)` of line `line` as the model read it. */
export function documentRange(doc: vscode.TextDocument, line: number, start: number, end: number): vscode.Range {
  if (line >= doc.lineCount) return new vscode.Range(line, start, line, end);
  const c = documentColumns(doc.lineAt(line).text, start, end);
  return new vscode.Range(line, c.start, line, c.end);
}

/** The column of document position `pos` in its line as the model read it. */
export function modelColumn(doc: vscode.TextDocument, pos: vscode.Position): number {
  return pos.line < doc.lineCount ? readColumn(doc.lineAt(pos.line).text, pos.character) : pos.character;
}
