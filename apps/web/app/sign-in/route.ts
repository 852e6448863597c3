import { readWebSettings } from "@specsync/settings";
import { type NextRequest, NextResponse } from "next/server";
import { renderSignIn, seeOther } from "~/lib/sign-in-page";
import { SESSION_COOKIE, safeNext, sameSecret, sessionValue } from "~/lib/web-session";

// The token is read at request time (as the layout reads the API address).
export const dynamic = "force-dynamic";

const html = (status: number, body: string) =>
  new NextResponse(body, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });

const hostOf = (origin: string) => {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
};

/** The sign-in form: no workspace data, only a field for the token. */
export function GET(request: NextRequest) {
  const { token } = readWebSettings();
  const next = safeNext(request.nextUrl.searchParams.get("next"));
  if (!token) return seeOther(next);
  return html(200, renderSignIn({ next }));
}

/**
 * The token, posted by the form: right → the session cookie and back to `next`; wrong → the form
 * again (401). A cross-site form post is refused (its Origin is not this site).
 */
export async function POST(request: NextRequest) {
  const { token } = readWebSettings();
  const origin = request.headers.get("origin");
  if (origin !== null && hostOf(origin) !== request.headers.get("host"))
    return new NextResponse("cross-site sign-in refused\n", { status: 403 });
  const form = await request.formData().catch(() => null);
  const presented = form?.get("token");
  const next = safeNext(typeof form?.get("next") === "string" ? String(form?.get("next")) : null);
  if (!token) return seeOther(next);
  if (typeof presented !== "string" || !sameSecret(token, presented.trim()))
    return html(401, renderSignIn({ next, error: "That is not the token this server was given." }));
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
