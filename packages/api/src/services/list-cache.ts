import { type Database, listGeneration, sql } from "@specsync/db";
import { shareResult } from "../utils/shared-results";

type Entry = { gen: string; until: number; value: object };

/**
 * Whole `specs.list` answers by input, valid while the database's list generation (raised by
 * triggers at the commit of every write to specs, sync checks or claims, on any server sharing the
 * database) still reads what it read before the answer's queries, and no claim in it has expired.
 *
 * The generation is read once per request (one tiny query), never trusted from a notification:
 * a write acknowledged to anyone, by this server or another, is committed before the next request
 * arrives, so that request's read sees the raised generation. Requests arriving while a read is in
 * flight share the next read (it starts after they arrived), not the running one.
 */
export class ListCache {
  private readonly entries = new Map<string, Entry>();
  /** The read under way, and the one queued behind it for callers that came later. */
  private inFlight: Promise<string> | null = null;
  private queued: Promise<string> | null = null;

  constructor(
    private readonly database: Database,
    private readonly capacity = 32,
  ) {}

  /** The current generation, read by a query that starts after this call. */
  generation(): Promise<string> {
    if (!this.inFlight) return this.start();
    if (!this.queued) {
      const settle = () => {
        this.queued = null;
        return this.start();
      };
      this.queued = this.inFlight.then(settle, settle);
    }
    return this.queued;
  }

  private start(): Promise<string> {
    const read: Promise<string> = this.read().finally(() => {
      if (this.inFlight === read) this.inFlight = null;
    });
    this.inFlight = read;
    return read;
  }

  private async read(): Promise<string> {
    const [row] = await this.database.db
      .select({ gen: sql<string>`${listGeneration.gen}::text` })
      .from(listGeneration);
    // No row (a database migrated without the seed): never a hit.
    return row?.gen ?? `none:${Math.random()}`;
  }

  get<T extends object>(key: string, gen: string): T | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.gen !== gen || performance.now() >= hit.until) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.value as T;
  }

  /**
   * Keep `value` (frozen: every caller gets the same object) until `gen` moves or `until` (ms on
   * `performance.now()`'s clock: monotonic, so a wall clock stepped back cannot keep an expired
   * claim on show).
   */
  set<T extends object>(key: string, gen: string, value: T, until: number): T {
    const shared = shareResult(value);
    if (until <= performance.now()) return shared;
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { gen, until, value: shared });
    return shared;
  }
}
