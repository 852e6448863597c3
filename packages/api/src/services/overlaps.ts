import { createHash } from "node:crypto";
import { and, type Database, eq, inArray, isNull, openspecSpecs, sql } from "@specsync/db";
import type { LifecycleStatus } from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";
import {
  type DeltaOperation,
  requirementsTouchedBy,
  type SharedRequirement,
  sharedRequirements,
  type TouchedRequirements,
  touchedRequirements,
} from "../utils/openspec/overlap";

export type Overlap = {
  id: string;
  name: string;
  status: LifecycleStatus;
  requirements: SharedRequirement[];
};
/**
 * What the overlap check needs of a row: its id and either its file hashes (which say when the delta
 * specs changed) or the stamp made of them in SQL (`deltaStampSql`), which spares shipping and sorting
 * the hashes.
 */
type StampSource = { contentHashes: Record<string, string> } | { deltaStamp: string | null };
export type OverlapRow = { id: string } & StampSource & {
    /** The delta specs if the caller has them: a cache miss then parses them without a query. */
    deltaSpecs?: Record<string, string> | null;
  };

/** Reads the delta specs of rows by id (the caller's connection or transaction). */
export type DeltaFetch = (
  ids: string[],
) => Promise<readonly { id: string; deltaSpecs: Record<string, string> }[]>;

const MAX_CACHED = 50_000;
const isDeltaFile = (file: string) => file.startsWith("specs/") && file.endsWith("/spec.md");
const capabilityOf = (file: string) => file.slice("specs/".length, -"/spec.md".length);

/**
 * The stamp `touched` keys its cache on, as the row stores it (`delta_stamp`, a generated column:
 * the same string as `stampOf` — md5 of the delta files' `file:hash` in code-point order joined
 * by `|`; null when there are none).
 */
export const deltaStampSql = (table: string) => sql.raw(`${table}.delta_stamp`);

function stampOf(row: OverlapRow): string {
  if ("deltaStamp" in row) return row.deltaStamp ?? "";
  const deltas = Object.entries(row.contentHashes).filter(([f]) => isDeltaFile(f));
  if (!deltas.length) return "";
  const joined = deltas
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([f, h]) => `${f}:${h}`)
    .join("|");
  return createHash("md5").update(joined).digest("hex");
}

/** Capabilities a row has delta specs for, from its file hashes alone (no content read). */
export function capabilitiesOf(row: { contentHashes: Record<string, string> }): string[] {
  return Object.keys(row.contentHashes).filter(isDeltaFile).map(capabilityOf);
}

type ForChangeRow = {
  id: string;
  name: string;
  status: LifecycleStatus;
  kind: string;
  deleted: boolean;
  self: boolean;
  /** The change's own row: its delta files, in the order of every row's `hashes`. */
  files: string[] | null;
  /**
   * The content hashes of those files, comma-separated (hex, so no comma inside); empty where the
   * row has no such file. A short text per row: no jsonb to decode.
   */
  hashes: string;
};
/** A delta file of a row, by content hash. */
type FileRef = { hash: string; id: string; capability: string };
/** One delta spec file's requirements, as `requirementsTouchedBy` reads them. */
type FileTouched = Map<string, Set<DeltaOperation>>;

/**
 * One round trip: the change itself, then the active changes of its project with a delta file for
 * one of its capabilities (`content_hashes` keys, through the partial GIN index). Only the hashes
 * of those files come back; delta content is read only for files the cache lacks. Constant text,
 * so PostgreSQL keeps it prepared per connection (no describe round trip, a cached plan).
 */
const FOR_CHANGE = `with me as (
    select id, project_id, kind, deleted_at, content_hashes
    from openspec_specs where id = $1::uuid),
  mine as (select array(select k from me, jsonb_object_keys(me.content_hashes) k
    where k like 'specs/%/spec.md' order by k) as keys)
  select me.id, '' as name, null as status, me.kind, me.deleted_at is not null as deleted,
    true as self, to_jsonb(mine.keys) as files,
    array_to_string(array(select me.content_hashes->>k from unnest(mine.keys) k), ',') as hashes
  from me, mine
  union all
  select s.id, s.name, s.status, s.kind, false, false, null,
    array_to_string(array(select coalesce(s.content_hashes->>k, '') from unnest(mine.keys) k), ',')
  from openspec_specs s, me, mine
  where s.project_id = me.project_id and s.kind = 'change' and not s.archived
    and s.deleted_at is null and s.id <> me.id
    and s.content_hashes ?| (select keys from mine)`;
/**
 * One delta file's content per hash asked for; the parameter a JSON text of
 * `[hash, row id, capability]` triples (any driver sends text).
 */
const DELTA_FILES = `select f->>0 as hash, s.delta_specs->>(f->>2) as content
  from jsonb_array_elements($1::text::jsonb) f
  join openspec_specs s on s.id = (f->>1)::uuid`;

/**
 * Derived overlap between active changes: two changes overlap when their delta specs touch the same
 * requirement of the same capability. Parsed requirement sets are cached per row and keyed by the row's
 * delta-spec hashes, so the check reads content only for rows whose delta specs changed since last time.
 */
export class OverlapsService {
  private readonly cache = new Map<string, { stamp: string; touched: TouchedRequirements }>();
  /** `forChange`'s: content hash of a delta file → what it touches. */
  private readonly fileCache = new Map<string, FileTouched>();

  constructor(private readonly database: Database) {}

  /** Active changes sharing at least one requirement with this one, with the requirements named. */
  async forChange(id: string): Promise<Overlap[]> {
    const rows = await this.database.query<ForChangeRow>(FOR_CHANGE, [id]);
    const row = rows.find((r) => r.self);
    if (!row || row.deleted) throw new SpecsyncError("NOT_FOUND", `change ${id} not found`);
    if (row.kind !== "change")
      throw new SpecsyncError("BAD_REQUEST", "only changes overlap; this is a spec");
    const others = rows.filter((r) => !r.self);
    const caps = (row.files ?? []).map(capabilityOf);
    if (!others.length || !caps.length) return [];
    const wanted: FileRef[] = [];
    const hashesOf = (r: ForChangeRow) => {
      const hashes = r.hashes.split(",");
      hashes.forEach((hash, i) => {
        if (hash) wanted.push({ hash, id: r.id, capability: caps[i] ?? "" });
      });
      return hashes;
    };
    const byRow = rows.map(hashesOf);
    const files = await this.filesTouched(wanted);
    const touchedOf = (hashes: string[]): TouchedRequirements => {
      const touched: TouchedRequirements = new Map();
      hashes.forEach((hash, i) => {
        const byName = hash ? files.get(hash) : undefined;
        if (byName?.size) touched.set(caps[i] ?? "", byName);
      });
      return touched;
    };
    const mine = touchedOf(byRow[rows.indexOf(row)] ?? []);
    const out: Overlap[] = [];
    for (const [i, o] of rows.entries()) {
      if (o.self) continue;
      const requirements = sharedRequirements(mine, touchedOf(byRow[i] ?? []));
      if (requirements.length) out.push({ id: o.id, name: o.name, status: o.status, requirements });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Parsed delta files by content hash: a file is parsed once whichever change holds it, and its
   * content read only when no change's copy of it has been parsed yet.
   */
  private async filesTouched(refs: readonly FileRef[]): Promise<Map<string, FileTouched>> {
    const out = new Map<string, FileTouched>();
    const missing = new Map<string, [string, string, string]>();
    for (const { hash, id, capability } of refs) {
      const hit = this.fileCache.get(hash);
      if (hit) out.set(hash, hit);
      else if (!missing.has(hash)) missing.set(hash, [hash, id, capability]);
    }
    if (!missing.size) return out;
    if (this.fileCache.size + missing.size > MAX_CACHED) this.fileCache.clear();
    const wanted = [...missing.values()];
    for (let i = 0; i < wanted.length; i += 500) {
      const param = JSON.stringify(wanted.slice(i, i + 500));
      for (const f of await this.database.query<{ hash: string; content: string | null }>(
        DELTA_FILES,
        [param],
      )) {
        // No content: the row changed since the first query; its files count as untouched now.
        if (f.content === null) continue;
        const touched = requirementsTouchedBy(f.content);
        this.fileCache.set(f.hash, touched);
        out.set(f.hash, touched);
      }
    }
    return out;
  }

  /** For every active change of a project that overlaps another: the names of the others (the list's warning). */
  async map(projectId?: string): Promise<Record<string, string[]>> {
    const rows = await this.database.db
      .select({
        id: openspecSpecs.id,
        name: openspecSpecs.name,
        contentHashes: openspecSpecs.contentHashes,
        deltaStamp: openspecSpecs.deltaStamp,
      })
      .from(openspecSpecs)
      .where(
        and(
          eq(openspecSpecs.kind, "change"),
          eq(openspecSpecs.archived, false),
          isNull(openspecSpecs.deletedAt),
          projectId ? eq(openspecSpecs.projectId, projectId) : undefined,
        ),
      );
    const touched = await this.touched(rows.filter((r) => capabilitiesOf(r).length));
    // Inverted index: capability + requirement → changes touching it.
    const byKey = new Map<string, string[]>();
    for (const r of rows) {
      for (const [cap, names] of touched.get(r.id) ?? [])
        for (const name of names.keys()) {
          const key = `${cap}\u0000${name}`;
          byKey.set(key, [...(byKey.get(key) ?? []), r.id]);
        }
    }
    const nameOf = new Map(rows.map((r) => [r.id, r.name]));
    const out: Record<string, Set<string>> = {};
    for (const ids of byKey.values()) {
      if (ids.length < 2) continue;
      for (const a of ids) {
        for (const b of ids) {
          if (a === b) continue;
          const names = out[a] ?? new Set<string>();
          out[a] = names;
          names.add(nameOf.get(b) ?? b);
        }
      }
    }
    return Object.fromEntries(Object.entries(out).map(([id, names]) => [id, [...names].sort()]));
  }

  /** Parsed requirement sets of these rows, reading content only for rows not cached at their current hashes. */
  async touched(
    rows: readonly OverlapRow[],
    fetch: DeltaFetch = this.fetchDeltas,
  ): Promise<Map<string, TouchedRequirements>> {
    const out = new Map<string, TouchedRequirements>();
    const stale: { id: string; stamp: string }[] = [];
    for (const r of rows) {
      const stamp = stampOf(r);
      const hit = this.cache.get(r.id);
      if (hit && hit.stamp === stamp) out.set(r.id, hit.touched);
      else if (!stamp) out.set(r.id, new Map());
      else if (r.deltaSpecs) out.set(r.id, this.remember(r.id, stamp, r.deltaSpecs));
      else stale.push({ id: r.id, stamp });
    }
    if (stale.length) {
      if (this.cache.size + stale.length > MAX_CACHED) this.cache.clear();
      const stamps = new Map(stale.map((s) => [s.id, s.stamp]));
      for (let i = 0; i < stale.length; i += 500) {
        const contents = await fetch(stale.slice(i, i + 500).map((s) => s.id));
        for (const c of contents) {
          out.set(c.id, this.remember(c.id, stamps.get(c.id) ?? "", c.deltaSpecs));
        }
      }
    }
    return out;
  }

  private readonly fetchDeltas: DeltaFetch = (ids) =>
    this.database.db
      .select({ id: openspecSpecs.id, deltaSpecs: openspecSpecs.deltaSpecs })
      .from(openspecSpecs)
      .where(inArray(openspecSpecs.id, ids));

  private remember(id: string, stamp: string, deltaSpecs: Record<string, string>) {
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    const touched = touchedRequirements(deltaSpecs);
    this.cache.set(id, { stamp, touched });
    return touched;
  }
}
