/**
 * The sandbox checkout pages: plain server-rendered HTML, no script, no
 * external asset; the one stylesheet is inline and allowed by its hash, so the
 * pages work under a CSP without 'unsafe-inline'.
 */
import { createHash } from 'node:crypto';
import { formatAmount } from '../money';
import type { CheckoutRow } from './store';

const style = `
body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1b1b1f}
main{max-width:28rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:.5rem;border:1px solid #ccc}
.banner{background:#fff3c4;border:2px solid #8a6d00;color:#3d3000;padding:.75rem;border-radius:.25rem;font-weight:700}
label{display:block;margin-top:1rem;font-weight:600}
input{font-size:1.1rem;padding:.5rem;width:100%;box-sizing:border-box;margin-top:.25rem}
button{font-size:1rem;padding:.6rem 1.2rem;margin-top:1rem;margin-right:.5rem}
.error{color:#a40000;font-weight:600}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}
dt{font-weight:600}
code{font-size:1rem}
`;
const styleHash = createHash('sha256').update(style).digest('base64');

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page's Content-Security-Policy: nothing but its own style; forms post to itself and may redirect to the return page. */
export function pagePolicy(returnUrl: string | undefined): string {
  let returnOrigin = '';
  try {
    if (returnUrl !== undefined) returnOrigin = ` ${new URL(returnUrl).origin}`;
  } catch {
    returnOrigin = '';
  }
  return `default-src 'none'; style-src 'sha256-${styleHash}'; form-action 'self'${returnOrigin}; frame-ancestors 'none'; base-uri 'none'`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} — Sandbox</title>
<style>${style}</style>
</head>
<body>
<main>
<p class="banner" role="note">Sandbox — no real money. This page only imitates a card payment.</p>
${body}
</main>
</body>
</html>`;
}

function summary(checkout: CheckoutRow): string {
  return `<dl>
<dt>Amount</dt><dd>${escapeHtml(formatAmount(checkout.amount, checkout.asset))}</dd>
<dt>Deposit</dt><dd><code>${escapeHtml(checkout.depositId)}</code></dd>
</dl>`;
}

export function returnUrlOf(checkout: CheckoutRow): string {
  return checkout.returnUrl.replaceAll('{id}', encodeURIComponent(checkout.depositId));
}

/** `<path of publicUrl>/sandbox/checkout/<id>`: absolute paths, right behind a path prefix too. */
export function checkoutPath(basePath: string, id: string, step?: 'pay' | 'confirm'): string {
  return `${basePath}/sandbox/checkout/${encodeURIComponent(id)}${step === undefined ? '' : `/${step}`}`;
}

export function cardPage(basePath: string, checkout: CheckoutRow, error?: string): string {
  const action = checkoutPath(basePath, checkout.id, 'pay');
  const errorId = 'card-error';
  return layout(
    'Pay',
    `<h1>Pay by card</h1>
${summary(checkout)}
<form method="post" action="${escapeHtml(action)}">
<label for="card">Card number</label>
<input id="card" name="card" type="text" inputmode="numeric" autocomplete="cc-number" required maxlength="32"
 aria-describedby="card-help${error === undefined ? '' : ` ${errorId}`}"${error === undefined ? '' : ' aria-invalid="true" autofocus'}>
${error === undefined ? '' : `<p id="${errorId}" class="error" role="alert">${escapeHtml(error)}</p>`}
<p id="card-help">Sandbox cards: <code>4242 4242 4242 4242</code> succeeds, <code>4000 0000 0000 0002</code> is declined,
<code>4000 0025 0000 3155</code> asks for a confirmation first.</p>
<button type="submit">Pay ${escapeHtml(formatAmount(checkout.amount, checkout.asset))}</button>
</form>
<p><a href="${escapeHtml(returnUrlOf(checkout))}">Cancel and go back</a></p>`,
  );
}

export function confirmPage(basePath: string, checkout: CheckoutRow): string {
  const action = checkoutPath(basePath, checkout.id, 'confirm');
  return layout(
    'Confirm',
    `<h1>Confirm this payment</h1>
<p>Your bank asks you to confirm this payment (this imitates 3-D Secure).</p>
${summary(checkout)}
<form method="post" action="${escapeHtml(action)}">
<button type="submit" name="decision" value="approve">Confirm</button>
<button type="submit" name="decision" value="reject">Do not confirm</button>
</form>`,
  );
}

/** A checkout that can no longer be paid: what became of it and the way back. */
export function finalPage(checkout: CheckoutRow, statusText: string): string {
  return layout(
    'Checkout',
    `<h1>${escapeHtml(statusText)}</h1>
${summary(checkout)}
<p><a href="${escapeHtml(returnUrlOf(checkout))}">Go back</a></p>`,
  );
}

export function notFoundPage(): string {
  return layout('Not found', '<h1>No such checkout</h1><p>The link is wrong or the checkout was never made.</p>');
}
