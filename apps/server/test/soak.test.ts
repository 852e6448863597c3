import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  PROPOSAL,
  postgresReachable,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { createDb, type Database, openspecSpecs, syncHistory } from "@specsync/db";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing";

/**
 * Soak: thousands of random operations — disk edits in every editor style, UI edits and task
 * toggles, new folders, archives, un-archives, deletes, renames, server restarts — run in small
 * concurrent bursts against a real server. At every checkpoint the watcher alone must bring the
 * database to the files; at the end every version the database ever held (each UI edit, each
 * checkpointed file) must still be somewhere in the database: a live row, a deleted row, or a
 * history row's previous content.
 */
afterAll(cleanupTempRepos);
const pgOk = await postgresReachable();
if (!pgOk && process.env.CI) throw new Error("PostgreSQL must be reachable in CI");

const OPS = Number(process.env.SPECSYNC_SOAK_OPS ?? 10_000);
const PGLITE_OPS = Number(process.env.SPECSYNC_SOAK_OPS_PGLITE ?? Math.ceil(OPS / 5));
const SEED = Number(process.env.SPECSYNC_SOAK_SEED ?? Date.now() % 1_000_000);
const CHECK_EVERY = 500;
const RESTART_EVERY = 1_000;
const TRACKED = ["proposal.md", "tasks.md", "design.md"] as const;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with SPECSYNC_SOAK_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

const content = (file: string, tag: string) =>
  file === "proposal.md"
    ? PROPOSAL(`soak ${tag}`, `- Edit ${tag}.\n`)
    : file === "tasks.md"
      ? `## 1. Work\n- [ ] 1.1 First ${tag}\n- [x] 1.2 Second\n- [ ] 1.3 Third\n`
      : `## Context\nDesign ${tag}.\n`;

/**
 * Tracked files of a change folder, as the engine defines them (top-level docs and delta specs).
 */
function folderFiles(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of [...TRACKED, ".openspec.yaml"]) {
    const p = path.join(folder, f);
    if (existsSync(p)) out[f] = readFileSync(p, "utf8");
  }
  const specs = path.join(folder, "specs");
  if (existsSync(specs))
    for (const cap of readdirSync(specs))
      if (existsSync(path.join(specs, cap, "spec.md")))
        out[`specs/${cap}/spec.md`] = readFileSync(path.join(specs, cap, "spec.md"), "utf8");
  return out;
}

function changeFolders(root: string): string[] {
  const changes = path.join(root, "openspec/changes");
  const active = readdirSync(changes)
    .filter((n) => n !== "archive" && !n.startsWith("."))
    .map((n) => `changes/${n}`);
  const archived = readdirSync(path.join(changes, "archive"))
    .filter((n) => !n.startsWith("."))
    .map((n) => `changes/archive/${n}`);
  return [...active, ...archived];
}

type Stats = Record<string, number>;

async function soak(driver: "pglite" | "postgres", ops: number) {
  const r = rng(SEED);
  const testDb = driver === "postgres" ? await createTestDb("postgres") : null;
  const dataDir =
    driver === "pglite" ? mkdtempSync(path.join(tmpdir(), "specsync-soak-pglite-")) : null;
  const root = tempRepo();
  for (let i = 0; i < 20; i++) writeTree(root, changeFiles(`soak-${i}`));
  const start = () =>
    startTestServer({
      databaseUrl: testDb?.url ?? null,
      projects: [root],
      env: dataDir ? { SPECSYNC_DATA_DIR: dataDir } : {},
    });
  let server: TestServer = await start();
  const stats: Stats = {};
  const count = (k: string) => (stats[k] = (stats[k] ?? 0) + 1);
  /** `file\0content` of every version the database is known to have held. */
  const known = new Set<string>();
  const ids = new Map<string, string>(); // folder path → row id
  const abs = (rel: string) => path.join(root, "openspec", rel);
  const started = Date.now();

  async function refreshIds() {
    ids.clear();
    for (let cursor: number | null = 0; cursor !== null; ) {
      const page: Awaited<ReturnType<typeof server.client.specs.list.query>> =
        await server.client.specs.list.query({ kind: "change", limit: 200, cursor });
      for (const item of page.items) ids.set(item.path, item.id);
      cursor = page.nextCursor;
    }
  }

  /**
   * Wait until the watcher alone has brought every folder into the database, then record what
   * it holds.
   */
  async function checkpoint(label: string) {
    const deadline = Date.now() + 20_000;
    let problems: string[] = [];
    for (;;) {
      problems = [];
      await refreshIds();
      const folders = changeFolders(root);
      for (const p of [...ids.keys()])
        if (!folders.includes(p)) problems.push(`${p}: row is live but the folder is gone`);
      for (const folder of folders) {
        const temps = readdirSync(abs(folder)).filter((f) => f.startsWith(".specsync-"));
        if (temps.length) problems.push(`${folder}: temp files left: ${temps.join(", ")}`);
        const id = ids.get(folder);
        if (!id) {
          problems.push(`${folder}: no row`);
          continue;
        }
        const got = await server.client.specs.get.query({ id }).catch(() => null);
        if (!got) {
          problems.push(`${folder}: row unreadable`);
          continue;
        }
        const disk = folderFiles(abs(folder));
        const names = [...new Set([...Object.keys(disk), ...Object.keys(got.files)])];
        const differ = names.filter((k) => disk[k] !== got.files[k]);
        if (differ.length)
          problems.push(`${folder}: database differs from disk in ${differ.join(", ")}`);
        if (got.pendingFiles.length)
          problems.push(`${folder}: pending ${got.pendingFiles.join(", ")}`);
        if (problems.length === 0)
          for (const [f, c] of Object.entries(disk)) known.add(`${f}\0${c}`);
      }
      if (problems.length === 0) return;
      if (Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    if (process.env.SPECSYNC_SOAK_DEBUG) {
      for (const p of problems.slice(0, 3)) {
        const id = ids.get(p.split(":")[0]!);
        if (!id) continue;
        const h = await server.client.sync.history.query({ specId: id, limit: 20 });
        console.log(
          p,
          JSON.stringify(
            h.items.map((x) => [
              x.id,
              x.action,
              x.trigger,
              x.direction,
              x.filesChanged,
              x.error,
              x.createdAt,
            ]),
          ),
        );
        console.log(
          changeFolders(root).filter((f) =>
            f.includes(p.split(":")[0]!.split("/").pop()!.slice(0, 12)),
          ),
        );
      }
    }
    throw new Error(
      `checkpoint ${label} (seed ${SEED}): not converged after 20 s:\n${problems.slice(0, 20).join("\n")}`,
    );
  }

  const tolerate = (err: unknown) => {
    const code =
      (err as { code?: string; data?: { code?: string } }).data?.code ??
      (err as { code?: string }).code;
    if (
      code === "ENOENT" ||
      code === "ENOTEMPTY" ||
      code === "EEXIST" ||
      code === "CONFLICT" ||
      code === "NOT_FOUND"
    ) {
      count(`skipped:${code}`);
      return;
    }
    throw err;
  };

  const activeFolders = () =>
    readdirSync(abs("changes")).filter((n) => n !== "archive" && !n.startsWith("."));
  const archivedFolders = () =>
    readdirSync(abs("changes/archive")).filter((n) => !n.startsWith("."));

  async function op(n: number): Promise<void> {
    const active = activeFolders();
    const tag = `op${n}-${r.int(1e9)}`;
    const roll = r.next();
    try {
      if (roll < 0.34 && active.length) {
        // Disk edit in one of the ways editors and agents save.
        const file = r.pick(TRACKED);
        const target = abs(`changes/${r.pick(active)}/${file}`);
        const text = content(file, tag);
        const style = r.pick([
          "in_place",
          "atomic_rename",
          "vim_backup",
          "delete_recreate",
        ] as const);
        count(`disk:${style}`);
        if (style === "in_place") writeFileSync(target, text);
        else if (style === "atomic_rename") {
          const temp = `${target}.${n}.tmp`;
          writeFileSync(temp, text);
          try {
            renameSync(temp, target);
          } catch (err) {
            rmSync(temp, { force: true });
            throw err;
          }
        } else if (style === "vim_backup") {
          if (existsSync(target)) renameSync(target, `${target}~`);
          writeFileSync(target, text);
          rmSync(`${target}~`, { force: true });
        } else {
          rmSync(target, { force: true });
          writeFileSync(target, text);
        }
      } else if (roll < 0.6 && ids.size) {
        // UI edit through the API, on the version the user loaded.
        const id = r.pick([...ids.values()]);
        const got = await server.client.specs.get.query({ id });
        const file = r.pick(TRACKED);
        const text = content(file, `${tag}-ui`);
        // What was written: the text as sent, or merged with a disk edit made since it was loaded.
        const saved = await server.client.specs.update.mutate({
          id,
          file,
          content: text,
          baseHash: got.contentHashes[file] ?? null,
        });
        known.add(`${file}\0${saved.content}`);
        count("ui:update");
      } else if (roll < 0.68 && ids.size) {
        const id = r.pick([...ids.values()]);
        const got = await server.client.specs.get.query({ id });
        if (!got.tasks.length || !got.contentHashes["tasks.md"])
          return void count("ui:toggle-none");
        const task = r.pick(got.tasks);
        await server.client.specs.toggleTask.mutate({
          id,
          taskId: task.id,
          done: !task.done,
          baseHash: got.contentHashes["tasks.md"],
        });
        count("ui:toggle");
      } else if (roll < 0.76) {
        if (active.length > 40) return void count("create-skipped");
        writeTree(root, {
          ...changeFiles(`soak-${tag}`),
          [`changes/soak-${tag}/proposal.md`]: content("proposal.md", tag),
        });
        count("create");
      } else if (roll < 0.82 && active.length) {
        // What `openspec archive` does: move to archive/<date>-<id>.
        const name = r.pick(active);
        const target = abs(`changes/archive/2026-11-${10 + r.int(18)}-${name}`);
        if (existsSync(target)) return void count("archive-skipped");
        renameSync(abs(`changes/${name}`), target);
        count("archive");
      } else if (roll < 0.85) {
        const archived = archivedFolders();
        if (!archived.length) return;
        const dir = r.pick(archived);
        const name = dir.replace(/^\d{4}-\d{2}-\d{2}-/, "");
        if (existsSync(abs(`changes/${name}`))) return void count("unarchive-skipped");
        renameSync(abs(`changes/archive/${dir}`), abs(`changes/${name}`));
        count("unarchive");
      } else if (roll < 0.9) {
        const all = [
          ...active.map((a) => `changes/${a}`),
          ...archivedFolders().map((a) => `changes/archive/${a}`),
        ];
        if (all.length < 10) return void count("delete-skipped");
        rmSync(abs(r.pick(all)), { recursive: true });
        count("delete-folder");
      } else if (roll < 0.95 && active.length) {
        const name = r.pick(active);
        renameSync(
          abs(`changes/${name}`),
          abs(`changes/${name.length > 60 ? `soak-${tag}` : `${name}-r${n}`}`),
        );
        count("rename");
      } else if (active.length) {
        const target = abs(`changes/${r.pick(active)}/design.md`);
        if (!existsSync(target)) return void count("delete-file-none");
        unlinkSync(target);
        count("delete-file");
      }
    } catch (err) {
      tolerate(err);
    }
  }

  try {
    await checkpoint("start");
    for (let n = 0; n < ops; ) {
      // A burst of 1–3 operations in flight at once, sometimes with a pause that lets the watcher
      // run mid-burst.
      const burst = Math.min(1 + r.int(3), ops - n);
      await Promise.all(Array.from({ length: burst }, (_, i) => op(n + i)));
      n += burst;
      if (r.next() < 0.1) await new Promise((res) => setTimeout(res, r.int(6)));
      if (n % 100 < burst) await refreshIds(); // what a user's list page would show
      if (Math.floor(n / RESTART_EVERY) !== Math.floor((n - burst) / RESTART_EVERY) && n < ops) {
        // A restart with the watcher's queue in whatever state the burst left it.
        await server.stop();
        server = await start();
        count("restart");
      }
      if (Math.floor(n / CHECK_EVERY) !== Math.floor((n - burst) / CHECK_EVERY) || n === ops)
        await checkpoint(`after op ${n}`);
    }
  } finally {
    await server.stop();
  }

  // Every version the database held must still be recoverable from it.
  const database: Database = testDb?.database ?? (await createDb({ dataDir: dataDir! }));
  try {
    const held = new Set<string>();
    const rows = await database.db.select().from(openspecSpecs);
    for (const row of rows) {
      const files: [string, string | null][] = [
        ["proposal.md", row.proposalContent],
        ["tasks.md", row.tasksContent],
        ["design.md", row.designContent],
        [".openspec.yaml", row.metaContent],
      ];
      for (const [cap, c] of Object.entries(row.deltaSpecs))
        files.push([`specs/${cap}/spec.md`, c]);
      for (const [f, c] of files) if (c !== null) held.add(`${f}\0${c}`);
    }
    for (const h of await database.db
      .select({ previous: syncHistory.previousContent })
      .from(syncHistory)) {
      for (const [f, c] of Object.entries(h.previous ?? {})) if (c !== null) held.add(`${f}\0${c}`);
    }
    const lost = [...known].filter((k) => !held.has(k));
    const historyRows = (
      await database.query<{ n: number }>("select count(*)::int as n from sync_history")
    )[0]!.n;
    const summary = {
      driver,
      seed: SEED,
      ops,
      seconds: Math.round((Date.now() - started) / 1000),
      versionsTracked: known.size,
      lost: lost.length,
      rows: rows.length,
      historyRows,
      ...stats,
    };
    console.log(`soak ${JSON.stringify(summary)}`);
    expect(
      lost.map((k) => k.slice(0, 120)),
      `versions lost (seed ${SEED})`,
    ).toEqual([]);
    expect(stats["restart"] ?? 0).toBe(Math.ceil(ops / RESTART_EVERY) - 1);
  } finally {
    if (testDb) await testDb.drop();
    else {
      await database.close();
      rmSync(dataDir!, { recursive: true, force: true });
    }
  }
}

describe("soak", () => {
  it.skipIf(!pgOk)(
    `${OPS} random operations on PostgreSQL: watcher converges at every checkpoint, no version lost`,
    () => soak("postgres", OPS),
    900_000,
  );
  it(
    `${PGLITE_OPS} random operations on PGlite: same invariants`,
    () => soak("pglite", PGLITE_OPS),
    900_000,
  );
});
