import { readWebSettings, sameSecret } from "@specsync/settings";
import { type NextRequest, NextResponse } from "next/server";
import {
  CLIENT_ADDRESS_HEADER,
  clearFailures,
  recordFailure,
  retryAfterSeconds,
} from "~/lib/sign-in-limit";
import { renderSignIn, seeOther } from "~/lib/sign-in-page";
import { SESSION_COOKIE, safeNext, sameSite, sessionValue } from "~/lib/web-session";

// The token is read at request time (as the layout reads the API address).
export const dynamic = "force-dynamic";

const html = (status: number, body: string, headers: Record<string, string> = {}) =>
  new NextResponse(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });

/** The sign-in form: no workspace data, only a field for the token. */
export function GET(request: NextRequest) {
  const { token } = readWebSettings();
  const next = safeNext(request.nextUrl.searchParams.get("next"));
  if (!token) return seeOther(next);
  return html(200, renderSignIn({ next }));
}

/**
 * The token, posted by the form: right → the session cookie and back to `next`; wrong → the form
 * again (401). A cross-site form post is refused (its Origin is not this site). Too many wrong
 * tokens from one address → 429 with Retry-After, whatever is posted (sign-in-limit.ts).
 */
export async function POST(request: NextRequest) {
  const { token } = readWebSettings();
  if (!sameSite(request)) return new NextResponse("cross-site sign-in refused\n", { status: 403 });
  const form = await request.formData().catch(() => null);
  const presented = form?.get("token");
  const next = safeNext(typeof form?.get("next") === "string" ? String(form?.get("next")) : null);
  if (!token) return seeOther(next);
  const client = request.headers.get(CLIENT_ADDRESS_HEADER) ?? "";
  const wait = retryAfterSeconds(client);
  if (wait > 0) {
    const error = `Too many wrong tokens from this address. Try again in ${wait} s.`;
    return html(429, renderSignIn({ next, error }), { "retry-after": String(wait) });
  }
  if (typeof presented !== "string" || !sameSecret(token, presented.trim())) {
    recordFailure(client);
    return html(401, renderSignIn({ next, error: "That is not the token this server was given." }));
  }
  clearFailures(client);
  const res = seeOther(next);
  res.cookies.set(SESSION_COOKIE, sessionValue(token), {
    httpOnly: true,
    sameSite: "strict",
    path: "/",
    // Behind an https reverse proxy the cookie should be Secure; plain http on loopback cannot be.
    secure: request.headers.get("x-forwarded-proto") === "https",
  });
  return res;
}
