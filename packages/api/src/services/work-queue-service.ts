import { type Database, sql } from "@specsync/db";
import {
  type LifecycleStatus,
  type NextWorkClaimInput,
  nextWorkClaimInputSchema,
  type Priority,
} from "@specsync/validators";
import type { SQL } from "drizzle-orm";
import { sharedRequirements, type TouchedRequirements } from "../utils/openspec/overlap";
import { present } from "../utils/present";
import { rowsOf } from "../utils/sql-rows";
import type { Claim, ClaimsService } from "./claims-service";
import { deltaStampSql, type OverlapsService } from "./overlaps";
import type { SyncEventBus } from "./sync-events";

export type WorkItem = {
  id: string;
  name: string;
  projectId: string;
  title: string;
  status: LifecycleStatus;
  priority: Priority;
  tasksCompleted: number;
  tasksTotal: number;
  createdAt: Date;
};
export type NextWork = {
  change: WorkItem | null;
  /** The claim taken (claim: true), or the caller's own live claim on it. */
  claim: Claim | null;
  reason: string;
  /** With explain: the changes ahead of it in the queue and why each was passed over. */
  skipped?: { name: string; reason: string }[];
};

type Candidate = WorkItem & {
  deltaStamp: string | null;
  /** Only for rows this instance has not seen in a recent page (see `seen`). */
  deltaSpecs: Record<string, string> | null;
  claimOwner: string | null;
  claimClaimedAt: Date | string | null;
  claimHeartbeatAt: Date | string | null;
  claimExpiresAt: Date | string | null;
  claimLive: boolean | null;
  blockedBy: string[] | null;
};
type Tx = Parameters<Parameters<Database["db"]["transaction"]>[0]>[0];
type Busy = {
  id: string;
  name: string;
  status: LifecycleStatus;
  owner: string | null;
  deltaStamp: string | null;
};

const PAGE = 20;
/** How many recently paged ids to remember (their delta specs are not shipped again). */
const SEEN = 100;
const MAX_SKIPPED = 20;
const ELIGIBLE = sql`s.kind = 'change' and not s.archived and s.deleted_at is null and s.status in ('approved', 'assigned') and (s.tasks_total = 0 or s.tasks_completed < s.tasks_total)`;
/** A dependency blocks while it is neither archived nor deleted. */
/** Delta-spec stamps, not the whole file-hash maps: less to ship and no per-row sort in Node. */
const STAMP = deltaStampSql("s");
const NEXT_WORK_LOCK = sql`select pg_advisory_xact_lock(hashtextextended('specsync:next_work', 0))`;
/**
 * A claim is a lease: its commit need not wait for the WAL flush (≈ 3–5 ms here). A PostgreSQL crash
 * within ~0.6 s of the claim can lose it (never half of it); the holder then learns at its next
 * heartbeat, exactly as for a lapsed lease. Other sessions see it at once: no effect on exclusivity.
 */
const ASYNC_COMMIT = sql`set local synchronous_commit = off`;
const BLOCKERS = sql`select d2.name from change_dependencies d join openspec_specs d2 on d2.id = d.depends_on_id where d.spec_id = s.id and not d2.archived and d2.deleted_at is null`;

/**
 * The work queue: approved/assigned changes with tasks left, highest priority first, then oldest; never
 * archived, claimed by someone else, blocked by an unarchived dependency, or overlapping (same requirement
 * of the same capability) a change that is claimed or in progress. With `claim`, picking and claiming run
 * in one transaction under one advisory lock, so concurrent callers on any number of servers each get a
 * different change and never two overlapping ones.
 */
export class WorkQueueService {
  /**
   * Ids this instance has recently had in a page (so the overlaps cache holds their parsed deltas):
   * the page query ships `delta_specs` only for the others, which spares a round trip per call (each
   * claim moves the queue by one). A stale guess costs nothing: a changed stamp falls back to a fetch
   * in `touched`.
   */
  private readonly seen = new Set<string>();

  constructor(
    private readonly database: Database,
    private readonly claims: ClaimsService,
    private readonly overlaps: OverlapsService,
    private readonly events: SyncEventBus,
  ) {}

  async next(input: NextWorkClaimInput = {}): Promise<NextWork> {
    const q = nextWorkClaimInputSchema.parse(input);
    if (!q.claim) return this.pick(this.database.db, q);
    const result = await this.database.db.transaction((tx) => this.pick(tx, q, true));
    if (result.change && result.claim) this.claims.announce(result.change);
    return result;
  }

  private async pick(
    db: Database["db"] | Tx,
    q: ReturnType<typeof nextWorkClaimInputSchema.parse>,
    lock = false,
  ): Promise<NextWork> {
    const owner = q.owner ?? null;
    const project = q.projectId ? sql`and s.project_id = ${q.projectId}::uuid` : sql``;
    const skipped: { name: string; reason: string }[] = [];
    const skip = (name: string, reason: string) =>
      q.explain && skipped.length < MAX_SKIPPED && skipped.push({ name, reason });
    const answer = (r: Omit<NextWork, "skipped">): NextWork => ({
      ...r,
      ...(q.explain ? { skipped } : {}),
    });

    const known = `{${[...this.seen].join(",")}}`;
    const pageAt = (offset: number) => pageQuery(db, owner, project, q.explain, known, offset);
    // The lock, the owner's own claim, the busy set and the first page go out together: postgres.js
    // pipelines them on the transaction's connection (one round trip) and PostgreSQL runs them in
    // order, so the reads still happen only once the lock is held.
    const [, , heldResult, busyResult, firstPage] = await Promise.all([
      lock ? db.execute(ASYNC_COMMIT) : null,
      lock ? db.execute(NEXT_WORK_LOCK) : null,
      owner ? heldQuery(db, owner, project) : Promise.resolve([]),
      busyQuery(db, owner, project),
      pageAt(0),
    ]);

    // A change the owner already holds comes first: asking again resumes (and, with claim, renews) it.
    const [held] = rowsOf<Candidate>(heldResult);
    const resumed = held && owner ? await this.resume(db, q, held, owner) : null;
    if (resumed) return answer(resumed);
    const { busyTouched, byCapability } = await this.busyIndex(rowsOf<Busy>(busyResult), db);
    // Walk the work-queue index in order, a page at a time (the inner LIMIT keeps it an ordered index scan that
    // stops early); claims and unarchived dependencies are looked up for that page's rows only.
    for (let offset = 0; ; offset += PAGE) {
      const page = rowsOf<Candidate>(offset === 0 ? firstPage : await pageAt(offset));
      const touched = await this.overlaps.touched(page, db);
      this.see(page);
      for (const c of page) {
        const passedOver =
          unavailable(c, owner) ??
          this.clash(c, touched.get(c.id) ?? new Map(), busyTouched, byCapability);
        if (passedOver) {
          skip(c.name, passedOver);
          continue;
        }
        const change = toItem(c);
        if (!q.claim) return answer({ change, claim: null, reason: why(change) });
        const claimed = await this.claims.tryClaimIn(
          db as Tx,
          change,
          present(owner, "the owner (required to claim)"),
          q.leaseSeconds,
        );
        if (claimed)
          return answer({
            change,
            claim: claimed.claim,
            reason: `claimed for ${owner}: ${why(change)}`,
          });
        skip(c.name, "claimed by someone else a moment ago");
      }
      if (page.length < PAGE) break;
    }
    return answer({
      change: null,
      claim: null,
      reason:
        "nothing to start: no approved or assigned change with open tasks is free, unblocked and clear of overlaps",
    });
  }

  /** The change the owner already holds: renewed with claim, else answered as held. */
  private async resume(
    db: Database["db"] | Tx,
    q: ReturnType<typeof nextWorkClaimInputSchema.parse>,
    held: Candidate,
    owner: string,
  ): Promise<Omit<NextWork, "skipped"> | null> {
    const change = toItem(held);
    if (!q.claim) {
      return { change, claim: claimOf(held), reason: `you already hold it: ${why(change)}` };
    }
    const renewed = await this.claims.tryClaimIn(db as Tx, change, owner, q.leaseSeconds);
    return renewed
      ? { change, claim: renewed.claim, reason: `your claim, renewed: ${why(change)}` }
      : null;
  }

  /** What the busy changes touch, and the busy changes per capability (the overlap check's index). */
  private async busyIndex(busyRows: Busy[], db: Database["db"] | Tx) {
    const busy = [...new Map(busyRows.map((b) => [b.id, b])).values()];
    const busyTouched: Map<string, TouchedRequirements> = busy.length
      ? await this.overlaps.touched(busy, db)
      : new Map();
    const byCapability = new Map<string, Busy[]>();
    for (const b of busy)
      for (const cap of busyTouched.get(b.id)?.keys() ?? [])
        byCapability.set(cap, [...(byCapability.get(cap) ?? []), b]);
    return { busyTouched, byCapability };
  }

  private see(page: readonly Candidate[]) {
    if (this.seen.size + page.length > SEEN) this.seen.clear();
    for (const c of page) this.seen.add(c.id);
  }

  private clash(
    c: Candidate,
    mine: TouchedRequirements,
    busyTouched: Map<string, TouchedRequirements>,
    byCapability: Map<string, Busy[]>,
  ): string | null {
    // Only busy changes touching one of this change's capabilities can share a requirement with it.
    const seen = new Set<string>();
    for (const cap of mine.keys()) {
      for (const b of byCapability.get(cap) ?? []) {
        if (b.id === c.id || seen.has(b.id)) continue;
        seen.add(b.id);
        const shared = sharedRequirements(mine, busyTouched.get(b.id) ?? new Map());
        if (shared.length) {
          const who = b.owner ? `claimed by ${b.owner}` : "in progress";
          return `overlaps ${b.name} (${who}) on ${shared
            .slice(0, 3)
            .map((s) => `${s.capability}: ${s.requirement}`)
            .join("; ")}${shared.length > 3 ? ` and ${shared.length - 3} more` : ""}`;
        }
      }
    }
    return null;
  }
}

function toItem(c: Candidate): WorkItem {
  return {
    id: c.id,
    name: c.name,
    projectId: c.projectId,
    title: c.title,
    status: c.status,
    priority: c.priority,
    tasksCompleted: c.tasksCompleted,
    tasksTotal: c.tasksTotal,
    createdAt: new Date(c.createdAt),
  };
}

/** Why a candidate cannot be handed out: claimed by someone else, or blocked; else null. */
function unavailable(c: Candidate, owner: string | null): string | null {
  if (c.claimLive && c.claimOwner !== owner) {
    const until = new Date(present(c.claimExpiresAt, "a live claim's expiry")).toISOString();
    return `claimed by ${c.claimOwner} until ${until}`;
  }
  if (c.blockedBy?.length) return `blocked by ${c.blockedBy.join(", ")} (not archived)`;
  return null;
}

/** A candidate's columns: the change, its delta-spec stamp and its claim (if any). */
const CANDIDATE_COLUMNS = sql`s.id, s.name, s.project_id as "projectId", s.title, s.status,
  s.priority, s.tasks_completed as "tasksCompleted", s.tasks_total as "tasksTotal",
  s.created_at as "createdAt", ${STAMP} as "deltaStamp", c.owner as "claimOwner",
  c.claimed_at as "claimClaimedAt", c.heartbeat_at as "claimHeartbeatAt",
  c.expires_at as "claimExpiresAt", c.expires_at > now() as "claimLive"`;

/**
 * One page of the work-queue index, in order (the inner LIMIT keeps it an ordered index scan that
 * stops early). Without explain, changes claimed by others and blocked ones are skipped inside the
 * walk. Delta specs are sent only for rows this instance has not paged recently (`known`).
 */
function pageQuery(
  db: Database["db"] | Tx,
  owner: string | null,
  project: SQL,
  explain: boolean,
  known: string,
  offset: number,
) {
  const free = explain
    ? sql``
    : sql`and not exists (select 1 from change_claims c2 where c2.spec_id = s.id
        and c2.expires_at > now() and c2.owner is distinct from ${owner})
      and not exists (${BLOCKERS})`;
  return db.execute(sql`
    select ${CANDIDATE_COLUMNS},
      (select jsonb_agg(b.name order by b.name) from (${BLOCKERS}) b) as "blockedBy",
      case when s.id = any(${known}::uuid[]) then null else s.delta_specs end as "deltaSpecs"
    from (select * from openspec_specs s where ${ELIGIBLE} ${project} ${free}
      order by s.priority_rank, s.created_at, s.name limit ${PAGE} offset ${offset}) s
    left join change_claims c on c.spec_id = s.id
    order by s.priority_rank, s.created_at, s.name`);
}

/** The change this owner already holds (a live claim), if any. */
function heldQuery(db: Database["db"] | Tx, owner: string, project: SQL) {
  return db.execute(sql`select ${CANDIDATE_COLUMNS}, null::jsonb as "blockedBy"
    from change_claims c join openspec_specs s on s.id = c.spec_id
    where c.owner = ${owner} and c.expires_at > now() and ${ELIGIBLE} ${project}
    order by s.priority_rank, s.created_at, s.name limit 1`);
}

/**
 * Busy: claimed by someone else or in progress. Two index-driven halves (claims are few;
 * in_progress has an index).
 */
function busyQuery(db: Database["db"] | Tx, owner: string | null, project: SQL) {
  return db.execute(sql`
    select s.id, s.name, s.status, c.owner, ${STAMP} as "deltaStamp"
    from change_claims c join openspec_specs s on s.id = c.spec_id
    where c.expires_at > now() and c.owner is distinct from ${owner} and s.kind = 'change'
      and not s.archived and s.deleted_at is null ${project}
    union all
    select s.id, s.name, s.status, null, ${STAMP}
    from openspec_specs s
    where s.status = 'in_progress' and s.kind = 'change' and not s.archived
      and s.deleted_at is null ${project}`);
}

function claimOf(c: Candidate): Claim {
  return {
    owner: present(c.claimOwner, "a claim's owner"),
    claimedAt: new Date(present(c.claimClaimedAt, "a claim's start")),
    heartbeatAt: new Date(present(c.claimHeartbeatAt, "a claim's heartbeat")),
    expiresAt: new Date(present(c.claimExpiresAt, "a claim's expiry")),
  };
}

function why(c: WorkItem): string {
  return `highest-priority free change (priority ${c.priority}, ${c.tasksCompleted}/${c.tasksTotal} tasks done, oldest first among equals)`;
}
