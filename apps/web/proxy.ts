import { type NextRequest, NextResponse } from "next/server";

/**
 * A malformed percent-encoding in the path (`/p/x/changes/%E0%A4%A`) makes Next's own param
 * decoding throw (HTTP 500); it is a bad address like any other, so it gets the 404 page.
 */
export function proxy(request: NextRequest) {
  try {
    decodeURIComponent(request.nextUrl.pathname);
    return NextResponse.next();
  } catch {
    return NextResponse.rewrite(new URL("/malformed-address", request.url));
  }
}

// Only the pages: never static files, images, or the favicon.
export const config = { matcher: ["/((?!_next/|favicon.ico).*)"] };
