import {
  and,
  type ClaimEvent,
  changeClaims,
  claimHistory,
  type Database,
  desc,
  eq,
  openspecSpecs,
  sql,
} from "@specsync/db";
import {
  type ClaimInput,
  claimInputSchema,
  type HeartbeatInput,
  heartbeatInputSchema,
  type ReleaseInput,
  releaseInputSchema,
} from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";
import { present } from "../utils/present";
import { rowsOf } from "../utils/sql-rows";
import type { SyncEventBus } from "./sync-events";

export type Claim = { owner: string; claimedAt: Date; heartbeatAt: Date; expiresAt: Date };
export type ClaimResult = {
  id: string;
  name: string;
  projectId: string;
  claim: Claim;
  renewed: boolean;
};

type Tx = Parameters<Parameters<Database["db"]["transaction"]>[0]>[0];
type Target = { id: string; name: string; projectId: string };

const leaseEnd = (seconds: number) => sql`now() + make_interval(secs => ${seconds})`;
const claimColumns = {
  owner: changeClaims.owner,
  claimedAt: changeClaims.claimedAt,
  heartbeatAt: changeClaims.heartbeatAt,
  expiresAt: changeClaims.expiresAt,
};

/**
 * Who works on which change. Every decision is taken inside one transaction on the claim row
 * (insert-if-absent, else the row locked FOR UPDATE), and the database's clock decides expiry,
 * so several servers on one PostgreSQL never hand the same change to two owners.
 */
export class ClaimsService {
  constructor(
    private readonly database: Database,
    private readonly events: SyncEventBus,
  ) {}

  /** Claim a change (or renew your own claim). CONFLICT when someone else holds a live lease. */
  async claim(input: ClaimInput): Promise<ClaimResult> {
    const q = claimInputSchema.parse(input);
    const result = await this.database.db.transaction(async (tx) => {
      const target = await this.target(tx, q.id);
      return this.claimIn(tx, target, q.owner, q.leaseSeconds);
    });
    this.announce(result);
    return result;
  }

  /**
   * The claim step, inside the caller's transaction: returns null instead of throwing when another
   * owner holds a live lease (the work queue then moves on to the next change).
   */
  async tryClaimIn(
    tx: Tx,
    target: Target,
    owner: string,
    leaseSeconds: number,
  ): Promise<ClaimResult | null> {
    try {
      return await this.claimIn(tx, target, owner, leaseSeconds);
    } catch (err) {
      if (err instanceof SpecsyncError && err.code === "CONFLICT") return null;
      throw err;
    }
  }

  private async claimIn(
    tx: Tx,
    target: Target,
    owner: string,
    leaseSeconds: number,
    attempt = 0,
  ): Promise<ClaimResult> {
    // The common case in one statement: insert the claim if the change has none, and its history
    // row with it.
    const [inserted] = rowsOf<{
      owner: string;
      claimedAt: Date | string;
      heartbeatAt: Date | string;
      expiresAt: Date | string;
    }>(
      await tx.execute(sql`
        with ins as (
          insert into change_claims (spec_id, owner, expires_at) values (${target.id}, ${owner}, ${leaseEnd(leaseSeconds)})
          on conflict do nothing
          returning owner, claimed_at, heartbeat_at, expires_at
        ), hist as (
          insert into claim_history (spec_id, project_id, name, owner, event, lease_seconds, expires_at)
          select ${target.id}, ${target.projectId}, ${target.name}, owner, 'claimed', ${leaseSeconds}, expires_at from ins
        )
        select owner, claimed_at as "claimedAt", heartbeat_at as "heartbeatAt", expires_at as "expiresAt" from ins`),
    );
    if (inserted) {
      const claim = {
        owner: inserted.owner,
        claimedAt: new Date(inserted.claimedAt),
        heartbeatAt: new Date(inserted.heartbeatAt),
        expiresAt: new Date(inserted.expiresAt),
      };
      return {
        id: target.id,
        name: target.name,
        projectId: target.projectId,
        claim,
        renewed: false,
      };
    }
    // Someone holds (or held) it: decide on the locked row.
    const [current] = await tx
      .select({ ...claimColumns, live: sql<boolean>`${changeClaims.expiresAt} > now()` })
      .from(changeClaims)
      .where(eq(changeClaims.specId, target.id))
      .for("update");
    // Released between the insert and the lock: the row is free again, so try the insert once more.
    if (!current) {
      if (attempt < 3) return this.claimIn(tx, target, owner, leaseSeconds, attempt + 1);
      throw new SpecsyncError(
        "CONFLICT",
        `${target.name} changed hands several times while you claimed it; try again`,
      );
    }
    if (current.live && current.owner !== owner) {
      throw new SpecsyncError(
        "CONFLICT",
        `${target.name} is claimed by ${current.owner} until ${current.expiresAt.toISOString()}`,
        { owner: current.owner, expiresAt: current.expiresAt.toISOString() },
      );
    }
    return this.takeOver(tx, target, owner, leaseSeconds, current);
  }

  /** The locked claim row is ours (renew) or expired (take it over, recording the expiry). */
  private async takeOver(
    tx: Tx,
    target: Target,
    owner: string,
    leaseSeconds: number,
    current: { owner: string; expiresAt: Date; live: boolean },
  ): Promise<ClaimResult> {
    const renewing = current.live && current.owner === owner;
    if (!current.live)
      await this.record(tx, target, current.owner, "expired", null, current.expiresAt);
    const [updated] = await tx
      .update(changeClaims)
      .set({
        owner,
        heartbeatAt: sql`now()`,
        expiresAt: leaseEnd(leaseSeconds),
        ...(renewing ? {} : { claimedAt: sql`now()` }),
      })
      .where(eq(changeClaims.specId, target.id))
      .returning(claimColumns);
    const claim = present(updated, "the updated claim");
    await this.record(
      tx,
      target,
      owner,
      renewing ? "renewed" : "claimed",
      leaseSeconds,
      claim.expiresAt,
    );
    return {
      id: target.id,
      name: target.name,
      projectId: target.projectId,
      claim,
      renewed: renewing,
    };
  }

  /**
   * Extend your own live lease. An expired lease is an error: claim again (someone may have
   * taken it).
   */
  async heartbeat(input: HeartbeatInput): Promise<ClaimResult> {
    const q = heartbeatInputSchema.parse(input);
    const result = await this.database.db.transaction(async (tx) => {
      const target = await this.target(tx, q.id, { allowArchived: true });
      await this.ownLiveClaim(tx, target, q.owner, "renew");
      const [updated] = await tx
        .update(changeClaims)
        .set({ heartbeatAt: sql`now()`, expiresAt: leaseEnd(q.leaseSeconds) })
        .where(eq(changeClaims.specId, target.id))
        .returning(claimColumns);
      const claim = present(updated, "the renewed claim");
      await this.record(tx, target, q.owner, "renewed", q.leaseSeconds, claim.expiresAt);
      return {
        id: target.id,
        name: target.name,
        projectId: target.projectId,
        claim,
        renewed: true,
      };
    });
    return result;
  }

  /** Give a change back. Only its owner can, and only while the lease is live. */
  async release(
    input: ReleaseInput,
  ): Promise<{ id: string; name: string; projectId: string; released: true }> {
    const q = releaseInputSchema.parse(input);
    const result = await this.database.db.transaction(async (tx) => {
      const target = await this.target(tx, q.id, { allowArchived: true });
      await this.ownLiveClaim(tx, target, q.owner, "release");
      await tx.delete(changeClaims).where(eq(changeClaims.specId, target.id));
      await this.record(tx, target, q.owner, "released", null, null);
      return {
        id: target.id,
        name: target.name,
        projectId: target.projectId,
        released: true as const,
      };
    });
    this.announce(result);
    return result;
  }

  /** The live claim on a change, if any. */
  async get(id: string): Promise<Claim | null> {
    const [row] = await this.database.db
      .select(claimColumns)
      .from(changeClaims)
      .where(and(eq(changeClaims.specId, id), sql`${changeClaims.expiresAt} > now()`));
    return row ?? null;
  }

  /** Claims, renewals, releases and expiries of a change, newest first. */
  async history(id: string, limit = 50) {
    return this.database.db
      .select({
        id: claimHistory.id,
        owner: claimHistory.owner,
        event: claimHistory.event,
        leaseSeconds: claimHistory.leaseSeconds,
        expiresAt: claimHistory.expiresAt,
        at: claimHistory.createdAt,
      })
      .from(claimHistory)
      .where(eq(claimHistory.specId, id))
      .orderBy(desc(claimHistory.id))
      .limit(limit);
  }

  private async ownLiveClaim(tx: Tx, target: Target, owner: string, verb: string): Promise<void> {
    const [current] = await tx
      .select({ ...claimColumns, live: sql<boolean>`${changeClaims.expiresAt} > now()` })
      .from(changeClaims)
      .where(eq(changeClaims.specId, target.id))
      .for("update");
    if (!current)
      throw new SpecsyncError(
        "CONFLICT",
        `${target.name} is not claimed; nothing to ${verb} (claim it first)`,
      );
    if (current.owner !== owner && current.live) {
      throw new SpecsyncError(
        "FORBIDDEN",
        `${target.name} is claimed by ${current.owner}, not by ${owner}; only the owner can ${verb} it`,
        { owner: current.owner },
      );
    }
    if (!current.live) {
      throw new SpecsyncError(
        "CONFLICT",
        `the lease of ${current.owner} on ${target.name} expired at ${current.expiresAt.toISOString()}; claim it again`,
        { owner: current.owner, expiresAt: current.expiresAt.toISOString() },
      );
    }
  }

  private async target(
    tx: Tx,
    id: string,
    opts: { allowArchived?: boolean } = {},
  ): Promise<Target> {
    const [row] = await tx
      .select({
        id: openspecSpecs.id,
        name: openspecSpecs.name,
        projectId: openspecSpecs.projectId,
        kind: openspecSpecs.kind,
        archived: openspecSpecs.archived,
        deletedAt: openspecSpecs.deletedAt,
      })
      .from(openspecSpecs)
      .where(eq(openspecSpecs.id, id));
    if (!row || row.deletedAt) throw new SpecsyncError("NOT_FOUND", `change ${id} not found`);
    if (row.kind !== "change")
      throw new SpecsyncError("BAD_REQUEST", `${row.name} is a spec; only changes can be claimed`);
    if (row.archived && !opts.allowArchived)
      throw new SpecsyncError(
        "BAD_REQUEST",
        `${row.name} is archived; there is nothing left to work on`,
      );
    return row;
  }

  private async record(
    tx: Tx,
    target: Target,
    owner: string,
    event: ClaimEvent,
    leaseSeconds: number | null,
    expiresAt: Date | null,
  ) {
    await tx.insert(claimHistory).values({
      specId: target.id,
      projectId: target.projectId,
      name: target.name,
      owner,
      event,
      leaseSeconds,
      expiresAt,
    });
  }

  /** Claims are lifecycle: the UI and other servers hear about them like any other row change. */
  announce(changed: { id: string; name: string; projectId: string }) {
    this.events.publish({
      type: "spec_changed",
      projectId: changed.projectId,
      specId: changed.id,
      name: changed.name,
    });
  }
}
