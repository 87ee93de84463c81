// Wiring only: build the shared services, then let each feature register itself.

import type * as vscode from 'vscode';
import { registerDetection } from './detection';
import { registerPointers } from './editor/pointers';
import { registerStructure } from './editor/structure';
import { registerHitsTree } from './hitsTree';
import { registerSummary } from './summary';
import { TraceStore } from './traceStore';

export function activate(context: vscode.ExtensionContext): void {
  const store = new TraceStore();
  context.subscriptions.push(store, registerDetection(), registerSummary(store), registerStructure(store), registerPointers(store), registerHitsTree(context, store));
}

export function deactivate(): void {}
