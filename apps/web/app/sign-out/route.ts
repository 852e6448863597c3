import { type NextRequest, NextResponse } from "next/server";
import { seeOther } from "~/lib/sign-in-page";
import { SESSION_COOKIE, SIGN_IN_PATH, sameSite } from "~/lib/web-session";

/**
 * Sign out: the session cookie is cleared and the browser goes to the sign-in page (the nav's
 * form also forgets the token saved in localStorage). POST only, and from this site only: a
 * link or a prefetch must not sign anyone out.
 */
export function POST(request: NextRequest) {
  if (!sameSite(request)) return new NextResponse("cross-site sign-out refused\n", { status: 403 });
  const res = seeOther(SIGN_IN_PATH);
  res.headers.set("cache-control", "no-store");
  res.cookies.set(SESSION_COOKIE, "", {
    httpOnly: true,
    sameSite: "strict",
    path: "/",
    maxAge: 0,
    secure: request.headers.get("x-forwarded-proto") === "https",
  });
  return res;
}
