#!/usr/bin/env node
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { createServices, errorMessage, type Services } from "@specsync/api";
import type { ProjectRow } from "@specsync/db";
import { openDatabase } from "./database";
import { loadEnv, type Env } from "./env";

const USAGE = `specsync — keep an OpenSpec workspace and a database in two-way sync

usage: specsync <command> [options]

commands:
  serve   [--project PATH]… [--port N] [--host H]   run the API server, watchers and scheduler
  sync    [--project PATH]… [--json]                 full two-way sync of the projects
  list    [--specs] [--project PATH] [--json]        changes (or specs) from the database, as \`openspec list --json\`
  show    <id> [--project PATH] [--json]             a change or spec from the database, as \`openspec show <id> --json\`
  history [--change ID] [--project PATH] [--limit N] [--json]
  conflicts [--project PATH] [--json]
  mcp     [--project PATH]                            MCP server on stdio (for Claude Code, Cursor, Codex…)
  next    [--owner NAME [--claim] [--lease S]] [--explain] [--project PATH] [--json]
                                                     the next change to work on (--claim takes it atomically)
  claim   <change> --owner NAME [--lease S] [--project PATH] [--json]   claim or renew (lease 10 s … 24 h, default 900 s)
  release <change> --owner NAME [--project PATH] [--json]

The database is DATABASE_URL (postgres://…) or, when unset, an embedded PGlite in SPECSYNC_DATA_DIR.
Projects default to SPECSYNC_PROJECTS, else the repository around the current folder.`;

/** The folder the user ran the command from (pnpm runs root scripts from the repo root). */
const userCwd = () => process.env.INIT_CWD ?? process.cwd();

/** Nearest ancestor of the current folder that holds an `openspec/` folder. */
function findRepoRoot(from: string): string | null {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "openspec"))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

export function projectPaths(cliProjects: string[] | undefined, env: Env): string[] {
  if (cliProjects?.length) return cliProjects.map((p) => path.resolve(userCwd(), p));
  if (env.SPECSYNC_PROJECTS.length) return env.SPECSYNC_PROJECTS.map((p) => path.resolve(userCwd(), p));
  const root = findRepoRoot(userCwd());
  if (!root) throw new Error("no openspec/ folder here or above; pass --project PATH or set SPECSYNC_PROJECTS");
  return [root];
}

/** `--lease S` as a number; a malformed value reaches the validator and gets its message. */
const lease = (v: string | undefined) => (v === undefined ? {} : { leaseSeconds: /^\d+$/.test(v) ? Number(v) : Number.NaN });

function print(json: boolean, value: unknown, text: () => string) {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + "\n" : text() + "\n");
}

async function withServices<T>(env: Env, fn: (services: Services) => Promise<T>): Promise<T> {
  const database = await openDatabase(env);
  try {
    return await fn(createServices(database, { allowedRoots: env.SPECSYNC_ALLOWED_ROOTS }));
  } finally {
    await database.close();
  }
}

async function projectsFor(services: Services, paths: string[]): Promise<ProjectRow[]> {
  return Promise.all(paths.map((p) => services.sync.ensureProject(p)));
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      project: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      specs: { type: "boolean", default: false },
      change: { type: "string" },
      limit: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      owner: { type: "string" },
      lease: { type: "string" },
      claim: { type: "boolean", default: false },
      explain: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (!command || values.help || command === "help") {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  const env = loadEnv();
  const paths = () => projectPaths(values.project, env);
  // The embedded database lives next to the first project unless told otherwise; relative paths are from where you ran specsync.
  if (!env.DATABASE_URL) {
    env.SPECSYNC_DATA_DIR = env.SPECSYNC_DATA_DIR
      ? env.SPECSYNC_DATA_DIR.startsWith("memory://") ? env.SPECSYNC_DATA_DIR : path.resolve(userCwd(), env.SPECSYNC_DATA_DIR)
      : path.join(paths()[0]!, ".specsync", "pglite");
  }

  switch (command) {
    case "serve": {
      const { serve } = await import("./serve");
      await serve({ ...env, ...(values.port ? { PORT: Number(values.port) } : {}), ...(values.host ? { HOST: values.host } : {}) }, paths());
      return 0;
    }
    case "sync":
      return withServices(env, async (s) => {
        let failed = 0;
        const results: { project: string; total: number; changed: number; failed: number; errors: { path: string; error: string | undefined }[] }[] = [];
        for (const project of await projectsFor(s, paths())) {
          const summary = await s.sync.syncProject(project, "manual");
          failed += summary.failed;
          results.push({ project: project.rootPath, total: summary.total, changed: summary.changed, failed: summary.failed, errors: summary.outcomes.filter((o) => !o.success).map((o) => ({ path: o.path, error: o.error })) });
        }
        print(values.json, { projects: results }, () =>
          results.map((r) => `${r.project}: ${r.total} folders, ${r.changed} changed, ${r.failed} failed` + r.errors.map((e) => `\n  ✗ ${e.path}: ${e.error}`).join("")).join("\n"),
        );
        return failed ? 2 : 0;
      });
    case "list":
      return withServices(env, async (s) => {
        const [project] = await projectsFor(s, paths().slice(0, 1));
        if (values.specs) {
          const specs = await s.specs.cliListSpecs(project!.id);
          print(values.json, { specs }, () => specs.map((x) => `${x.id}  requirements ${x.requirementCount}`).join("\n") || "No specs found.");
        } else {
          const changes = await s.specs.cliListChanges(project!.id);
          print(values.json, { changes }, () => changes.map((c) => `${c.name}  ${c.totalTasks ? `${c.completedTasks}/${c.totalTasks} tasks` : "No tasks"}`).join("\n") || "No active changes found.");
        }
        return 0;
      });
    case "show": {
      const id = positionals[0];
      if (!id) throw new Error("usage: specsync show <id> [--json]");
      return withServices(env, async (s) => {
        const [project] = await projectsFor(s, paths().slice(0, 1));
        const shown = await s.specs.cliShow(project!.id, id);
        print(values.json, shown, () => JSON.stringify(shown, null, 2));
        return 0;
      });
    }
    case "history":
      return withServices(env, async (s) => {
        const [project] = await projectsFor(s, paths().slice(0, 1));
        let specId: string | undefined;
        if (values.change) {
          const found = await s.specs.list({ projectId: project!.id, kind: "change", search: values.change, limit: 200 });
          specId = found.items.find((i) => i.name === values.change)?.id;
          if (!specId) throw new Error(`no change named ${values.change}`);
        }
        const page = await s.history.list({ projectId: project!.id, specId, limit: values.limit ? Number(values.limit) : 50 });
        const items = page.items.map(({ previousContent, ...h }) => ({ ...h, keptFiles: Object.keys(previousContent ?? {}) }));
        print(values.json, { items, nextCursor: page.nextCursor }, () =>
          items.map((h) => `#${h.id} ${h.createdAt.toISOString()} ${h.name ?? "-"} ${h.direction} ${h.trigger} ${h.action} ${h.success ? "ok" : "FAILED: " + h.error} ${h.filesChanged.join(",")}`).join("\n") || "No history.",
        );
        return 0;
      });
    case "conflicts":
      return withServices(env, async (s) => {
        const [project] = await projectsFor(s, paths().slice(0, 1));
        const open = (await s.specs.conflicts(project!.id)).map((r) => ({ id: r.id, name: r.name, path: r.path, conflict: r.conflict, pendingFiles: r.pendingFiles }));
        print(values.json, { conflicts: open }, () => open.map((c) => `${c.name}: ${c.conflict ? `conflict on ${c.conflict.files.join(", ")} (disk version kept; database version in history #${c.conflict.historyId})` : ""}${c.pendingFiles.length ? ` pending flush: ${c.pendingFiles.join(", ")}` : ""}`).join("\n") || "No conflicts.");
        return 0;
      });
    case "mcp": {
      const { runMcpStdio } = await import("./mcp-stdio");
      await runMcpStdio(env, paths().slice(0, 1));
      return 0;
    }
    case "next":
      return withServices(env, async (s) => {
        const [project] = await projectsFor(s, paths().slice(0, 1));
        const res = await s.workQueue.next({ projectId: project!.id, owner: values.owner, claim: values.claim, explain: values.explain, ...lease(values.lease) });
        print(values.json, res, () =>
          [res.change ? `${res.change.name}  ${res.change.priority}  ${res.change.tasksCompleted}/${res.change.tasksTotal} tasks${res.claim ? `  claimed by ${res.claim.owner} until ${new Date(res.claim.expiresAt).toISOString()}` : ""}` : "nothing to start", `  ${res.reason}`, ...(res.skipped ?? []).map((k) => `  skipped ${k.name}: ${k.reason}`)].join("\n"),
        );
        return res.change ? 0 : 3;
      });
    case "claim":
    case "release": {
      const ref = positionals[0];
      if (!ref || !values.owner) throw new Error(`usage: specsync ${command} <change> --owner NAME`);
      return withServices(env, async (s) => {
        const [project] = await projectsFor(s, paths().slice(0, 1));
        const change = await s.changes.resolve(ref, project!.id);
        if (command === "release") {
          const res = await s.claims.release({ id: change.id, owner: values.owner! });
          print(values.json, res, () => `${res.name} released`);
        } else {
          const res = await s.claims.claim({ id: change.id, owner: values.owner!, ...lease(values.lease) });
          print(values.json, res, () => `${res.name} ${res.renewed ? "renewed" : "claimed"} by ${res.claim.owner} until ${res.claim.expiresAt.toISOString()}`);
        }
        return 0;
      });
    }
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 1;
  }
}

const invokedDirectly = process.argv[1] && /cli\.(ts|js|mjs)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (process.argv[2] !== "serve") process.exit(code);
    },
    (err) => {
      // Validation errors name each bad field instead of printing zod's JSON.
      const message = err instanceof ZodError ? err.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ") : errorMessage(err);
      console.error(`specsync: ${message}`);
      process.exit(1);
    },
  );
}
