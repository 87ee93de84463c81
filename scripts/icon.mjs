// The extension's icon, drawn here as SVG and rendered to a 128×128 PNG by Debian's Chromium
// (run once when the drawing changes: node scripts/icon.mjs; the PNG is committed).
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { ROOT, CHROMIUM } from './lib/testEnv.mjs';
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <rect x="0" y="0" width="128" height="128" rx="22" fill="#1e2a38"/>
  <!-- a block graph: a BlockBackend on top, an overlay, its backing and file nodes -->
  <g stroke="#8fb8de" stroke-width="4" fill="none" stroke-linecap="round">
    <path d="M64 30 L64 52"/>
    <path d="M58 70 L36 92"/>
    <path d="M70 70 L92 92"/>
  </g>
  <rect x="42" y="12" width="44" height="20" rx="4" fill="#e8b04b"/>
  <ellipse cx="64" cy="62" rx="22" ry="12" fill="#4fa3e0"/>
  <ellipse cx="32" cy="100" rx="20" ry="11" fill="#4fa3e0"/>
  <ellipse cx="96" cy="100" rx="20" ry="11" fill="#6cc56c"/>
  <!-- a breakpoint -->
  <circle cx="104" cy="26" r="10" fill="#e05252" stroke="#1e2a38" stroke-width="3"/>
</svg>`;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
await page.screenshot({ path: join(ROOT, 'media', 'icon.png'), omitBackground: true, clip: { x: 0, y: 0, width: 128, height: 128 } });
await browser.close();
