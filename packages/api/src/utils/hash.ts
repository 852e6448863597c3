import { createHash } from "node:crypto";

/**
 * sha256 hex of a string's UTF-8 bytes (equal to the hash of the file bytes it was decoded
 * from).
 */
export function sha256(content: string | Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}
