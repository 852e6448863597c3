import { type Database, type Pipeline, sql } from "@specsync/db";
import {
  type LifecycleStatus,
  type NextWorkClaimInput,
  nextWorkClaimInputSchema,
  type Priority,
} from "@specsync/validators";
import type { SQL } from "drizzle-orm";
import { SpecsyncError } from "../utils/errors";
import { sharedRequirements, type TouchedRequirements } from "../utils/openspec/overlap";
import { present } from "../utils/present";
import { rowsOf } from "../utils/sql-rows";
import type { Claim, ClaimRow, ClaimsService } from "./claims-service";
import { type DeltaFetch, deltaStampSql, type OverlapsService } from "./overlaps";
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
  /** With explain: how many more were passed over than `skipped` lists (it keeps the first 20). */
  skippedMore?: number;
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
type Query = ReturnType<typeof nextWorkClaimInputSchema.parse>;
/** Where the statements go: the pool (no claim) or a pipelined transaction (claim). */
type Session = Pick<Pipeline, "query"> & Partial<Pick<Pipeline, "commitWith">>;
/** A change in progress or claimed by someone else; name and owner only with explain (for reasons). */
type Busy = {
  id: string;
  deltaStamp: string | null;
  name?: string;
  owner?: string | null;
};

const PAGE = 20;
/** How many recently paged ids to remember (their delta specs are not shipped again). */
const SEEN = 100;
const MAX_SKIPPED = 20;
/** Picks in a row whose claim found the change just taken (see `next`). */
const MAX_ATTEMPTS = 5;
const ELIGIBLE = sql`s.kind = 'change' and not s.archived and s.deleted_at is null and s.status in ('approved', 'assigned') and (s.tasks_total = 0 or s.tasks_completed < s.tasks_total)`;
/** A dependency blocks while it is neither archived nor deleted. */
/** Delta-spec stamps, not the whole file-hash maps: less to ship and no per-row sort in Node. */
const STAMP = deltaStampSql("s");
const NEXT_WORK_LOCK = sql`select pg_advisory_xact_lock(hashtextextended('specsync:next_work', 0))`;
/**
 * The claiming transaction's settings, in one statement (`set_config(…, true)` is `SET LOCAL`).
 * A claim is a lease: its commit need not wait for the WAL flush (≈ 3–5 ms here). A PostgreSQL crash
 * within ~0.6 s of the claim can lose it (never half of it); the holder then learns at its next
 * heartbeat, exactly as for a lapsed lease. Other sessions see it at once: no effect on exclusivity.
 * No parallel workers: starting them cost more than the busy set's whole scan (a Gather was chosen
 * for it). Generic plans: the statements are prepared, and a custom plan of the page query costs
 * ≈ 1 ms of planning (10 ms under load) for the same ordered index walk.
 */
const TX_SETTINGS = sql`select set_config('synchronous_commit', 'off', true),
  set_config('max_parallel_workers_per_gather', '0', true),
  set_config('plan_cache_mode', 'force_generic_plan', true)`;
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
    if (!q.claim) {
      const query = async <T>(s: SQL) => rowsOf<T>(await this.database.db.execute(s));
      return this.pick({ query }, q);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.database.pipelined((p) => this.pick(p, q));
        if (result.change && result.claim) this.claims.announce(result.change);
        return result;
      } catch (err) {
        // The claim went out with its COMMIT and found the change taken by a claim made outside
        // the queue (no queue lock) after the page was read: pick again, the claim is visible now.
        if (attempt < MAX_ATTEMPTS && err instanceof SpecsyncError && err.code === "CONFLICT")
          continue;
        throw err;
      }
    }
  }

  /**
   * Pick (and with `claim`, claim) the next change. With `claim`, `s` is a pipelined transaction:
   * its first round trip holds BEGIN, the lock and the three reads; the claim goes with COMMIT.
   */
  private async pick(s: Session, q: Query): Promise<NextWork> {
    const owner = q.owner ?? null;
    const project = q.projectId ? sql`and s.project_id = ${q.projectId}::uuid` : sql``;
    const skipped: { name: string; reason: string }[] = [];
    let skippedMore = 0;
    const skip = (name: string, reason: string) => {
      if (!q.explain) return;
      if (skipped.length < MAX_SKIPPED) skipped.push({ name, reason });
      else skippedMore++;
    };
    const answer = (r: Omit<NextWork, "skipped" | "skippedMore">): NextWork => ({
      ...r,
      ...(q.explain ? { skipped } : {}),
      ...(skippedMore ? { skippedMore } : {}),
    });

    const known = `{${[...this.seen].join(",")}}`;
    const pageAt = (offset: number) =>
      s.query<Candidate>(pageQuery(owner, project, q.explain, known, offset));
    // PostgreSQL runs them in order, so the reads happen only once the lock is held.
    const [, , [held], busyRows, firstPage] = await Promise.all([
      q.claim ? s.query(TX_SETTINGS) : null,
      q.claim ? s.query(NEXT_WORK_LOCK) : null,
      owner ? s.query<Candidate>(heldQuery(owner, project)) : Promise.resolve([]),
      s.query<Busy & { packed?: string | null }>(busyQuery(owner, project, q.explain)),
      pageAt(0),
    ]);

    // A change the owner already holds comes first: asking again resumes (and, with claim, renews) it.
    if (held && owner) return answer(await this.resume(s, q, held, owner));
    const fetch = deltasFrom(s);
    const busy = q.explain ? busyRows : unpackBusy(busyRows[0]?.packed ?? null);
    const busyTouched: Map<string, TouchedRequirements> = busy.length
      ? await this.overlaps.touched(busy, fetch)
      : new Map();
    // Walk the work-queue index in order, a page at a time (the inner LIMIT keeps it an ordered
    // index scan that stops early); claims and unarchived dependencies are looked up per page.
    for (let offset = 0; ; offset += PAGE) {
      const page = offset === 0 ? firstPage : await pageAt(offset);
      const touched = await this.overlaps.touched(page, fetch);
      this.see(page);
      for (const c of page) {
        const passedOver =
          unavailable(c, owner) ?? this.clash(c, touched.get(c.id) ?? new Map(), busy, busyTouched);
        if (passedOver) {
          skip(c.name, passedOver);
          continue;
        }
        const change = toItem(c);
        if (!q.claim) return answer({ change, claim: null, reason: why(change) });
        const claimed = await this.claim(
          s,
          change,
          present(owner, "the owner (required to claim)"),
          q,
        );
        return answer({
          change,
          claim: claimed.claim,
          reason: `claimed for ${owner}: ${why(change)}`,
        });
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

  /** The claim, sent with the transaction's COMMIT. */
  private async claim(s: Session, change: WorkItem, owner: string, q: Query) {
    const send = present(s.commitWith, "a pipelined transaction (claim: true)");
    const rows = await send<ClaimRow>(this.claims.claimQuery(change, owner, q.leaseSeconds));
    return this.claims.claimResult(change, rows);
  }

  /** The change the owner already holds: renewed with claim, else answered as held. */
  private async resume(
    s: Session,
    q: Query,
    held: Candidate,
    owner: string,
  ): Promise<Omit<NextWork, "skipped">> {
    const change = toItem(held);
    if (!q.claim) {
      return { change, claim: claimOf(held), reason: `you already hold it: ${why(change)}` };
    }
    const renewed = await this.claim(s, change, owner, q);
    return { change, claim: renewed.claim, reason: `your claim, renewed: ${why(change)}` };
  }

  private see(page: readonly Candidate[]) {
    if (this.seen.size + page.length > SEEN) this.seen.clear();
    for (const c of page) this.seen.add(c.id);
  }

  /**
   * The first busy change sharing a requirement with this one, as a reason; else null. A scan, not a
   * per-capability index: a call checks a few candidates against ~300 busy changes, and building the
   * index cost more than that (and ~200 KB of garbage per call).
   */
  private clash(
    c: Candidate,
    mine: TouchedRequirements,
    busy: readonly Busy[],
    busyTouched: Map<string, TouchedRequirements>,
  ): string | null {
    if (!mine.size) return null;
    const caps = [...mine.keys()];
    for (const b of busy) {
      const theirs = busyTouched.get(b.id);
      if (b.id === c.id || !theirs || !sharesCapability(caps, theirs)) continue;
      const shared = sharedRequirements(mine, theirs);
      if (shared.length) {
        const who = b.owner ? `claimed by ${b.owner}` : "in progress";
        return `overlaps ${b.name ?? "a busy change"} (${who}) on ${shared
          .slice(0, 3)
          .map((s) => `${s.capability}: ${s.requirement}`)
          .join("; ")}${shared.length > 3 ? ` and ${shared.length - 3} more` : ""}`;
      }
    }
    return null;
  }
}

/** An indexed loop: no iterator per busy change. */
function sharesCapability(caps: readonly string[], theirs: TouchedRequirements): boolean {
  for (let i = 0; i < caps.length; i++) if (theirs.has(caps[i] ?? "")) return true;
  return false;
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
  return sql`
    select ${CANDIDATE_COLUMNS},
      (select jsonb_agg(b.name order by b.name) from (${BLOCKERS}) b) as "blockedBy",
      case when s.id = any(${known}::uuid[]) then null else s.delta_specs end as "deltaSpecs"
    from (select * from openspec_specs s where ${ELIGIBLE} ${project} ${free}
      order by s.priority_rank, s.created_at, s.name limit ${PAGE} offset ${offset}) s
    left join change_claims c on c.spec_id = s.id
    order by s.priority_rank, s.created_at, s.name`;
}

/**
 * The change this owner already holds (a live claim), if any. Driven from the owner's claims (few,
 * usually none), each change read by primary key: `offset 0` keeps the planner from walking the
 * whole work-queue index instead (probing each row's claim, or each row for the claim's id), which
 * it did whenever its statistics thought the queue nearly empty (≈ 1 ms quiet, 12 ms under load).
 */
function heldQuery(owner: string, project: SQL) {
  return sql`select ${CANDIDATE_COLUMNS}, null::jsonb as "blockedBy"
    from change_claims c
    cross join lateral (select * from openspec_specs s where s.id = c.spec_id offset 0) s
    where c.owner = ${owner} and c.expires_at > now() and ${ELIGIBLE} ${project}
    order by s.priority_rank, s.created_at, s.name limit 1`;
}

/**
 * Busy: claimed by someone else or in progress. Two index-driven halves (claims are few; in-progress
 * changes have a partial index). With explain, rows with the name and owner that word a reason;
 * without, only the changes with delta specs (no others can overlap), packed into one
 * `id:stamp,…` string: one value to decode instead of ~300 rows of five.
 */
function busyQuery(owner: string | null, project: SQL, explain: boolean) {
  const active = sql`s.kind = 'change' and not s.archived and s.deleted_at is null ${project}`;
  // Each claim's change by primary key (`offset 0`, as in `heldQuery`): the generic plan otherwise
  // hash-joins the claims with every active change (≈ 2,000 heap rows, 20–40 ms under load).
  const claimed = sql`from change_claims c
    cross join lateral (select * from openspec_specs s where s.id = c.spec_id offset 0) s
    where c.expires_at > now() and c.owner is distinct from ${owner} and ${active}`;
  const inProgress = sql`from openspec_specs s where s.status = 'in_progress' and ${active}`;
  if (explain) {
    return sql`select s.id, s.name, c.owner, ${STAMP} as "deltaStamp" ${claimed}
      union all select s.id, s.name, null, ${STAMP} ${inProgress}`;
  }
  return sql`select string_agg(b.id::text || ':' || b.stamp, ',') as packed from (
      select s.id, ${STAMP} as stamp ${claimed} union all select s.id, ${STAMP} ${inProgress}
    ) b where b.stamp is not null`;
}

/** The packed busy set: uuids are 36 characters, then `:` and the stamp. */
function unpackBusy(packed: string | null): Busy[] {
  if (!packed) return [];
  return packed.split(",").map((e) => ({ id: e.slice(0, 36), deltaStamp: e.slice(37) }));
}

/** Delta specs of rows the overlaps cache lacks, read in the same session (one array parameter). */
function deltasFrom(s: Session): DeltaFetch {
  return (ids) =>
    s.query(sql`select id, delta_specs as "deltaSpecs" from openspec_specs
      where id = any(${`{${ids.join(",")}}`}::uuid[])`);
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
