// What every webview page of the extension starts with: a nonce, and a head with a strict CSP,
// one stylesheet and a title. Pure strings, so the pages' own makers stay testable.

/** A fresh nonce for a page's one script. */
export function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `<!DOCTYPE html>` up to `</head>`: the CSP as a meta tag, the stylesheet, the title (escaped). */
export function pageHead({ csp, style, title }: { csp: string; style: string; title: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeHtml(title)}</title>
</head>`;
}
