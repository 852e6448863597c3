import {
  and,
  asc,
  type Database,
  desc,
  eq,
  gt,
  gte,
  lt,
  lte,
  type SyncHistoryRow,
  sql,
  syncHistory,
} from "@specsync/db";
import { type HistoryQuery, historyQuerySchema } from "@specsync/validators";
import { sha256 } from "../utils/hash";
import { present } from "../utils/present";

export type NewHistory = typeof syncHistory.$inferInsert;

/** Writes and reads the `sync_history` audit trail. */
export class HistoryService {
  constructor(private readonly database: Database) {}

  async record(entry: NewHistory): Promise<SyncHistoryRow> {
    const [row] = await this.database.db.insert(syncHistory).values(entry).returning();
    return present(row, "the inserted history row");
  }

  /** Newest first, cursor = the last id of the previous page. */
  async list(input: HistoryQuery): Promise<{ items: SyncHistoryRow[]; nextCursor: number | null }> {
    const q = historyQuerySchema.parse(input);
    const where = and(
      q.specId ? eq(syncHistory.specId, q.specId) : undefined,
      q.projectId ? eq(syncHistory.projectId, q.projectId) : undefined,
      q.direction ? eq(syncHistory.direction, q.direction) : undefined,
      q.trigger ? eq(syncHistory.trigger, q.trigger) : undefined,
      q.success !== undefined ? eq(syncHistory.success, q.success) : undefined,
      q.from ? gte(syncHistory.createdAt, q.from) : undefined,
      q.to ? lte(syncHistory.createdAt, q.to) : undefined,
      q.cursor ? lt(syncHistory.id, q.cursor) : undefined,
    );
    const items = await this.database.db
      .select()
      .from(syncHistory)
      .where(where)
      .orderBy(desc(syncHistory.id))
      .limit(q.limit + 1);
    const hasMore = items.length > q.limit;
    if (hasMore) items.pop();
    return { items, nextCursor: hasMore ? (items.at(-1)?.id ?? null) : null };
  }

  /** Rows after `id`, oldest first: what a reconnecting subscriber missed. */
  async after(id: number, limit: number, projectId?: string): Promise<SyncHistoryRow[]> {
    return this.database.db
      .select()
      .from(syncHistory)
      .where(
        and(gt(syncHistory.id, id), projectId ? eq(syncHistory.projectId, projectId) : undefined),
      )
      .orderBy(asc(syncHistory.id))
      .limit(limit);
  }

  /**
   * An earlier version of one file, found by its hash among the versions history keeps (every
   * version the database held is kept once replaced). Newest first, bounded: a base older than that
   * is unknown.
   */
  async versionOf(
    specId: string,
    file: string,
    hash: string,
    scan = 200,
  ): Promise<string | undefined> {
    const rows = await this.database.db
      .select({ content: sql<string | null>`${syncHistory.previousContent} ->> ${file}` })
      .from(syncHistory)
      .where(and(eq(syncHistory.specId, specId), sql`${syncHistory.previousContent} ? ${file}`))
      .orderBy(desc(syncHistory.id))
      .limit(scan);
    for (const r of rows) if (r.content !== null && sha256(r.content) === hash) return r.content;
    return undefined;
  }

  async get(id: number): Promise<SyncHistoryRow | undefined> {
    const [row] = await this.database.db.select().from(syncHistory).where(eq(syncHistory.id, id));
    return row;
  }
}
