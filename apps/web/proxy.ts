import {
  isAllowedHost,
  MISDIRECTED_MESSAGE,
  readWebSettings,
  type WebSettings,
} from "@specsync/settings";
import { type NextRequest, NextResponse } from "next/server";
import { securityHeaders } from "~/lib/security-headers";
import { needsSession, SESSION_COOKIE, SIGN_IN_PATH, sessionValid } from "~/lib/web-session";

const text = (status: number, body: string) =>
  new NextResponse(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });

/**
 * The web port's gate, in front of every request (no `matcher`: pages, RSC fetches, route
 * handlers and static files alike), as the request guard is the API's (docs/security.md). Every
 * answer, refusals included, carries the security headers of lib/security-headers.ts.
 *
 *  1. Host allow-list, the API's rule on the web port (DNS rebinding): 421 otherwise.
 *  2. With SPECSYNC_TOKEN set, server rendering calls the API with the token, so every page wants a
 *     browser signed in with it (web-session.ts): else a redirect to the sign-in page (GET) or 401.
 *  3. A malformed percent-encoding in the path (`/p/x/changes/%E0%A4%A`) makes Next's own param
 *     decoding throw (HTTP 500); it is a bad address like any other, so it gets the 404 page.
 */
export function proxy(request: NextRequest) {
  const settings = readWebSettings();
  const response = gate(request, settings);
  for (const [name, value] of Object.entries(securityHeaders(settings)))
    response.headers.set(name, value);
  return response;
}

function gate(request: NextRequest, settings: WebSettings): NextResponse {
  const host = request.headers.get("host");
  if (!host || !isAllowedHost(host, settings.webPort, settings.allowedHosts))
    return text(421, `${MISDIRECTED_MESSAGE}\n`);

  const { pathname, search } = request.nextUrl;
  const token = settings.token;
  if (
    token &&
    needsSession(pathname) &&
    !sessionValid(token, request.cookies.get(SESSION_COOKIE)?.value)
  ) {
    if (request.method !== "GET" && request.method !== "HEAD")
      return text(401, "sign in first: open /sign-in with the SPECSYNC_TOKEN\n");
    // Next wants an absolute Location here: on the name the browser used (its Host, checked above).
    const signIn = new URL(SIGN_IN_PATH, `${request.nextUrl.protocol}//${host}`);
    signIn.search = new URLSearchParams({ next: pathname + search }).toString();
    return NextResponse.redirect(signIn, 303);
  }

  if (pathname.startsWith("/_next/")) return NextResponse.next();
  try {
    decodeURIComponent(pathname);
    return NextResponse.next();
  } catch {
    return NextResponse.rewrite(new URL("/malformed-address", request.url));
  }
}
