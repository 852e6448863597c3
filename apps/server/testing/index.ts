import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createSpecsyncClient, type SpecsyncClient } from "@specsync/api/client";
import { EventSource } from "eventsource";
import { envSchema } from "../src/env";
import { type Running, startServer } from "../src/serve";

export type TestServer = Running & { client: SpecsyncClient };

/** The CLI's source, run as `node --import <TSX_LOADER> <CLI_SOURCE> …`. */
export const CLI_SOURCE = path.resolve(fileURLToPath(import.meta.url), "../../src/cli.ts");
/** tsx's loader by path: `--import tsx` would be resolved from the (temp) folder a command runs in. */
export const TSX_LOADER = pathToFileURL(
  path.join(
    path.dirname(createRequire(import.meta.url).resolve("tsx/package.json")),
    "dist/loader.mjs",
  ),
).href;

/** Start a real specsync server in this process (port chosen by the OS). */
export async function startTestServer(opts: {
  databaseUrl: string | null;
  projects: string[];
  env?: Record<string, string>;
  token?: string;
}): Promise<TestServer> {
  const env = envSchema.parse({
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : { SPECSYNC_DATA_DIR: "memory://" }),
    PORT: "0",
    SPECSYNC_LOG: process.env.SPECSYNC_TEST_LOG ? "info" : "silent",
    SPECSYNC_CRON: "0 0 1 1 *", // tests run the scheduler by hand
    ...(opts.token ? { SPECSYNC_TOKEN: opts.token } : {}),
    ...opts.env,
  });
  const running = await startServer(env, opts.projects);
  const client = createSpecsyncClient({
    url: running.url,
    token: opts.token,
    actor: "test",
    EventSource: EventSource as unknown as typeof globalThis.EventSource,
  });
  return { ...running, client };
}

/** Poll until `fn` returns a truthy value (or throw after `timeoutMs`). */
export async function waitFor<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 5000,
  what = "condition",
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
