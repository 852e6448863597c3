/**
 * `specs.list` throughput (issue #17): the web UI's changes page request (page of 50, facets on),
 * sent as the typed client sends it (tRPC GET batch, superjson input) by 50 concurrent callers
 * (autocannon) to the real HTTP server, loopback only, bounded in time and count.
 * The repository is the real corpus (../shared/corpora/openspec-repo, ~110 change folders) copied
 * to a temp dir; when it is absent (a user's clone), a generated 110-change workspace.
 */

import { once } from "node:events";
import { cpSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { createServices } from "@specsync/api";
import { generateWorkspace, type Pool } from "@specsync/api/testing";
import { createHttpServer } from "@specsync/server/http";
import autocannon from "autocannon";
import superjson from "superjson";

const CORPUS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../shared/corpora/openspec-repo",
);

/** A 110-folder workspace root: the real corpus copied, or generated when absent. */
export function listWorkspace(scratch: string, pool: () => Pool): { root: string; from: string } {
  const root = mkdtempSync(path.join(scratch, "ws-list-"));
  const corpus = process.env.SPECSYNC_BENCH_CORPUS ?? CORPUS;
  if (existsSync(path.join(corpus, "changes"))) {
    mkdirSync(path.join(root, "openspec"));
    cpSync(corpus, path.join(root, "openspec"), { recursive: true });
    return { root, from: "real corpus" };
  }
  generateWorkspace(root, { changes: 110, seed: 17 }, pool());
  return { root, from: "generated" };
}

/** The URL `trpc.specs.list.queryOptions(changesListInput(view))` fetches for page 0. */
export function listUrl(base: string, projectId: string): string {
  const input = {
    kind: "change",
    projectId,
    limit: 50,
    cursor: 0,
    withFacets: true,
  };
  const batch = JSON.stringify({ 0: superjson.serialize(input) });
  return `${base}/trpc/specs.list?batch=1&input=${encodeURIComponent(batch)}`;
}

export type ListThroughput = {
  rps: number;
  p50: number;
  p99: number;
  bytes: number;
  items: number;
};

export async function listThroughput(
  services: ReturnType<typeof createServices>,
  projectId: string,
  opts: { seconds: number; connections: number },
): Promise<ListThroughput> {
  const tracked = trackList(services);
  const server = createHttpServer({ services: tracked.services, token: null, allowedOrigins: [] });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const url = listUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, projectId);
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`specs.list: HTTP ${res.status} ${body.slice(0, 200)}`);
    const parsed = superjson.deserialize(JSON.parse(body)[0].result.data) as { items: unknown[] };
    const items = parsed.items.length;
    process.stderr.write(`[bench] specs.list pre-flight: ${res.status}, ${items} items\n`);
    const result = await autocannon({
      url,
      connections: opts.connections,
      duration: opts.seconds,
      // PGlite answers one query at a time: 50 queued callers wait longer than the 10 s default.
      timeout: 60,
      // Bounded by duration; autocannon's `amount` would override it (the first runs hung on it).
      // The callers run in a worker thread, as a separate load generator would: in this process
      // they shared the server's event loop (43 % of its allocations were autocannon's own).
      workers: 1,
    });
    if (result.non2xx || result.errors) {
      throw new Error(
        `specs.list under load: ${result.non2xx} non-2xx, ${result.errors} errors` +
          ` (${result.timeouts} timeouts)`,
      );
    }
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      bytes: Buffer.byteLength(body),
      items,
    };
  } finally {
    // autocannon drops its sockets at the deadline, so the server's "close" comes while handlers
    // still query the database; the caller drops it right after, so wait for the calls too.
    const closed = once(server, "close");
    server.close();
    server.closeAllConnections();
    await closed;
    await tracked.idle();
  }
}

/**
 * `services` with `specs.list` counted while it runs, and `idle()`: resolves once no call is in
 * flight (a client hanging up does not stop the handler's queries).
 */
function trackList(services: ReturnType<typeof createServices>) {
  let inFlight = 0;
  let wake: (() => void) | null = null;
  const list: typeof services.specs.list = async (...a) => {
    inFlight++;
    try {
      return await services.specs.list(...a);
    } finally {
      inFlight--;
      if (inFlight === 0) wake?.();
    }
  };
  const specs = new Proxy(services.specs, {
    get: (target, key) => {
      if (key === "list") return list;
      const v: unknown = Reflect.get(target, key);
      // Bound to the real service (private fields do not work through a Proxy receiver).
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return {
    services: { ...services, specs },
    idle: async () => {
      while (inFlight > 0) await new Promise<void>((r) => (wake = r));
    },
  };
}
