/**
 * `specsync list|show --json`: what `openspec list|show --json` prints. Loaded lazily by the CLI and
 * itself loading as little as it can. A specsync server running for the project is asked over HTTP: its
 * watchers keep its database current, and it holds the answer. Without one, the database is only the last
 * sync's copy of the files, so the answer is read from the files themselves, with the sync engine's own
 * readers and parsers (FilesCliOutput): the files are the truth, and no database is opened (an embedded
 * PGlite costs seconds and ~170 MiB to open, and admits one process only). The database is not updated:
 * `specsync sync` (or a running server) does that.
 */
import type { CliResult, ListSort, ShowType } from "@specsync/api/openspec-output";
import type { Env } from "../env";
import { processAlive, readServerFile, serverFilePath } from "../server-file";
import { requestServer } from "./server-request";

export type OutputRequest =
  | { command: "list"; specs: boolean; sort: ListSort }
  | { command: "show"; id: string | undefined; type: ShowType };

/**
 * The answer of the specsync server running for `root`; "none" when no live server is advertised,
 * "silent" when one is but did not answer, "refused" when it wants a token we lack (or have
 * wrong): a read needs no server, so the files answer then, with a note saying why.
 */
export async function askRunningServer(
  req: OutputRequest,
  root: string,
  token: string | undefined,
): Promise<CliResult | "none" | { silent: string } | { refused: string }> {
  const advertised = readServerFile(root);
  if (!advertised || !processAlive(advertised.pid)) return "none";
  const silent = {
    silent: `a specsync server (pid ${advertised.pid}, ${advertised.url}) is advertised in ${serverFilePath(root)} but did not answer`,
  };
  const q = new URLSearchParams({ root });
  if (req.command === "list") {
    if (req.specs) q.set("specs", "1");
    if (req.sort !== "recent") q.set("sort", req.sort);
  } else {
    if (req.id !== undefined) q.set("id", req.id);
    if (req.type) q.set("type", req.type);
  }
  try {
    const res = await requestServer(`${advertised.url}/cli/v1/${req.command}?${q}`, token, {
      timeoutMs: 5000,
    });
    if (res.status === 401)
      return {
        refused:
          `specsync: the server at ${advertised.url} (pid ${advertised.pid}) wants a token ` +
          `(SPECSYNC_TOKEN ${token ? "is not the server's" : "is unset"}): read from the files\n`,
      };
    return res.status === 200 ? (JSON.parse(res.body) as CliResult) : silent;
  } catch {
    return silent;
  }
}

async function fromFiles(req: OutputRequest, root: string): Promise<CliResult> {
  const { FilesCliOutput } = await import("@specsync/api/openspec-output");
  const files = new FilesCliOutput();
  return req.command === "list"
    ? files.list(root, { specs: req.specs, sort: req.sort })
    : files.show(root, req.id, req.type);
}

/**
 * The answer, rendered by `render` (the JSON as is, or `humanText`). The note on a refused server
 * goes before the rendering's stderr, so that no rendering (a failure's replaces stderr) drops it.
 */
export async function openspecOutput(
  req: OutputRequest,
  root: string,
  env: Env,
  render: (result: CliResult) => CliResult = (result) => result,
): Promise<CliResult> {
  const answer = await askRunningServer(req, root, env.SPECSYNC_TOKEN);
  // A server advertised but silent (busy, stopping): the files answer; its database is never opened here.
  if (answer === "none" || "silent" in answer) return render(await fromFiles(req, root));
  if (!("refused" in answer)) return render(answer);
  // The note goes to stderr only: stdout stays exactly what openspec prints.
  const files = render(await fromFiles(req, root));
  return { ...files, stderr: answer.refused + files.stderr };
}

/**
 * `list` without `--json`: a short rendering of the JSON (the JSON is the contract); a failure
 * as the CLI prints it (failWithError: ora's fail line, then the fix, on stderr).
 */
export function humanText(req: OutputRequest, result: CliResult): CliResult {
  const text = (stdout: string): CliResult => ({ ...result, stdout });
  if (!result.stdout) return result;
  const body = JSON.parse(result.stdout) as {
    changes?: { name: string; completedTasks: number; totalTasks: number; nested?: string[] }[];
    specs?: { id: string; requirementCount: number }[];
    status?: { message: string; fix?: string }[];
  };
  const failure = result.exitCode !== 0 ? body.status?.[0] : undefined;
  if (failure)
    return {
      stdout: "",
      stderr: `\u2716 Error: ${failure.message}\n${failure.fix ? `Fix: ${failure.fix}\n` : ""}`,
      exitCode: result.exitCode,
    };
  if (result.exitCode !== 0) return result;
  if (req.command === "list" && body.specs)
    return text(
      `${body.specs.map((s) => `${s.id}  requirements ${s.requirementCount}`).join("\n") || "No specs found."}\n`,
    );
  if (req.command === "list" && body.changes)
    return text(
      `${body.changes.map((c) => `${c.name}  ${c.nested ? "not a change" : c.totalTasks ? `${c.completedTasks}/${c.totalTasks} tasks` : "No tasks"}`).join("\n") || "No active changes found."}\n`,
    );
  return result;
}
