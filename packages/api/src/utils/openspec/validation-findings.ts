import type { ValidationFinding } from "@specsync/validators";

/** One issue as `openspec validate --json` prints it. */
export type CliValidationIssue = { level?: string; path?: string; line?: number; message?: string };

const LEVELS = new Set(["ERROR", "WARNING", "INFO"]);

/**
 * Place the CLI's issues in the change's files: its `path` is relative to the change (`tasks.md`,
 * `.openspec.yaml`) or to its `specs/` folder (`cli/spec.md`); "file" means the change as a whole.
 * The line is the CLI's when it gives one, else the header of the requirement the message names
 * (`ADDED "Foo" …`).
 */
export function toFindings(
  issues: readonly CliValidationIssue[],
  files: Readonly<Record<string, string>>,
): ValidationFinding[] {
  return issues.map((issue) => {
    const level = (
      LEVELS.has(String(issue.level)) ? issue.level : "ERROR"
    ) as ValidationFinding["level"];
    const message = String(issue.message ?? "");
    const p = issue.path ?? "";
    const file = p in files ? p : `specs/${p}` in files ? `specs/${p}` : null;
    let line = typeof issue.line === "number" && issue.line > 0 ? issue.line : null;
    if (file && line === null) line = requirementLine(files[file] ?? "", message);
    return { level, file, line, message };
  });
}

/** The line of `### Requirement: <name>` for the first quoted name in the message, or null. */
function requirementLine(content: string, message: string): number | null {
  const quoted = /"([^"]+)"/.exec(message)?.[1];
  if (!quoted) return null;
  const want = quoted.trim().toLowerCase();
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^#{3}\s+Requirement:\s*(.+?)\s*$/.exec(lines[i] ?? "");
    if (m?.[1]?.toLowerCase() === want) return i + 1;
  }
  // RENAMED/REMOVED entries name requirements in list lines (`- FROM: ### Requirement: Foo`).
  const at = lines.findIndex((l) => l.toLowerCase().includes(want));
  return at >= 0 ? at + 1 : null;
}
