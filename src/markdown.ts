// Markdown for hovers and tooltips built from log text, which is never trusted to be plain.

import * as vscode from 'vscode';
import type { Frame } from './model/trace';

/** Escape text for Markdown (outside code spans): what could start emphasis, code, links, HTML or tables. */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]<>#|]/g, '\\$&');
}

/** Text for inside a code span that is also a table cell. */
function codeCell(s: string): string {
  return s.replace(/`/g, "'").replace(/\|/g, '\\|');
}

/**
 * A frame: `#3 bdrv_append — ../block.c:5343`, then `destination` (Markdown: where it opens, which
 * must not be cut off by a long table), then its arguments as a table.
 */
export function frameMarkdown(frame: Frame, destination?: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${frame.level >= 0 ? `#${frame.level} ` : ''}${escapeMarkdown(frame.function || '??')}**`);
  const where = frame.file ? `${frame.file}:${frame.line}${frame.column !== null ? `:${frame.column}` : ''}` : frame.library;
  if (where) md.appendMarkdown(` — \`${codeCell(where)}\``);
  if (frame.inlined) md.appendMarkdown(' (inlined)');
  if (destination) md.appendMarkdown(`\n\n${destination}`);
  if (frame.args.length > 0) {
    md.appendMarkdown('\n\n| argument | value |\n|---|---|\n');
    for (const a of frame.args) md.appendMarkdown(`| ${escapeMarkdown(a.name)}${a.entry ? '@entry' : ''} | \`${codeCell(a.value)}\` |\n`);
  }
  return md;
}
