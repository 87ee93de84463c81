// Client of the runner's UI driver: lets a test read, click and photograph the real workbench
// (Playwright on the page that hosts this extension host). Absent under @vscode/test-electron.

const driver = process.env.QBT_UI_DRIVER;

async function call<T>(action: string, params: Record<string, unknown> = {}): Promise<T> {
  if (!driver) throw new Error('no UI driver: run the suite with the code-server runner (npm test)');
  const res = await fetch(driver, { method: 'POST', body: JSON.stringify({ action, ...params }) });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`UI ${action} failed: ${body.error}`);
  return body;
}

export type FrameKind = 'workbench' | 'webview';

export interface Row {
  label: string;
  description: string;
  icon: string;
  selected: boolean;
  expanded: boolean;
  level: number;
}

export const ui = {
  available: driver !== undefined,
  screenshot: (name: string) => call<{ path: string }>('screenshot', { name }),
  /** innerText of every match; the editor renders spaces as NBSP, given back as plain spaces. */
  texts: async (selector: string, frame: FrameKind = 'workbench') =>
    (await call<{ texts: string[] }>('texts', { selector, frame })).texts.map((t) => t.replace(/\u00a0/g, ' ')),
  /** textContent of every match: for SVG, which has no innerText. */
  svgTexts: async (selector: string) => (await call<{ texts: string[] }>('texts', { selector, frame: 'webview', content: true })).texts,
  /** For each SVG group matched in the webview, its text lines joined by spaces. */
  svgLabels: async (selector: string) => (await call<{ texts: string[] }>('svgLabels', { selector, frame: 'webview' })).texts,
  rows: async (selector: string) => (await call<{ rows: Row[] }>('rows', { selector })).rows,
  attributes: async (selector: string, name: string, frame: FrameKind = 'workbench') =>
    (await call<{ values: (string | null)[] }>('attributes', { selector, name, frame })).values,
  /** What all editors show, as one string with white space (and word-wrap breaks) collapsed. */
  editorText: async () => (await call<{ texts: string[] }>('editorTexts')).texts.join(' ').replace(/\s+/g, ' '),
  /** All text of the matches as one string, white space (and word-wrap breaks) collapsed. */
  screenText: async (selector: string, frame: FrameKind = 'workbench') =>
    (await call<{ texts: string[] }>('texts', { selector, frame })).texts.join(' ').replace(/\s+/g, ' '),
  click: (selector: string, opts: { index?: number; frame?: FrameKind; button?: 'left' | 'right'; modifiers?: ('Control' | 'Shift' | 'Alt')[]; timeout?: number } = {}) =>
    call('click', { selector, ...opts }),
  hover: (selector: string, opts: { index?: number; frame?: FrameKind } = {}) => call('hover', { selector, ...opts }),
  dragEdge: (selector: string, dx: number) => call('dragEdge', { selector, dx }),
  press: (key: string) => call('press', { key }),
  type: (text: string) => call('type', { text }),
  waitFor: (selector: string, opts: { frame?: FrameKind; state?: 'visible' | 'attached' | 'hidden'; timeout?: number } = {}) =>
    call('waitFor', { selector, ...opts }),
};

/**
 * Poll `probe` until it returns a value that is not undefined, or fail after `timeoutMs` (long: a
 * CI machine busy with other work was seen to take over 15 s for a step that takes 1 s here).
 */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Record a measured figure; the runner prints them after the test results. */
export function reportFigure(line: string): void {
  const g = globalThis as Record<string, unknown>;
  ((g.__qbtFigures as string[] | undefined) ?? (g.__qbtFigures = [] as string[]) as string[]).push(line);
}
