#!/usr/bin/env node
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Services } from "@specsync/api";
import type { ProjectRow } from "@specsync/db";
import { embeddedDataDir } from "@specsync/settings";
import { loadEnv, type Env } from "./env";

const USAGE = `specsync — keep an OpenSpec workspace and a database in two-way sync

usage: specsync [command] [options]

commands:
  start   [--project PATH]… [--port N] [--web-port N] [--host H] [--[no-]gitignore] [--no-web]
          the default (plain \`specsync\`): API + web UI on the repository around you, the
          embedded database in <repo>/.specsync/ (offered to .gitignore), URLs printed
  serve   [--project PATH]… [--port N] [--host H]   the API server, watchers and scheduler only
  sync    [--project PATH]… [--json]                 full two-way sync of the projects
  list    [--specs] [--project PATH] [--json]        changes (or specs) from the database, as \`openspec list --json\`
  show    <id> [--type change|spec] [--project PATH] [--json]
                                                    a change or spec from the database, as \`openspec show <id> --json\`
  history [--change ID] [--project PATH] [--limit N] [--json]
  conflicts [--project PATH] [--json]
  migrate [--project PATH]                           apply the database migrations and exit
  help                                               this text (also --help, -h)

The database is DATABASE_URL (postgres://…) or, when unset, an embedded PGlite in SPECSYNC_DATA_DIR.
Projects default to SPECSYNC_PROJECTS, else the repository around the current folder.
Every setting (PORT, WEB_PORT, HOST, DATABASE_URL, SPECSYNC_*) is listed in the README.`;

/** The folder the user ran the command from (pnpm runs root scripts from the repo root). */
const userCwd = (env: Pick<Env, "INIT_CWD">) => env.INIT_CWD ?? process.cwd();

/** Nearest ancestor of the current folder that holds an `openspec/` folder. */
function findRepoRoot(from: string): string | null {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "openspec"))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

export function projectPaths(cliProjects: string[] | undefined, env: Env): string[] {
  if (cliProjects?.length) return cliProjects.map((p) => path.resolve(userCwd(env), p));
  if (env.SPECSYNC_PROJECTS.length) return env.SPECSYNC_PROJECTS.map((p) => path.resolve(userCwd(env), p));
  const root = findRepoRoot(userCwd(env));
  if (!root) throw new Error("no openspec/ folder here or above; pass --project PATH or set SPECSYNC_PROJECTS");
  return [root];
}

const inside = (dir: string, parent: string) => dir === parent || dir.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/** The project that contains `cwd` (the deepest, as openspec takes its nearest root), else the first. */
export function projectAround(cwd: string, projects: string[]): string {
  const here = path.resolve(cwd);
  const around = projects.filter((p) => inside(here, path.resolve(p))).sort((a, b) => b.length - a.length);
  return around[0] ?? projects[0]!;
}

/** A database inside `openspec/` would be synced as a change (or spec) folder of its own. */
function refuseDataDirInWorkspace(dataDir: string, projects: string[]) {
  const dir = path.resolve(dataDir);
  const project = projects.find((p) => inside(dir, path.join(path.resolve(p), "openspec")));
  if (project) throw new Error(`SPECSYNC_DATA_DIR ${dir} is inside ${path.join(project, "openspec")}: it would be synced as part of the workspace. Put it outside openspec/ (the default is ${path.join(project, ".specsync", "pglite")})`);
}

function print(json: boolean, value: unknown, text: () => string) {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + "\n" : text() + "\n");
}

// Loaded on demand: `list`/`show` must not pay for the services, tRPC, chokidar, drizzle migrations.
async function withServices<T>(env: Env, fn: (services: Services) => Promise<T>): Promise<T> {
  const [{ openDatabase }, { createServices }] = await Promise.all([import("./database"), import("@specsync/api")]);
  const database = await openDatabase(env, []);
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
  // No command (or options only): the default command, `start`.
  const [command = "start", ...rest] = argv[0] === undefined || argv[0].startsWith("-") ? ["start", ...argv] : argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      project: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      specs: { type: "boolean", default: false },
      type: { type: "string" },
      change: { type: "string" },
      limit: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "web-port": { type: "string" },
      web: { type: "boolean", default: true },
      gitignore: { type: "boolean" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowNegative: true,
  });
  if (values.help || command === "help") {
    console.log(USAGE);
    return 0;
  }
  // Flags win over the environment; derived defaults (the web app's API URL, CORS origins) follow them.
  const flag = (v: string | undefined, name: string) => {
    if (v !== undefined && (!/^\d+$/.test(v) || Number(v) > 65535)) throw new Error(`--${name} must be a port number (0-65535)`);
    return v;
  };
  const overrides = Object.fromEntries(
    Object.entries({ PORT: flag(values.port, "port"), WEB_PORT: flag(values["web-port"], "web-port"), HOST: values.host }).filter(([, v]) => v !== undefined),
  );
  const env = loadEnv(undefined, overrides);
  const paths = () => projectPaths(values.project, env);
  // Like `openspec list/show` outside any workspace: its "no root" answer, not an error of ours.
  if ((command === "list" || command === "show") && !values.project?.length && !env.SPECSYNC_PROJECTS.length && !findRepoRoot(userCwd(env))) {
    const { noRootOutput } = await import("@specsync/api/openspec-output");
    const result = noRootOutput(command === "list" ? { command, specs: values.specs } : { command, id: positionals[0], type: values.type }, userCwd(env));
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    return result.exitCode;
  }
  // The embedded database lives next to the first project unless told otherwise; relative paths are from where you ran specsync.
  if (!env.DATABASE_URL) {
    env.SPECSYNC_DATA_DIR = embeddedDataDir(env.SPECSYNC_DATA_DIR, env.SPECSYNC_DATA_DIR ? "" : paths()[0]!, userCwd(env));
    if (!env.SPECSYNC_DATA_DIR.startsWith("memory://")) refuseDataDirInWorkspace(env.SPECSYNC_DATA_DIR, paths());
  }

  switch (command) {
    case "start": {
      const { start } = await import("./start");
      await start(env, paths(), {
        gitignore: values.gitignore === undefined ? "ask" : values.gitignore ? "add" : "skip",
        web: values.web,
      });
      return 0;
    }
    case "migrate": {
      const { openDatabase } = await import("./database");
      const database = await openDatabase(env, []);
      await database.close();
      console.log(`migrations applied (${database.driver === "pglite" ? `embedded PGlite in ${env.SPECSYNC_DATA_DIR}` : "PostgreSQL"})`);
      return 0;
    }
    case "serve": {
      const { serve } = await import("./serve");
      await serve(env, paths());
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
    case "show": {
      const [{ openspecOutput, humanText }, { normalizeType }] = await Promise.all([import("./commands/openspec-output"), import("@specsync/api/openspec-output")]);
      const req = command === "list" ? { command, specs: values.specs } : { command, id: positionals[0], type: normalizeType(values.type) };
      const result = await openspecOutput(req, projectAround(userCwd(env), paths()), env);
      process.stdout.write(values.json ? result.stdout : humanText(req, result));
      process.stderr.write(result.stderr);
      return result.exitCode;
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
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 1;
  }
}

/** Run the CLI as a process: exit with its code, except the servers, which run until a signal. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => {
      const command = argv[0] === undefined || argv[0].startsWith("-") ? "start" : argv[0];
      if (!["serve", "start"].includes(command) || argv.includes("--help") || argv.includes("-h")) process.exit(code);
    },
    (err) => {
      console.error(`specsync: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

const invokedDirectly = process.argv[1] && /cli\.(ts|js|mjs)$/.test(process.argv[1]);
if (invokedDirectly) run(process.argv.slice(2));
