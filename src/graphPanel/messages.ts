// The messages between the graph panel's host (extension) and its webview, typed once for both.
// Pure: no `vscode`, no DOM.

import type { GraphView } from '../model/graphView';

/** A command boundary on the slider: the first hit of each QMP command. */
export interface CommandMark {
  hit: number;
  label: string;
}

/** What the webview keeps with setState, so a reload (or a restored panel) comes back where it was. */
export interface GraphPanelState {
  uri: string;
  hit: number;
}

export type HostMessage =
  | {
      type: 'trace';
      /** File name, for the title line. */
      name: string;
      uri: string;
      hitCount: number;
      commands: CommandMark[];
    }
  | {
      type: 'state';
      view: GraphView;
      /** The DOT the webview lays out (one writer for the panel, the CLI and the export). */
      dot: string;
      /** The command the hit belongs to, as typed. */
      command: string | null;
      /** 1-based log line of the hit header. */
      logLine: number | null;
      /**
       * QEMU's own graph, where the log recorded it (`qbt-graph`) at the stop after this state: the
       * sentence to show (the model's, in English as the CLI's) and whether the replay agrees.
       */
      recorded?: { agrees: boolean; text: string; available: boolean; showing: boolean };
      /** The `step` this answers; absent when the host moved on its own (cursor, tree). */
      replyTo?: number;
    }
  | { type: 'busy'; text: string }
  | { type: 'empty'; text: string };

export type WebviewMessage =
  | { type: 'ready'; state: GraphPanelState | null }
  /** `seq` grows with each step, so that answers to older steps can be told and dropped. */
  | { type: 'step'; hit: number; seq: number }
  | { type: 'selectNode'; id: string | null }
  /** Draw QEMU's recorded graph (true) or the replay (false) where the log has both. */
  | { type: 'showRecorded'; on: boolean }
  | { type: 'export'; format: 'svg' | 'dot'; svg?: string }
  /** Timings of the last draw, for the benchmark and the tests. */
  | { type: 'drawn'; hit: number; layoutMs: number; nodes: number };
