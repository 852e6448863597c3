import { createHmac } from "node:crypto";
import { sameSecret } from "@specsync/settings";

/**
 * Signing in to the web port when SPECSYNC_TOKEN is set. Server rendering calls the API with the
 * token, so a page must be served only to a browser that proved it knows the token: the sign-in
 * page (`/sign-in`, no data) checks it once and sets an HttpOnly, SameSite=Strict cookie holding an
 * HMAC of it — not the token itself, which stays out of cookie jars and request logs. Changing the
 * token signs everyone out.
 */
export const SESSION_COOKIE = "specsync_session";
export const SIGN_IN_PATH = "/sign-in";
export const SIGN_OUT_PATH = "/sign-out";

/** The cookie's value for this token. */
export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("specsync web session v1").digest("base64url");
}

/** Whether the request's session cookie was made from this token. */
export function sessionValid(token: string, cookie: string | undefined): boolean {
  return cookie !== undefined && sameSecret(sessionValue(token), cookie);
}

/**
 * Where to go after signing in: a path of this site only (never `//host` or `/\host`). Read as a
 * browser reads a Location: it drops tabs and newlines anywhere, so `/<TAB>/host` is `//host`.
 * What is returned is the parsed path, with nothing left for a browser to reinterpret.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith("/")) return "/";
  const base = "http://specsync.invalid";
  const url = URL.canParse(next, base) ? new URL(next, base) : null;
  return url?.origin === base && !/^\/[/\\]/.test(url.pathname)
    ? url.pathname + url.search + url.hash
    : "/";
}

/**
 * Paths the web port serves without a session: signing in and out (a browser whose session the
 * token's change ended can still sign out) and the build's static files
 * (scripts, styles, fonts — the same for every workspace, no data in them).
 */
export function needsSession(pathname: string): boolean {
  return !(
    pathname === SIGN_IN_PATH ||
    pathname === SIGN_OUT_PATH ||
    pathname.startsWith("/_next/static/") ||
    pathname === "/favicon.ico"
  );
}

const hostOf = (origin: string) => {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
};

/** A form post from this site: no Origin (old browsers), or one naming the request's own Host. */
export function sameSite(request: { headers: Headers }): boolean {
  const origin = request.headers.get("origin");
  return origin === null || hostOf(origin) === request.headers.get("host");
}
