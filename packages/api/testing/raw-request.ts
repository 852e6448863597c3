import { connect } from "node:net";

/**
 * A GET written on a raw socket to 127.0.0.1:`port`, so the request target and Host are exactly
 * ours (node:http would not send an absolute-form target with a Host of our choosing): the
 * answer's status code and its whole text.
 */
export function rawGet(
  port: number,
  target: string,
  host: string,
  timeoutMs = 30_000,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    );
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => {
      text += c;
    });
    socket.on("end", () =>
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }),
    );
    socket.on("error", reject);
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no answer within ${timeoutMs} ms`)),
    );
  });
}
