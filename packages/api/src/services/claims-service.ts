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
import type { SQL } from "drizzle-orm";
import { SpecsyncError } from "../utils/errors";
import { present } from "../utils/present";
import { rowsOf } from "../utils/sql-rows";
import type { SyncEventBus } from "./sync-events";

export type ClaimHistoryEvent = {
  id: number;
  owner: string;
  event: ClaimEvent;
  leaseSeconds: number | null;
  expiresAt: Date | null;
  note: string | null;
  at: Date;
};
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
type At = Date | string;
/** `claimQuery`'s answer: the claim (null fields if not taken) and the holder it found. */
export type ClaimRow = {
  owner: string | null;
  claimedAt: At | null;
  heartbeatAt: At | null;
  expiresAt: At | null;
  renewed: boolean;
  heldBy: string | null;
  heldUntil: At | null;
};

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
   * The claim step as one statement (the work queue sends it with its COMMIT): insert the claim,
   * or take over an expired one, or renew the owner's own; with its history rows. `claimResult`
   * reads its answer.
   */
  claimQuery(target: Target, owner: string, leaseSeconds: number): SQL {
    // `old` is the row as the statement found it (RETURNING only has the new one): it says whether
    // this is a renewal or a takeover (which records the expiry first). The upsert decides on the
    // current row, so a claim taken meanwhile by someone else is never overwritten.
    const row = sql`${target.id}::uuid, ${target.projectId}::uuid, ${target.name}::text`;
    return sql`
      with old as (
        select owner, expires_at, expires_at > now() as live from change_claims
        where spec_id = ${target.id}::uuid
      ), up as (
        insert into change_claims (spec_id, owner, expires_at)
        values (${target.id}::uuid, ${owner}::text, ${leaseEnd(leaseSeconds)})
        on conflict (spec_id) do update set owner = excluded.owner, heartbeat_at = now(),
          expires_at = excluded.expires_at,
          claimed_at = case when change_claims.expires_at > now()
            then change_claims.claimed_at else now() end
        where change_claims.expires_at <= now() or change_claims.owner = excluded.owner
        returning owner, claimed_at, heartbeat_at, expires_at
      ), hist as (
        insert into claim_history
          (spec_id, project_id, name, owner, event, lease_seconds, expires_at)
        select ${row}, o.owner, 'expired', null::integer, o.expires_at
        from old o, up where not o.live
        union all
        select ${row}, up.owner,
          case when o.live and o.owner = up.owner then 'renewed' else 'claimed' end,
          ${leaseSeconds}::integer, up.expires_at
        from up left join old o on true
      )
      select up.owner, up.claimed_at as "claimedAt", up.heartbeat_at as "heartbeatAt",
        up.expires_at as "expiresAt", coalesce(o.live and o.owner = up.owner, false) as renewed,
        o.owner as "heldBy", o.expires_at as "heldUntil"
      from (select) one left join up on true left join old o on true`;
  }

  /** The claim `claimQuery` took; CONFLICT when someone else holds a live lease. */
  claimResult(target: Target, rows: readonly ClaimRow[]): ClaimResult {
    const [r] = rows;
    if (!r?.owner || !r.claimedAt || !r.heartbeatAt || !r.expiresAt) {
      const until = r?.heldUntil ? ` until ${new Date(r.heldUntil).toISOString()}` : "";
      throw new SpecsyncError(
        "CONFLICT",
        `${target.name} is claimed by ${r?.heldBy ?? "someone else"}${until}`,
        r?.heldBy && r.heldUntil
          ? { owner: r.heldBy, expiresAt: new Date(r.heldUntil).toISOString() }
          : undefined,
      );
    }
    const claim = {
      owner: r.owner,
      claimedAt: new Date(r.claimedAt),
      heartbeatAt: new Date(r.heartbeatAt),
      expiresAt: new Date(r.expiresAt),
    };
    const { id, name, projectId } = target;
    return { id, name, projectId, claim, renewed: r.renewed };
  }

  private async claimIn(
    tx: Tx,
    target: Target,
    owner: string,
    leaseSeconds: number,
  ): Promise<ClaimResult> {
    const rows = rowsOf<ClaimRow>(await tx.execute(this.claimQuery(target, owner, leaseSeconds)));
    const [r] = rows;
    if (r?.owner) return this.claimResult(target, rows);
    // The statement's snapshot may predate the claim that beat it (an expired owner then): the
    // refusal names whoever holds it now, read by a statement of its own.
    const [holder] = await tx
      .select({ owner: changeClaims.owner, expiresAt: changeClaims.expiresAt })
      .from(changeClaims)
      .where(and(eq(changeClaims.specId, target.id), sql`${changeClaims.expiresAt} > now()`));
    return this.claimResult(
      target,
      holder && r ? [{ ...r, heldBy: holder.owner, heldUntil: holder.expiresAt }] : rows,
    );
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

  /**
   * Before an archive: a change someone else holds a live lease on is refused unless forced, naming
   * the owner and the lease's end (archiving it would end their claim). `who` archiving their own
   * claim needs no force. A force that names the owner it confirmed (`expectedOwner`) is refused
   * too when someone else holds the claim now: checked here, as the archive starts, not by the
   * client beforehand (the claim may change hands between its check and its request).
   */
  async checkArchivable(
    target: Target,
    who: string | undefined,
    force: boolean,
    expectedOwner?: string,
  ): Promise<void> {
    const claim = await this.get(target.id);
    if (!claim || claim.owner === who) return;
    if (force && (expectedOwner === undefined || claim.owner === expectedOwner)) return;
    const until = claim.expiresAt.toISOString();
    const details = { owner: claim.owner, expiresAt: until };
    if (force)
      throw new SpecsyncError(
        "CONFLICT",
        `${target.name} is now claimed by ${claim.owner} until ${until}, not by ${expectedOwner} ` +
          `whose claim the force confirmed; nothing was archived. Force it again to end ` +
          `${claim.owner}'s claim`,
        { ...details, expectedOwner },
      );
    throw new SpecsyncError(
      "CONFLICT",
      `${target.name} is claimed by ${claim.owner} until ${until}; archiving it would end that ` +
        `claim. Archive it as ${claim.owner} (--owner / owner), once it is released or expired, ` +
        "or force it (--force / force: true)",
      details,
    );
  }

  /**
   * After an archive: the claim ends with the change (nothing is left to work on), whoever held
   * it, recorded in its claim history as `archived` with who archived it (an expired lease as
   * `expired`). Returns the claim that was live, if any.
   */
  async endForArchive(
    target: Target,
    by: string,
    force: boolean,
    expectedOwner?: string,
  ): Promise<Claim | null> {
    const ended = await this.database.db.transaction(async (tx) => {
      const [current] = await tx
        .select({ ...claimColumns, live: sql<boolean>`${changeClaims.expiresAt} > now()` })
        .from(changeClaims)
        .where(eq(changeClaims.specId, target.id))
        .for("update");
      if (!current) return null;
      await tx.delete(changeClaims).where(eq(changeClaims.specId, target.id));
      const forced = forcedNote(current, by, force, expectedOwner);
      await this.record(
        tx,
        target,
        current.owner,
        current.live ? "archived" : "expired",
        null,
        current.expiresAt,
        `archived by ${by}${forced}`,
      );
      return current;
    });
    if (!ended) return null;
    this.announce(target);
    const { live, ...claim } = ended;
    return live ? claim : null;
  }

  /** The live claim on a change, if any. */
  async get(id: string): Promise<Claim | null> {
    const [row] = await this.database.db
      .select(claimColumns)
      .from(changeClaims)
      .where(and(eq(changeClaims.specId, id), sql`${changeClaims.expiresAt} > now()`));
    return row ?? null;
  }

  /**
   * Claims, renewals, releases, expiries and archives of a change, newest first: the last `limit`
   * events and how many there are in all (the UI says "N more").
   */
  async history(id: string, limit = 50): Promise<{ events: ClaimHistoryEvent[]; total: number }> {
    // One statement: the count (a window over every row, taken before the limit) and the rows
    // agree.
    const rows = await this.database.db
      .select({
        id: claimHistory.id,
        owner: claimHistory.owner,
        event: claimHistory.event,
        leaseSeconds: claimHistory.leaseSeconds,
        expiresAt: claimHistory.expiresAt,
        note: claimHistory.note,
        at: claimHistory.createdAt,
        total: sql<number>`(count(*) over ())::int`,
      })
      .from(claimHistory)
      .where(eq(claimHistory.specId, id))
      .orderBy(desc(claimHistory.id))
      .limit(limit);
    return {
      events: rows.map(({ total: _, ...e }) => e),
      total: Number(rows[0]?.total ?? 0),
    };
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
    note: string | null = null,
  ) {
    await tx.insert(claimHistory).values({
      specId: target.id,
      projectId: target.projectId,
      name: target.name,
      owner,
      event,
      leaseSeconds,
      expiresAt,
      note,
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

/**
 * How an archive ended someone else's live claim: " (forced)" when it was the one confirmed, or
 * one taken while the archive ran (after the check, before the claim ended with the change).
 */
export function forcedNote(
  claim: { owner: string; live: boolean },
  by: string,
  force: boolean,
  expectedOwner: string | undefined,
): string {
  if (!claim.live || claim.owner === by) return "";
  if (expectedOwner !== undefined && claim.owner !== expectedOwner)
    return " (claimed while the archive ran)";
  return force ? " (forced)" : "";
}
