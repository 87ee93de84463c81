// Wiring only: build the shared services, then let each feature register itself.

import type * as vscode from 'vscode';
import { registerPointers } from './editor/pointers';
import { registerSourceNavigation, SourceNavigator } from './editor/sourceNavigation';
import { registerStructure } from './editor/structure';
import { registerAsPrinted } from './editor/asPrinted';
import { registerGraphPanel } from './graphPanel';
import { registerHitsTree } from './hitsTree';
import { registerRecording } from './recording';
import { registerSummary } from './summary';
import { TraceStore } from './traceStore';
import { registerWalkthrough } from './walkthrough';

export function activate(context: vscode.ExtensionContext): void {
  const store = new TraceStore();
  const navigator = new SourceNavigator(context, (doc) => store.get(doc));
  const hits = registerHitsTree(context, store);
  context.subscriptions.push(
    store,
    navigator,
    registerSummary(context, store),
    registerStructure(store),
    registerAsPrinted(store),
    registerPointers(store, navigator),
    registerSourceNavigation(store, navigator, hits.focus),
    hits.disposable,
    registerGraphPanel(context, store, hits.focus),
    registerWalkthrough(),
    registerRecording(context),
  );
}

export function deactivate(): void {}
