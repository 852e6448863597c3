import type { ValidationResult } from "@specsync/validators";
import type { Claim } from "../services/claims-service";

/** Compact, stable shapes for agents: short keys, ISO times, no empty noise. */
export function claimView(claim: Claim | null | undefined) {
  if (!claim) return null;
  return {
    owner: claim.owner,
    since: new Date(claim.claimedAt).toISOString(),
    expires: new Date(claim.expiresAt).toISOString(),
  };
}

export function tasksLabel(done: number, total: number): string {
  return total ? `${done}/${total}` : "none";
}

/** What `openspec validate --strict` found, as validate_change and update_file answer it. */
export function validationView(r: ValidationResult) {
  return {
    valid: r.valid,
    errors: r.errors,
    warnings: r.warnings,
    findings: r.findings.map((f) => ({
      level: f.level,
      ...(f.file ? { file: f.file } : {}),
      ...(f.line ? { line: f.line } : {}),
      message: f.message,
    })),
    ...(r.notShown ? { notShown: `${r.notShown} more findings not shown` } : {}),
  };
}
