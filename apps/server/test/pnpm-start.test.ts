import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  freePort,
  postgresReachable,
  type TestDb,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Launched, launch, until } from "./process-group";

const REPO = path.resolve(fileURLToPath(import.meta.url), "../../../..");
const pg = await postgresReachable();
if (!pg && process.env.CI)
  throw new Error("PostgreSQL is not reachable; the `pnpm start` test needs it in CI");

// The README's command, from the repository root, with every location setting moved off its
// default: each one must reach the processes (turbo's strict env mode used to drop them all).
describe.skipIf(!pg)("pnpm start honours the settings", () => {
  let db: TestDb;
  let root: string;
  let started: Launched;
  let port: number;
  let webPort: number;

  beforeAll(async () => {
    db = await createTestDb("postgres");
    root = tempRepo();
    writeTree(root, {
      ...changeFiles("add-search", "Add full-text search"),
      ...changeFiles("fix-login", "Fix login redirect"),
    });
    [port, webPort] = [await freePort(), await freePort()];
    const env = {
      ...process.env,
      PORT: String(port),
      WEB_PORT: String(webPort),
      SPECSYNC_PROJECTS: root,
      DATABASE_URL: db.url!,
      SPECSYNC_LOG: "info",
      NEXT_TELEMETRY_DISABLED: "1",
    };
    started = launch("pnpm", ["start"], { cwd: REPO, env });
  }, 60_000);

  afterAll(async () => {
    await started?.stop();
    await db?.drop();
    cleanupTempRepos();
  });

  it("serves the API on PORT for SPECSYNC_PROJECTS, stores rows in DATABASE_URL, and the UI on WEB_PORT", async () => {
    // `pnpm start` builds first (cached by turbo when .ci/run already built).
    const health = await until(
      "API on PORT",
      started,
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        return res.ok
          ? ((await res.json()) as {
              db: { driver: string };
              projects: { rootPath: string; watcher: { state: string } }[];
            })
          : null;
      },
      280_000,
    );
    expect(health.db.driver).toBe("postgres");
    expect(health.projects.map((p) => p.rootPath)).toEqual([root]);

    const rows = await db.database.query<{ name: string }>(
      "select s.name from openspec_specs s join projects p on p.id = s.project_id where p.root_path = $1 and s.deleted_at is null order by s.name",
      [root],
    );
    expect(rows.map((r) => r.name)).toEqual(["add-search", "fix-login"]);

    const html = await until(
      "web UI on WEB_PORT",
      started,
      async () => {
        const res = await fetch(`http://127.0.0.1:${webPort}/`);
        return res.ok ? res.text() : null;
      },
      60_000,
    );
    // The page hands the browser the API's address: derived from PORT, not the default 3100.
    expect(html).toContain(`http://127.0.0.1:${port}`);
    expect(html).not.toContain("127.0.0.1:3100");
  }, 360_000);
});
