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
  // Each file read once, not once per finding (hundreds of findings can name one big file).
  const indexes = new Map<string, FileIndex>();
  const indexOf = (file: string) => {
    const got = indexes.get(file) ?? indexFile(files[file] ?? "");
    indexes.set(file, got);
    return got;
  };
  return issues.map((issue) => {
    const level = (
      LEVELS.has(String(issue.level)) ? issue.level : "ERROR"
    ) as ValidationFinding["level"];
    const message = String(issue.message ?? "");
    const p = issue.path ?? "";
    const file = p in files ? p : `specs/${p}` in files ? `specs/${p}` : null;
    let line = typeof issue.line === "number" && issue.line > 0 ? issue.line : null;
    if (file && line === null) line = requirementLine(indexOf(file), message);
    return { level, file, line, message };
  });
}

type FileIndex = { lines: string[]; headers: Map<string, number> };

/** A file's lines, and the first line of each `### Requirement: <name>` (lowercase name). */
function indexFile(content: string): FileIndex {
  const lines = content.split(/\r?\n/);
  const headers = new Map<string, number>();
  lines.forEach((l, i) => {
    // `^###\s+Requirement:\s*(.+?)\s*$` without its lazy group, quadratic in a blank run inside
    // the name: the rest of the line, trimmed (JS trims what `\s` matches).
    const head = /^#{3}\s+Requirement:\s*/.exec(l);
    const name = head ? l.slice(head[0].length).trimEnd().toLowerCase() : "";
    if (name && !headers.has(name)) headers.set(name, i + 1);
  });
  return { lines, headers };
}

/** The line of `### Requirement: <name>` for the first quoted name in the message, or null. */
function requirementLine({ lines, headers }: FileIndex, message: string): number | null {
  const quoted = /"([^"]+)"/.exec(message)?.[1];
  if (!quoted) return null;
  const want = quoted.trim().toLowerCase();
  const header = headers.get(want);
  if (header !== undefined) return header;
  // RENAMED/REMOVED entries name requirements in list lines (`- FROM: ### Requirement: Foo`).
  const at = lines.findIndex((l) => l.toLowerCase().includes(want));
  return at >= 0 ? at + 1 : null;
}
