import { mkdirSync } from "node:fs";
import { isPostgresUrl } from "./is-postgres-url";

/** Raw queries only, no drizzle, no migrations: what a one-shot read (`specsync list`) needs and no more. */
export type QueryClient = {
  driver: "pglite" | "postgres";
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
};

export async function openQueryClient(options: { url?: string | undefined; dataDir?: string | undefined }): Promise<QueryClient> {
  if (isPostgresUrl(options.url)) {
    const { default: postgres } = await import("postgres");
    const sql = postgres(options.url, { max: 1, onnotice: () => {}, fetch_types: false, connect_timeout: 10 });
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
  const client = await PGlite.create(dataDir);
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
