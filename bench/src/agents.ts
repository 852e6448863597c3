import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Services } from "@specsync/api";
import type { SpecsyncClient } from "@specsync/api/client";
import { prng } from "@specsync/api/testing";
import type { ProjectRow } from "@specsync/db";
import { sql } from "drizzle-orm";
import { REPO, timeMany } from "./measure";
import { must } from "./must";

/**
 * The agent queue's state for the bench: on the active changes (the generator's deltas already make
 * overlaps), priorities and statuses at random (half approved or assigned, a tenth in progress), a
 * dependency for a third of them (on an older change: no cycles), and a few live claims.
 */
export async function seedAgentState(services: Services, project: ProjectRow, seed = 7) {
  const rand = prng(seed);
  const db = services.database.db;
  const active = (await db.execute(
    sql`select id from openspec_specs where project_id = ${project.id} and kind = 'change' and not archived order by name`,
  )) as unknown;
  const ids = (Array.isArray(active) ? active : (active as { rows: unknown[] }).rows).map(
    (r) => (r as { id: string }).id,
  );
  const statuses = [
    "approved",
    "assigned",
    "approved",
    "assigned",
    "approved",
    "in_progress",
    "proposing",
    "review",
    "proposing",
    "applied",
  ];
  const priorities = ["critical", "high", "medium", "low", "none"];
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    await Promise.all(
      chunk.map((id) => {
        const p = Math.floor(rand() * priorities.length);
        return db.execute(
          sql`update openspec_specs set status = ${statuses[Math.floor(rand() * statuses.length)]}, priority = ${priorities[p]}, priority_rank = ${p} where id = ${id}`,
        );
      }),
    );
  }
  let deps = 0;
  for (let i = 1; i < ids.length; i++) {
    if (rand() < 1 / 3) {
      await services.dependencies.add({
        id: must(ids[i], "change id"),
        dependsOn: must(ids[Math.floor(rand() * i)], "change id"),
      });
      deps++;
    }
  }
  for (let i = 0; i < 20; i++)
    await services.claims
      .claim({
        id: must(ids[Math.floor(rand() * ids.length)], "change id"),
        owner: `seed-agent-${i}`,
        leaseSeconds: 3600,
      })
      .catch(() => null);
  return { active: ids.length, dependencies: deps };
}

/** next_work with claim over HTTP (each call hands out and claims a new change). */
export async function nextWorkWithClaim(
  client: SpecsyncClient,
  projectId: string,
  samples: number,
) {
  let n = 0;
  return timeMany(samples, () =>
    client.agents.nextWork.mutate({
      projectId,
      owner: `bench-agent-${n++}`,
      claim: true,
      leaseSeconds: 600,
    }),
  );
}

/** overlaps(changeId) in the service, over different active changes. */
export async function overlapOne(services: Services, ids: string[], samples: number) {
  return timeMany(samples, (i) =>
    services.overlaps.forChange(must(ids[i % ids.length], "change id")),
  );
}

/**
 * The real `specsync mcp` process over stdio, driven by the SDK's client: list_changes round
 * trips.
 */
export async function mcpStdioListChanges(
  root: string,
  env: Record<string, string>,
  samples: number,
) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    // The flags of the `specsync` script and bin (package.json): one V8 worker thread.
    args: [
      "--optimize-for-size",
      "--v8-pool-size=1",
      "--import",
      "tsx",
      path.join(REPO, "apps/server/src/cli.ts"),
      "mcp",
      "--project",
      root,
    ],
    cwd: path.join(REPO, "apps/server"),
    env: {
      ...(process.env as Record<string, string>),
      ...env,
      SPECSYNC_LOG: "silent",
      SPECSYNC_CRON: "0 0 1 1 *",
    },
    stderr: "ignore",
  });
  const client = new Client({ name: "specsync-bench", version: "1.0.0" });
  await client.connect(transport);
  try {
    return await timeMany(samples, async (i) => {
      const res = await client.callTool({
        name: "list_changes",
        arguments: { limit: 20, ...(i % 2 ? { status: ["approved"] } : {}) },
      });
      if (res.isError) throw new Error(`list_changes failed: ${JSON.stringify(res.content)}`);
    });
  } finally {
    await client.close();
  }
}
