import { mkdirSync } from "node:fs";
import { isPostgresUrl } from "./is-postgres-url";

/**
 * Raw queries only, no drizzle, no migrations: what a one-shot read (`specsync list`) needs and
 * no more.
 */
export type QueryClient = {
  driver: "pglite" | "postgres";
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
};

export async function openQueryClient(options: {
  url?: string | undefined;
  dataDir?: string | undefined;
}): Promise<QueryClient> {
  if (isPostgresUrl(options.url)) {
    const { default: postgres } = await import("postgres");
    const sql = postgres(options.url, {
      max: 1,
      onnotice: () => {},
      fetch_types: false,
      connect_timeout: 10,
    });
    return {
      driver: "postgres",
      async query<T>(text: string, params: unknown[] = []) {
        return (await sql.unsafe(text, params as never[])) as unknown as T[];
      },
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const dataDir = options.dataDir ?? "memory://";
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const { PGlite } = await import("@electric-sql/pglite");
  // A one-shot read needs no 128 MB buffer cache: 1 MB halves the start time and the memory
  // (a start parameter, so the data directory's own postgresql.conf is left as the server wants
  // it).
  const client = await PGlite.create(dataDir, {
    startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=1MB"],
  });
  return {
    driver: "pglite",
    async query<T>(text: string, params: unknown[] = []) {
      return (await client.query<T>(text, params)).rows;
    },
    async close() {
      if (!client.closed) await client.close();
    },
  };
}
