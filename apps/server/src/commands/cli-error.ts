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

/** What the CLI prints for a command that threw (its `run`), as a result a server can send back. */
export const errorResult = (err: unknown): CliResult => ({
  stdout: "",
  stderr: `specsync: ${cliErrorMessage(err)}\n`,
  exitCode: 1,
});
