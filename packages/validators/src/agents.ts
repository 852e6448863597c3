import { z } from "zod";
import { changeNameSchema, rowIdSchema } from "./ids";
import { nameText } from "./text";

/** Who holds a claim: an agent or a person, as they name themselves. */
export const ownerSchema = nameText(z.string().trim().min(1, "owner must not be empty").max(200));

export const MIN_LEASE_SECONDS = 10;
export const MAX_LEASE_SECONDS = 24 * 60 * 60;
export const DEFAULT_LEASE_SECONDS = 15 * 60;
export const leaseSecondsSchema = z
  .number()
  .int("leaseSeconds must be a whole number of seconds")
  .min(MIN_LEASE_SECONDS, `a lease lasts at least ${MIN_LEASE_SECONDS} seconds`)
  .max(
    MAX_LEASE_SECONDS,
    // True on every surface (MCP claim_change, `specsync claim`, tRPC agents.claim): claiming
    // again as the same owner renews.
    `a lease lasts at most ${MAX_LEASE_SECONDS} seconds (24 h); to keep a change longer, ` +
      "claim it again as the same owner before the lease ends",
  );

/** A change, by row id (uuid) or by its change id (`add-auth`, active changes first). */
export const changeRefSchema = z.union([rowIdSchema, changeNameSchema], {
  error: "expected a change id (kebab-case, like add-auth) or a row id (uuid)",
});

export const claimInputSchema = z.object({
  id: rowIdSchema,
  owner: ownerSchema,
  leaseSeconds: leaseSecondsSchema.default(DEFAULT_LEASE_SECONDS),
});
export type ClaimInput = z.input<typeof claimInputSchema>;

/** @alias a heartbeat names the claim it renews, as a claim does. */
export const heartbeatInputSchema = claimInputSchema;
export type HeartbeatInput = z.input<typeof heartbeatInputSchema>;

export const releaseInputSchema = z.object({ id: rowIdSchema, owner: ownerSchema });
export type ReleaseInput = z.input<typeof releaseInputSchema>;

/** A change's claim history: the newest `limit` events (and the total, for "N more"). */
export const claimHistoryInputSchema = z.object({
  id: rowIdSchema,
  limit: z.number().int().min(1).max(500).default(50),
});

export const dependencyInputSchema = z.object({
  id: rowIdSchema,
  dependsOn: rowIdSchema,
  actor: nameText(z.string().max(200)).optional(),
});
export type DependencyInput = z.input<typeof dependencyInputSchema>;

export const nextWorkClaimInputSchema = z
  .object({
    projectId: rowIdSchema.optional(),
    owner: ownerSchema.optional(),
    /** Claim what is returned, atomically (needs `owner`). */
    claim: z.boolean().default(false),
    leaseSeconds: leaseSecondsSchema.default(DEFAULT_LEASE_SECONDS),
    /** Also say why the changes ahead of it were skipped. */
    explain: z.boolean().default(false),
  })
  .refine((v) => !v.claim || v.owner, { message: "claim: true needs an owner", path: ["owner"] });
export type NextWorkClaimInput = z.input<typeof nextWorkClaimInputSchema>;
