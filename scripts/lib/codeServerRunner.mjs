// Runs the integration suite inside a real VS Code workbench without downloading VS Code:
// code-server (VS Code 1.100 served from npm) in Debian's Chromium, driven by playwright-core.
// See ../../../shared/docs/real-vscode-tests.md for how this recipe was found.
//
// The suite runs in VS Code's extension host and cannot touch the browser, so this runner also
// serves a small "UI driver" on loopback (QBT_UI_DRIVER): tests POST {action, ...} to it and it
// clicks, reads or photographs the workbench with Playwright, as a person would see it.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync, createWriteStream, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CODE_SERVER_ENTRY, ROOT, codeServerVersion } from './testEnv.mjs';

const STARTUP_TIMEOUT_MS = 90_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, deadline, server) {
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`code-server exited early with code ${server.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer on ${url} within ${STARTUP_TIMEOUT_MS / 1000} s`);
}

/** The UI driver: what a test may ask of the workbench page. */
function uiDriver(getPage, screenshotDir) {
  const frameFor = (page, kind) => {
    if (kind !== 'webview') return page.mainFrame();
    // a webview's content sits in a nested frame served from contrib/webview/browser/pre
    const frames = page.frames().filter((f) => f.url().includes('contrib/webview/browser/pre') && f.parentFrame()?.url().includes('contrib/webview/browser/pre'));
    return frames[frames.length - 1] ?? null;
  };
  const actions = {
    async screenshot(page, { name }) {
      mkdirSync(screenshotDir, { recursive: true });
      const path = join(screenshotDir, `${String(name).replace(/[^\w.-]/g, '_')}.png`);
      await page.screenshot({ path });
      return { path };
    },
    async texts(page, { selector, frame, content = false }) {
      const f = frameFor(page, frame);
      if (!f) return { texts: [] };
      // SVG elements have no innerText: their text is textContent
      return { texts: content ? await f.locator(selector).allTextContents() : await f.locator(selector).allInnerTexts() };
    },
    /** For each match, the text of its `text` descendants joined by spaces (an SVG node's lines). */
    async svgLabels(page, { selector, frame }) {
      const f = frameFor(page, frame);
      if (!f) return { texts: [] };
      return { texts: await f.locator(selector).evaluateAll((els) => els.map((el) => [...el.querySelectorAll('text')].map((t) => t.textContent.trim()).join(' '))) };
    },
    /** The text each editor shows, visual line by visual line, top to bottom. */
    async editorTexts(page) {
      const texts = await page.locator('.monaco-editor .view-lines').evaluateAll((editors) =>
        editors.map((v) =>
          [...v.querySelectorAll('.view-line')]
            .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
            .map((l) => l.textContent.replace(/\u00a0/g, ' '))
            .join('\n'),
        ),
      );
      return { texts };
    },
    /** Tree and list rows as a person reads them: label, description, icon, selected or not. */
    async rows(page, { selector }) {
      const rows = await page.locator(selector).evaluateAll((els) =>
        els.map((el) => {
          const text = (q) => el.querySelector(q)?.textContent?.trim() ?? '';
          const iconEl = el.querySelector('.custom-view-tree-node-item-icon') ?? el.querySelector('.monaco-icon-label .codicon');
          const icon = [...(iconEl?.classList ?? [])].find((c) => c.startsWith('codicon-')) ?? '';
          return {
            label: text('.label-name'),
            description: text('.label-description'),
            icon: icon.replace(/^codicon-/, ''),
            selected: el.classList.contains('selected'),
            expanded: el.getAttribute('aria-expanded') === 'true',
            level: Number(el.getAttribute('aria-level') ?? 0),
          };
        }),
      );
      return { rows };
    },
    async attributes(page, { selector, name, frame }) {
      const f = frameFor(page, frame);
      if (!f) return { values: [] };
      return { values: await f.locator(selector).evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name) };
    },
    async click(page, { selector, frame, index = 0, button = 'left', modifiers = [], timeout = 10_000 }) {
      const f = frameFor(page, frame);
      if (!f) throw new Error('no such frame');
      await f.locator(selector).nth(index).click({ button, modifiers, timeout });
      return {};
    },
    async hover(page, { selector, frame, index = 0 }) {
      const f = frameFor(page, frame);
      if (!f) throw new Error('no such frame');
      await f.locator(selector).nth(index).hover({ timeout: 10_000 });
      return {};
    },
    /** Drag the right edge of an element (the side bar's sash) by dx pixels, as with a mouse. */
    async dragEdge(page, { selector, dx }) {
      const box = await page.locator(selector).first().boundingBox();
      if (!box) throw new Error(`nothing to drag: ${selector}`);
      const x = box.x + box.width - 1;
      const y = box.y + box.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + dx / 2, y, { steps: 5 });
      await page.mouse.move(x + dx, y, { steps: 5 });
      await page.mouse.up();
      return {};
    },
    async press(page, { key }) {
      await page.keyboard.press(key);
      return {};
    },
    async type(page, { text }) {
      await page.keyboard.type(text);
      return {};
    },
    async waitFor(page, { selector, frame, state = 'visible', timeout = 15_000 }) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const f = frameFor(page, frame);
        if (f) {
          try {
            await f.locator(selector).first().waitFor({ state, timeout: Math.max(100, Math.min(2_000, deadline - Date.now())) });
            return {};
          } catch (e) {
            if (Date.now() >= deadline) throw e;
          }
        } else if (Date.now() >= deadline) {
          throw new Error(`no ${frame} frame appeared`);
        } else {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
  };
  return createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      try {
        const msg = JSON.parse(body);
        const fn = actions[msg.action];
        if (!fn) throw new Error(`unknown UI action ${msg.action}`);
        const out = await fn(getPage(), msg);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      } catch (e) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(e?.message ?? e) }));
      }
    });
  });
}

/**
 * Run the compiled suite `testsModule` (exports run()) with the extension in `extensionDir`, on a
 * throw-away copy of `workspace`, or, with `workspace: null`, in a window with no folder (how a
 * user opens one log with `code trace.log`). `suite` names which test files run (QBT_SUITE).
 * Resolves with what the suite reported.
 */
export async function runInCodeServer({ extensionDir, testsModule, workspace, suite = 'folder', timeoutMs, screenshotDir, verbose = false, installVsix = null }) {
  const { chromium } = await import('playwright-core');
  const tmp = mkdtempSync(join(tmpdir(), 'qbt-it-'));
  const ws = join(tmp, 'workspace');
  if (workspace) cpSync(workspace, ws, { recursive: true });
  else mkdirSync(ws);
  if (installVsix) {
    // the extension as a user installs it, into this run's fresh extensions folder; the tests then
    // run as a harness extension of their own, so the development folder is not loaded at all
    const r = spawnSync(process.execPath, [CODE_SERVER_ENTRY, '--extensions-dir', join(tmp, 'extensions'), '--user-data-dir', join(tmp, 'user-data'), '--install-extension', installVsix], { encoding: 'utf8' });
    if (r.status !== 0 || !/was successfully installed/.test(`${r.stdout}${r.stderr}`)) throw new Error(`code-server --install-extension ${installVsix} failed:\n${r.stdout}${r.stderr}`);
    const harness = join(tmp, 'harness');
    mkdirSync(harness);
    writeFileSync(join(harness, 'package.json'), JSON.stringify({ name: 'qbt-install-harness', publisher: 'qbt-tests', version: '0.0.0', engines: { vscode: '^1.100.0' } }));
    extensionDir = harness;
  }
  const resultsFile = join(tmp, 'results.json');
  const logFile = join(tmp, 'code-server.log');
  const port = await freePort();

  let page = null;
  const driver = uiDriver(() => page, screenshotDir);
  await new Promise((r) => driver.listen(0, '127.0.0.1', r));
  const driverUrl = `http://127.0.0.1:${driver.address().port}`;

  // a quiet profile: no prompts about git repositories or tips in the way of the tests
  mkdirSync(join(tmp, 'user-data', 'User'), { recursive: true });
  writeFileSync(
    join(tmp, 'user-data', 'User', 'settings.json'),
    JSON.stringify({
      'git.openRepositoryInParentFolders': 'never',
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'extensions.ignoreRecommendations': true,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
    }),
  );
  // EXTENSIONS_GALLERY={} leaves code-server with no marketplace: nothing is looked up offline
  const env = { ...process.env, EXTENSIONS_GALLERY: '{}', QBT_RESULTS: resultsFile, QBT_UI_DRIVER: driverUrl, QBT_TEST_WORKSPACE: ws, QBT_SUITE: suite };
  const server = spawn(
    process.execPath,
    [
      CODE_SERVER_ENTRY,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir', join(tmp, 'user-data'),
      '--extensions-dir', join(tmp, 'extensions'),
      ...(workspace ? [ws] : []),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const log = createWriteStream(logFile);
  server.stdout.pipe(log);
  server.stderr.pipe(log);

  let browser;
  const workbenchErrors = [];
  try {
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, Date.now() + STARTUP_TIMEOUT_MS, server);
    } catch (e) {
      await new Promise((r) => log.end(r));
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n  ');
      throw new Error(`${e.message}; its log ends:\n  ${tail}`, { cause: e });
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    let finish;
    const exited = new Promise((r) => (finish = r));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = Array.isArray(args) ? args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') : String(args);
      // harmless here: no network for the marketplace; optional native modules code-server lacks
      if (/open-vsx|marketplace|gallery|native-watchdog|build\/Release\/watchdog|spdlog|Could not locate the bindings file/i.test(text)) return;
      if (type === 'error') workbenchErrors.push(text);
      if (verbose) process.stdout.write(`[workbench ${type}] ${text}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code) => finish(code));
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(extensionDir)],
      ['extensionTestsPath', remote(testsModule)],
      ['skipWelcome', 'true'],
    ];
    // `ew`: an empty window (no folder), where the tests open files as `code FILE` does
    const where = workspace ? `folder=${encodeURIComponent(ws)}` : 'ew=true';
    await page.goto(`http://127.0.0.1:${port}/?${where}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    let timer;
    const timedOut = new Promise((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const code = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : null;
    if (code === 'timeout') {
      await page.screenshot({ path: join(screenshotDir, 'timeout.png') }).catch(() => {});
      return { code: 1, results, error: `the integration suite did not finish within ${timeoutMs / 1000} s`, workbenchErrors, codeServer: codeServerVersion() };
    }
    return { code, results, error: results ? null : 'the suite reported no results (did it load?)', workbenchErrors, codeServer: codeServerVersion() };
  } finally {
    await browser?.close().catch(() => {});
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    driver.close();
    if (!log.writableEnded) log.end();
    if (verbose) process.stdout.write(`code-server log: ${logFile}\n`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

export { ROOT };
