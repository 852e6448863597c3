import { existsSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SQL } from "drizzle-orm";
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { unpackTemplate } from "./pglite-template";
import * as schema from "./schema";

export type Schema = typeof schema;
/** The drizzle database, whichever driver is behind it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type DbDriver = "pglite" | "postgres";

export type CreateDbOptions = {
  /** `postgres://…` selects PostgreSQL; unset selects embedded PGlite. */
  url?: string | undefined;
  /** PGlite data directory, or `memory://` for an in-memory database. */
  dataDir?: string | undefined;
  /** postgres.js pool size. */
  maxConnections?: number;
  /**
   * A PGlite template tarball (make-template.mjs) to start a new database from instead of
   * `PGLITE_TEMPLATE`; the test suites make one per migrations version.
   */
  template?: string | undefined;
};

/** The statements of one `pipelined` transaction. */
export type Pipeline = {
  /**
   * Send a statement now, without waiting for the answers to the ones before it (they still run in
   * order); resolves with its rows.
   */
  query<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  /**
   * The transaction's last statement: it and COMMIT go out together; resolves with its rows once
   * committed. Nothing may be sent after it.
   */
  commitWith<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
};

/** A database handle plus the few things drizzle does not abstract over both drivers. */
export type Database = {
  db: Db;
  driver: DbDriver;
  /** Run a raw query and get its rows, on either driver. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** LISTEN on a channel; resolves to an unlisten function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  /**
   * Run `fn` only if nobody else holds the lock `key` (PostgreSQL: a transaction-scoped advisory lock,
   * so every server sharing the database sees it); `{ ran: false }` when it is taken. PGlite is
   * single-process, so an in-process flag suffices.
   */
  tryWithLock<T>(
    key: string,
    fn: () => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }>;
  /**
   * Run `fn` while holding the lock `key` against every other server on this database, waiting for
   * it if needed (PostgreSQL: a transaction-scoped advisory lock on a connection of a separate small
   * pool, so holders never starve `fn`'s own queries of connections). Not re-entrant: callers
   * serialise per key in-process first. PGlite is single-process: `fn` just runs.
   */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * A transaction for a hot path that is mostly waiting on round trips. On PostgreSQL it runs on
   * one reserved connection: BEGIN goes out with the first statements; statements are named
   * prepared ones (after their first use on a connection they need no extra round trip to be
   * described, which drizzle's unnamed ones always do); `commitWith` sends COMMIT with the last
   * statement. Rolled back if `fn` throws. Rows come back raw (as `db.execute` gives them).
   */
  pipelined<T>(fn: (p: Pipeline) => Promise<T>): Promise<T>;
  /**
   * One statement, its rows raw (as `db.execute` gives them). On PostgreSQL a prepared statement
   * (postgres.js names it per connection by its text): once a connection has run that text, one
   * round trip; drizzle's statements with parameters are unnamed and take two (describe, then
   * execute). For hot paths with few distinct texts: a connection keeps every text it prepared.
   */
  run<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  close(): Promise<void>;
};

export { isPostgresUrl } from "./is-postgres-url";

import { isPostgresUrl } from "./is-postgres-url";

/** Turns drizzle's `sql` into text and parameters (no database needed). */
const dialect = new PgDialect();

export async function createDb(options: CreateDbOptions = {}): Promise<Database> {
  return isPostgresUrl(options.url)
    ? createPostgres(options.url, options.maxConnections ?? 10)
    : createPglite(options.dataDir ?? "memory://", options.template);
}

/**
 * A migrated, empty data directory made at build time (packages/db/scripts/make-template.mjs;
 * lib/'s `../pgdata`, as packages/db/src's): unpacked into a new data directory instead of running
 * initdb and the migrations inside WebAssembly (seconds and most of a GiB); an in-memory database
 * (`memory://`) is loaded from it too. Absent in a source
 * checkout unless made (`node packages/db/scripts/make-template.mjs
 * packages/db/pgdata/template.tar.gz`); then initdb runs.
 */
export const PGLITE_TEMPLATE = fileURLToPath(new URL("../pgdata/template.tar.gz", import.meta.url));

/**
 * PostgreSQL's buffer cache inside PGlite's WebAssembly heap: 128 MB by default, and every page
 * read fills it (RSS the process keeps). The data directory's files stay in the OS page cache.
 */
export const PGLITE_SHARED_BUFFERS = "16MB";

/**
 * PGlite's text parameters, except that UTF-8 bytes go as they are (binary format, which for text
 * is the bytes): a string parameter is measured in JavaScript a character at a time, twice, and
 * for a bulk import's ~1 MB JSON batch that was the largest JavaScript cost of the statement.
 */
function textOrBytes(text: ((x: unknown) => string) | undefined): (x: unknown) => string {
  // The driver sends a typed array in binary format (its serialiser's type says string only).
  return (x) => (x instanceof Uint8Array ? (x as unknown as string) : text ? text(x) : String(x));
}

async function createPglite(dataDir: string, template?: string): Promise<Database> {
  const onDisk = !dataDir.startsWith("memory://");
  if (onDisk) mkdirSync(dataDir, { recursive: true });
  // Loaded only when used: a server on PostgreSQL never pays for the WebAssembly build.
  const [{ PGlite, types }, { drizzle: drizzlePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
  ]);
  const fresh = onDisk && !existsSync(path.join(dataDir, "PG_VERSION"));
  const tarball = template ?? (existsSync(PGLITE_TEMPLATE) ? PGLITE_TEMPLATE : undefined);
  if (fresh && tarball) await unpackTemplate(tarball, dataDir);
  // In memory there is no directory to unpack into: PGlite loads the tarball itself.
  const loadDataDir = !onDisk && tarball ? new Blob([await readFile(tarball)]) : undefined;
  const client = await PGlite.create(dataDir, {
    ...(loadDataDir ? { loadDataDir } : {}),
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    serializers: { [types.TEXT]: textOrBytes(types.serializers[types.TEXT]) },
  });
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  const held = new Set<string>();
  return {
    db,
    driver: "pglite",
    async query<T>(text: string, params: unknown[] = []) {
      const res = await client.query<T>(text, params);
      return res.rows;
    },
    async listen(channel, onPayload) {
      const unlisten = await client.listen(channel, onPayload);
      return async () => unlisten();
    },
    async notify(channel, payload) {
      await client.query("select pg_notify($1, $2)", [channel, payload]);
    },
    async tryWithLock(key, fn) {
      if (held.has(key)) return { ran: false };
      held.add(key);
      try {
        return { ran: true, value: await fn() };
      } finally {
        held.delete(key);
      }
    },
    exclusive(_key, fn) {
      return fn();
    },
    async pipelined(fn) {
      // In-process: no round trips to save; one transaction, statements in order.
      return client.transaction(async (tx) => {
        const query = async <T>(q: SQL) => {
          const { sql: text, params } = dialect.sqlToQuery(q);
          return (await tx.query<T>(text, params)).rows;
        };
        return fn({ query, commitWith: query });
      });
    },
    async run<T>(q: SQL) {
      // In-process: no round trips to save; drizzle's own statement, as before.
      return ((await db.execute(q)) as unknown as { rows: T[] }).rows;
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

/**
 * Connections that only hold `exclusive` locks: a holder waits on its lock here while its work runs
 * on the main pool; more holders than this queue for a connection (no deadlock with the main pool).
 */
const LOCK_CONNECTIONS = 4;

async function createPostgres(url: string, max: number): Promise<Database> {
  const options = {
    onnotice: () => {},
    // Idle connections are recycled so a restarted server is picked up again.
    idle_timeout: 30,
    connect_timeout: 10,
    // No array-type discovery query at connect: nothing here needs it, and it is one more thing to
    // fail mid-reconnect.
    fetch_types: false,
    // The driver's default waits up to 20 s between reconnect attempts after a few failures (3^n /
    // 100 s); after a database restart that delays every sync. Retry at most a second apart
    // instead.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    // A statement whose client is gone is cancelled (PostgreSQL ≥ 14 polls the socket this often,
    // in ms): `close()` ends sockets after 5 s, and without this a long statement (a crafted file's
    // search vector, outside-test F6) ran on, orphaned, after specsync had exited.
    connection: { client_connection_check_interval: "1000" },
  };
  const sql = postgres(url, { ...options, max });
  // Made on first use: most servers never take an `exclusive` lock.
  let locks: postgres.Sql | undefined;
  const db = drizzlePostgres(sql, { schema }) as unknown as Db;
  return {
    db,
    driver: "postgres",
    async query<T>(text: string, params: unknown[] = []) {
      return (await sql.unsafe(text, params as never[])) as unknown as T[];
    },
    async listen(channel, onPayload) {
      const sub = await sql.listen(channel, onPayload);
      return async () => sub.unlisten();
    },
    async notify(channel, payload) {
      await sql`select pg_notify(${channel}, ${payload})`;
    },
    async tryWithLock(key, fn) {
      // A transaction-scoped lock: held by this transaction's connection until fn settles, released
      // by COMMIT (or by PostgreSQL itself if the connection dies). fn runs on other pool
      // connections.
      let result: { ran: true; value: Awaited<ReturnType<typeof fn>> } | { ran: false } = {
        ran: false,
      };
      await sql.begin(async (tx) => {
        const [row] = await tx`select pg_try_advisory_xact_lock(hashtext(${key})) as ok`;
        if (row?.ok) result = { ran: true, value: await fn() };
      });
      return result;
    },
    async exclusive(key, fn) {
      // fetch_types on: with it off, postgres.js 3.4.9's `reserve()` on this fresh pool never
      // resolved (reproduced in a five-line script).
      locks ??= postgres(url, { ...options, fetch_types: true, max: LOCK_CONNECTIONS });
      const conn = await locks.reserve();
      const end = (statement: string) =>
        conn.unsafe(statement).then(
          () => conn.release(),
          () => conn.release(),
        );
      try {
        // BEGIN and the lock leave together: one round trip before `fn` starts.
        const begun = conn.unsafe("begin").execute();
        await conn`select pg_advisory_xact_lock(hashtextextended(${`specsync:x:${key}`}, 0))`;
        await begun;
      } catch (err) {
        void end("rollback");
        throw err;
      }
      try {
        return await fn();
      } finally {
        // COMMIT releases the lock; nothing waits for its answer (if the connection dies,
        // PostgreSQL releases the lock itself).
        void end("commit");
      }
    },
    async pipelined(fn) {
      return pipelinedOn(sql, fn);
    },
    async run<T>(q: SQL) {
      const { sql: text, params } = dialect.sqlToQuery(q);
      return (await sql.unsafe(text, params as never[], { prepare: true })) as unknown as T[];
    },
    async close() {
      await Promise.all([sql.end({ timeout: 5 }), locks?.end({ timeout: 5 })]);
    },
  };
}

/** `pipelined` on PostgreSQL (see `Database`). */
async function pipelinedOn<T>(sql: postgres.Sql, fn: (p: Pipeline) => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  let done = false;
  // postgres.js sends a query once it is awaited (or `execute()`d): each is started at once, so
  // statements issued together leave in one write.
  const send = <R>(q: SQL | string) => {
    if (done) throw new Error("pipelined: statement after commitWith");
    const { sql: text, params } =
      typeof q === "string" ? { sql: q, params: [] } : dialect.sqlToQuery(q);
    const query = conn.unsafe(text, params as never[], { prepare: true }).execute();
    return query as unknown as Promise<R[]>;
  };
  const begun = send("begin");
  begun.catch(() => {});
  try {
    const value = await fn({
      query: send,
      async commitWith<R>(q: SQL) {
        const rows = send<R>(q);
        const commit = send("commit");
        done = true;
        commit.catch(() => {});
        const out = await rows;
        await commit;
        return out;
      },
    });
    await begun;
    if (!done) {
      done = true;
      await conn.unsafe("commit");
    }
    return value;
  } catch (err) {
    // After a failed commitWith the server has already ended the transaction: ROLLBACK then only
    // warns.
    await conn.unsafe("rollback").catch(() => {});
    throw err;
  } finally {
    conn.release();
  }
}
