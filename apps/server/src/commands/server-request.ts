/**
 * A request to the local specsync server, over node:http rather than fetch: undici alone costs a
 * one-shot command more than the whole answer.
 */
export async function requestServer(
  url: string,
  token: string | undefined,
  opts: { body?: unknown; timeoutMs: number },
): Promise<{ status: number; body: string }> {
  const { request } = await import("node:http");
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (payload !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: payload === undefined ? "GET" : "POST", headers, timeout: opts.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(payload);
  });
}

/** The server wants a token the CLI lacks (or has wrong): said plainly, never a fallback. */
export class TokenRefused extends Error {
  readonly code = "UNAUTHORIZED";
  constructor(url: string) {
    super(`the specsync server at ${url} wants a token: set SPECSYNC_TOKEN to the server's`);
  }
}
