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
