import type { CliResult } from "@specsync/api/openspec-output";

/**
 * One line for the terminal: zod errors name each bad field (duck-typed, so zod stays lazily
 * loaded); drizzle's "Failed query" shows the driver's reason.
 */
export function cliErrorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const issues = (err as { issues?: unknown }).issues;
  if (err.name === "ZodError" && Array.isArray(issues))
    return issues
      .map(
        (i: { path: PropertyKey[]; message: string }) =>
          `${i.path.join(".") || "input"}: ${i.message}`,
      )
      .join("; ");
  if (err.message.startsWith("Failed query:") && err.cause instanceof Error)
    return `database error: ${err.cause.message}`;
  return err.message;
}

/** A short code for scripts: the service's (NOT_FOUND, CONFLICT…), BAD_REQUEST for zod, else ERROR. */
function errorCode(err: unknown): string {
  if (!(err instanceof Error)) return "ERROR";
  const code = (err as { code?: unknown }).code;
  if (err.name === "ZodError" || String(code).startsWith("ERR_PARSE_ARGS")) return "BAD_REQUEST";
  return typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : "ERROR";
}

/**
 * What the CLI prints for a command that threw (its `run`), as a result a server can send back:
 * `specsync: …` on stderr, exit 1; with `--json` also `{"error": CODE, "message": …}` on stdout
 * (the MCP tools' error body), so a script reading stdout gets JSON either way.
 */
export const errorResult = (err: unknown, json = false): CliResult => {
  const message = cliErrorMessage(err);
  return {
    stdout: json ? `${JSON.stringify({ error: errorCode(err), message }, null, 2)}\n` : "",
    stderr: `specsync: ${message}\n`,
    exitCode: 1,
  };
};

/** `--json` among the options (before `--`; the last of `--json` / `--no-json` wins). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const options = end === -1 ? argv : argv.slice(0, end);
  return options.lastIndexOf("--json") > options.lastIndexOf("--no-json");
}

/** A usage error of ours: `BAD_REQUEST` in `--json` output, like an option parseArgs refuses. */
export const usageError = (message: string): Error =>
  Object.assign(new Error(message), { code: "BAD_REQUEST" });
