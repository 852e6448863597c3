import { createHash, timingSafeEqual } from "node:crypto";
import { realpathSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { Services } from "@specsync/api";
import { normalizeSort, normalizeType } from "@specsync/api/openspec-output";

/**
 * Path prefix of the endpoint `specsync list/show` use when a server is running for their
 * project.
 */
export const CLI_ENDPOINT = "/cli/v1/";

function sameToken(required: string, presented: string | null): boolean {
  if (!presented) return false;
  const a = createHash("sha256").update(required).digest();
  const b = createHash("sha256").update(presented).digest();
  return timingSafeEqual(a, b);
}

/** The same repository reached through a symlink is the same repository. */
function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

const send = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

/**
 * GET /cli/v1/list?root=…[&specs=1][&sort=name] and /cli/v1/show?root=…&id=…[&type=…]: the CLI's exact stdout, stderr
 * and exit code, from this server's database. 404 for a repository this server does not watch (its rows
 * would not be kept current): the CLI then reads the database itself.
 */
export async function handleCliRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  services: Services,
  token: string | null,
  presented: string | null,
) {
  if (token && !sameToken(token, presented))
    return send(res, 401, {
      error: "missing or wrong bearer token (Authorization: Bearer <SPECSYNC_TOKEN>)",
    });
  if (req.method !== "GET") return send(res, 405, { error: "GET only" });
  const root = url.searchParams.get("root");
  if (!root || !path.isAbsolute(root))
    return send(res, 400, { error: "root must be an absolute path" });
  const watched = services.runtime.state().find((p) => canonical(p.rootPath) === canonical(root));
  if (!watched) return send(res, 404, { error: "this server does not watch that repository" });
  const output = services.cliOutput;
  const command = url.pathname.slice(CLI_ENDPOINT.length);
  const result =
    command === "list"
      ? await output.list(watched.rootPath, {
          specs: url.searchParams.get("specs") === "1",
          sort: normalizeSort(url.searchParams.get("sort") ?? undefined),
        })
      : command === "show"
        ? await output.show(
            watched.rootPath,
            url.searchParams.get("id") ?? undefined,
            normalizeType(url.searchParams.get("type") ?? undefined),
          )
        : undefined;
  if (result === undefined) return send(res, 404, { error: "not found" });
  if (result === null) return send(res, 404, { error: "project not in the database" });
  return send(res, 200, result);
}
