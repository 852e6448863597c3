import { realpathSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { Services } from "@specsync/api";
import { normalizeSort, normalizeType } from "@specsync/api/openspec-output";
import { sameSecret } from "@specsync/settings";
import { z } from "zod";
import { errorResult } from "./commands/cli-error";
import { lifecycleRequestSchema, runLifecycle } from "./commands/lifecycle";

/**
 * Path prefix of the endpoint `specsync list/show` use when a server is running for their
 * project.
 */
export const CLI_ENDPOINT = "/cli/v1/";

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

const runBodySchema = z.strictObject({
  root: z.string().refine((p) => path.isAbsolute(p), "root must be an absolute path"),
  request: lifecycleRequestSchema,
});

/**
 * POST /cli/v1/run {root, request}: `specsync new|validate|archive|next|claim|release` run
 * over this server's services (it holds the embedded database), answered as the CLI's exact
 * stdout, stderr and exit code; an error is what the CLI prints for it (`specsync: …`, exit 1).
 */
async function runCommand(
  req: IncomingMessage,
  res: ServerResponse,
  services: Services,
  watchedRoot: (root: string) => string | undefined,
) {
  let body: z.infer<typeof runBodySchema>;
  try {
    body = runBodySchema.parse(JSON.parse((req as IncomingMessage & { body?: string }).body ?? ""));
  } catch (err) {
    return send(res, 400, { error: err instanceof Error ? err.message : "bad request" });
  }
  const root = watchedRoot(body.root);
  if (!root) return send(res, 404, { error: "this server does not watch that repository" });
  try {
    const project = await services.sync.ensureProject(root);
    return send(res, 200, await runLifecycle(services, project, body.request));
  } catch (err) {
    return send(res, 200, errorResult(err, body.request.json));
  }
}

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
  if (token && (!presented || !sameSecret(token, presented)))
    return send(res, 401, {
      error: "missing or wrong bearer token (Authorization: Bearer <SPECSYNC_TOKEN>)",
    });
  const watchedRoot = (root: string) =>
    services.runtime.state().find((p) => canonical(p.rootPath) === canonical(root))?.rootPath;
  if (url.pathname === `${CLI_ENDPOINT}run`)
    return req.method === "POST"
      ? runCommand(req, res, services, watchedRoot)
      : send(res, 405, { error: "POST only" });
  if (req.method !== "GET") return send(res, 405, { error: "GET only" });
  const root = url.searchParams.get("root");
  if (!root || !path.isAbsolute(root))
    return send(res, 400, { error: "root must be an absolute path" });
  const watched = watchedRoot(root);
  if (!watched) return send(res, 404, { error: "this server does not watch that repository" });
  const output = services.cliOutput;
  const command = url.pathname.slice(CLI_ENDPOINT.length);
  const result =
    command === "list"
      ? await output.list(watched, {
          specs: url.searchParams.get("specs") === "1",
          sort: normalizeSort(url.searchParams.get("sort") ?? undefined),
        })
      : command === "show"
        ? await output.show(
            watched,
            url.searchParams.get("id") ?? undefined,
            normalizeType(url.searchParams.get("type") ?? undefined),
          )
        : undefined;
  if (result === undefined) return send(res, 404, { error: "not found" });
  if (result === null) return send(res, 404, { error: "project not in the database" });
  return send(res, 200, result);
}
