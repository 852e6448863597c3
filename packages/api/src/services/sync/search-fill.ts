import type { Database } from "@specsync/db";
import { errorMessage } from "../../utils/errors";

/**
 * Rows per UPDATE: ~1.3 ms of to_tsvector each on PostgreSQL, several times that in PGlite, which runs
 * on the event loop's thread: small enough that a save waiting behind a chunk is not held long.
 */
const FILL_CHUNK = 50;

/**
 * Fills the search vectors a bulk import left NULL (see `insertSpecRows`), in the background, a chunk
 * at a time. Until then a row is still found by name (the list's search also matches names); its
 * contents become searchable when the fill reaches it, seconds later. Started after every full sync,
 * so rows left behind by a process that died mid-fill are picked up at the next start.
 */
export class SearchFill {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly database: Database,
    private readonly log?: (msg: string) => void,
  ) {}

  /** Start filling (or make the running fill look again); resolves when nothing is pending. */
  kick(): Promise<void> {
    this.again = true;
    this.running ??= this.loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when no fill is running. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    const started = Date.now();
    let filled = 0;
    try {
      while (this.again) {
        this.again = false;
        for (;;) {
          // The trigger does not fire (it watches content columns only), and a row updated meanwhile
          // is re-read by the UPDATE before the vector is computed.
          const rows = await this.database.query(
            `with pending as (select id from openspec_specs where search is null limit ${FILL_CHUNK})
             update openspec_specs s set search = openspec_specs_search_vector(s)
             from pending where s.id = pending.id returning 1 as one`,
          );
          filled += rows.length;
          if (rows.length < FILL_CHUNK) break;
          await new Promise((r) => setImmediate(r));
        }
      }
      if (filled) this.log?.(`search vectors of ${filled} rows filled in ${Date.now() - started} ms`);
    } catch (e) {
      // The database closed or went away: the next full sync starts the fill again.
      this.log?.(`search fill stopped: ${errorMessage(e)}`);
    }
  }
}
