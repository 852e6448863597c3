import { NextResponse } from "next/server";
import { SIGN_IN_PATH } from "./web-session";

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/**
 * The browser's own API calls send the token from localStorage (providers.tsx): the form saves it
 * there as it posts, and fills itself from there, so a browser that had saved it only confirms.
 */
const script = `(()=>{const f=document.getElementById("sign-in"),t=f.elements.token;
try{if(!t.value)t.value=localStorage.getItem("specsync.token")||""}catch{}
f.addEventListener("submit",()=>{
try{localStorage.setItem("specsync.token",t.value.trim())}catch{}})})()`;

/** The sign-in page: a token field and nothing of the workspace. */
export function renderSignIn(opts: { next: string; error?: string }): string {
  const error = opts.error
    ? `<p role="alert" data-testid="sign-in-error">${escapeHtml(opts.error)}</p>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sign in · specsync</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:15vh auto;padding:0 1rem}
input,button{font:inherit;padding:.4rem .6rem}
input{width:100%;box-sizing:border-box;margin:.5rem 0}
[role=alert]{color:#b91c1c}
@media(prefers-color-scheme:dark){:root{color-scheme:dark}body{background:#09090b;color:#fafafa}
a{color:#a5b4fc}[role=alert]{color:#f87171}}</style>
</head><body><h1>specsync</h1>
<p>This server needs its token (<code>SPECSYNC_TOKEN</code>) to show the workspace.</p>${error}
<form id="sign-in" method="post" action="${SIGN_IN_PATH}">
<input type="hidden" name="next" value="${escapeHtml(opts.next)}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit" data-testid="sign-in-submit">Sign in</button>
</form>
<p><a href="${escapeHtml(opts.next)}">Signed in already? Continue</a></p>
<script>${script}</script></body></html>
`;
}

/** A 303 to a path of this site, relative: the browser stays on the name it used. */
export function seeOther(location: string): NextResponse {
  return new NextResponse(null, { status: 303, headers: { location } });
}
