import { describe, expect, it } from "vitest";
import { sameSecret } from "../src/secret";

// The one constant-time comparison of secrets: the API's token and sign-in tickets, the CLI
// endpoint's token, the web UI's sign-in token and session cookie.
describe("sameSecret", () => {
  const token = "s3cret-token-0123456789";

  it("equal strings are the same secret", () => {
    expect(sameSecret(token, token)).toBe(true);
    expect(sameSecret(token, `${token}`.slice(0))).toBe(true);
    expect(sameSecret("", "")).toBe(true);
  });

  it("different strings of the same length are not", () => {
    expect(sameSecret(token, token.replace("0", "1"))).toBe(false);
    expect(sameSecret(token, token.toUpperCase())).toBe(false);
  });

  it("different lengths are not, a prefix included (and nothing throws)", () => {
    expect(sameSecret(token, token.slice(0, -1))).toBe(false);
    expect(sameSecret(token, `${token}x`)).toBe(false);
    expect(sameSecret(token, "")).toBe(false);
    expect(sameSecret("", token)).toBe(false);
  });

  it("non-ASCII: compared as UTF-8 bytes, normalisation forms differ", () => {
    const nfc = "jeton-é-🔑-東京-0123456789";
    expect(sameSecret(nfc, nfc)).toBe(true);
    expect(sameSecret(nfc, nfc.normalize("NFD"))).toBe(false);
    // Same UTF-16 length, different characters.
    expect(sameSecret("ééé", "èèè")).toBe(false);
    expect(sameSecret("a\uD800", "ab")).toBe(false);
  });
});
