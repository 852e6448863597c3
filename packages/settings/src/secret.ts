import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Whether two secrets (SPECSYNC_TOKEN, a value made from it) are equal, in constant time whatever
 * their lengths: both sides are hashed first, so neither the position of the first difference nor
 * a length mismatch shows in the time taken. Strings are compared as their UTF-8 bytes.
 */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(
    createHash("sha256").update(a, "utf8").digest(),
    createHash("sha256").update(b, "utf8").digest(),
  );
}
