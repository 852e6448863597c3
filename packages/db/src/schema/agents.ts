import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { openspecSpecs } from "./openspec-specs";
import { projects } from "./projects";

/**
 * Who is working on a change: at most one live claim per change (the primary key), with a lease.
 * Lifecycle only, never written to files. A row whose lease has expired is free for anyone to take;
 * a release deletes the row. Kept apart from `openspec_specs` so that heartbeats stay tiny updates.
 */
export const changeClaims = pgTable("change_claims", {
  specId: uuid("spec_id")
    .primaryKey()
    .references(() => openspecSpecs.id, { onDelete: "cascade" }),
  owner: text("owner").notNull(),
  claimedAt: timestamp("claimed_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true, mode: "date" })
    .notNull()
    .defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
});

/** `archived`: the change was archived while claimed, which ends the claim (`note`: by whom). */
export const CLAIM_EVENTS = ["claimed", "renewed", "released", "expired", "archived"] as const;
export type ClaimEvent = (typeof CLAIM_EVENTS)[number];

/** Every claim, renewal, release, expiry and archive: who held what, when. */
export const claimHistory = pgTable(
  "claim_history",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    specId: uuid("spec_id").references(() => openspecSpecs.id, { onDelete: "set null" }),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    owner: text("owner").notNull(),
    event: text("event").$type<ClaimEvent>().notNull(),
    leaseSeconds: integer("lease_seconds"),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    /** Why a claim ended when its owner did not end it (e.g. "archived by alice (forced)"). */
    note: text("note"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [index("claim_history_spec_idx").on(t.specId, t.id)],
);

/** `spec_id` depends on `depends_on_id`: it stays blocked until that change is archived. */
export const changeDependencies = pgTable(
  "change_dependencies",
  {
    specId: uuid("spec_id")
      .notNull()
      .references(() => openspecSpecs.id, { onDelete: "cascade" }),
    dependsOnId: uuid("depends_on_id")
      .notNull()
      .references(() => openspecSpecs.id, { onDelete: "cascade" }),
    createdBy: text("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.specId, t.dependsOnId] }),
    index("change_dependencies_depends_on_idx").on(t.dependsOnId),
    check("change_dependencies_not_self", sql`${t.specId} <> ${t.dependsOnId}`),
  ],
);

export type ClaimRow = typeof changeClaims.$inferSelect;
export type ClaimHistoryRow = typeof claimHistory.$inferSelect;
