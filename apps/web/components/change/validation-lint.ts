import { type Diagnostic, linter, lintGutter } from "@codemirror/lint";
import type { Extension } from "@codemirror/state";
import type { ValidationFinding } from "@specsync/validators";

/**
 * The validation findings of one file as CodeMirror diagnostics, at their lines (a static
 * linter: the last run's findings).
 */
export function validationLint(findings: readonly ValidationFinding[]): Extension[] {
  if (!findings.length) return [];
  return [
    lintGutter(),
    linter(
      (view) =>
        findings.map((f): Diagnostic => {
          const line = view.state.doc.line(
            Math.min(Math.max(f.line ?? 1, 1), view.state.doc.lines),
          );
          return {
            from: line.from,
            to: line.to,
            severity: f.level === "ERROR" ? "error" : f.level === "WARNING" ? "warning" : "info",
            message: f.message,
            source: "openspec validate",
          };
        }),
      { delay: 0 },
    ),
  ];
}
