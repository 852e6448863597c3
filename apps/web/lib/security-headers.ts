/**
 * Headers on every answer of the web port (proxy.ts), for the pages a crafted file or another
 * site could turn against the person reading them (docs/security.md, "The web port"):
 *
 * - `frame-ancestors 'none'` + `X-Frame-Options: DENY`: no other site can frame the UI and trick a
 *   click on Archive or Save (clickjacking).
 * - `img-src 'self' data:`: an image in a spec or proposal from a cloned PR cannot report to its
 *   author when and from where the file was read (a remote image is shown as its alt text).
 * - `connect-src`: the page talks to this site and the API (`apiUrl`) only.
 * - `object-src`, `base-uri`, `form-action`: no plugins, no rebased links, forms post here only.
 * - scripts: this site's. Next.js writes its page data as inline scripts, so inline ones stay
 *   allowed; Markdown is rendered without raw HTML and React escapes text, which is what keeps
 *   injected scripts out.
 * - `nosniff`, `Referrer-Policy: same-origin`: no guessed content types; other sites a link leads
 *   to do not learn the address (project and change names) it was followed from.
 */
export function securityHeaders(opts: { apiUrl: string; dev: boolean }): Record<string, string> {
  const api = originOf(opts.apiUrl);
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${opts.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${api ? ` ${api}` : ""}${opts.dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "content-security-policy": csp,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  };
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
