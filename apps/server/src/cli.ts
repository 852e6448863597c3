#!/usr/bin/env node
import path from "node:path";
import { parseArgs } from "node:util";
import type { Services } from "@specsync/api";
import type { ProjectRow } from "@specsync/db";
import { embeddedDataDir } from "@specsync/settings";
import { oneProjectOnly, showArgumentCount, tooManyArguments } from "./cli-args";
import { cliErrorMessage, errorResult, usageError, wantsJson } from "./commands/cli-error";
import type { LifecycleCommand, LifecycleRequest } from "./commands/lifecycle";
import { type Env, loadEnv } from "./env";
import { firstPath } from "./first-path";
import { canonical, checkProjectDir, isDirectory, ProjectDirError } from "./project-dir";
import { installShutdown, type Shutdown, StartupAborted } from "./shutdown";

const USAGE = `specsync — keep an OpenSpec workspace and a database in two-way sync

usage: specsync [command] [options]

commands:
  start   [--project PATH]… [--port N] [--web-port N] [--host H] [--[no-]gitignore] [--no-web]
          the default (plain \`specsync\`): API + web UI on the repository around you, the
          embedded database in <repo>/.specsync/ (offered to .gitignore), URLs printed
  serve   [--project PATH]… [--port N] [--host H]   the API server, watchers and scheduler only
  sync    [--project PATH]… [--json]                 full two-way sync of the projects
  list    [--specs] [--sort recent|name] [--project PATH] [--json]
                                                    changes (or specs), as \`openspec list --json\`: asked of the
                                                    running server, else read from the files (database untouched)
  show    <id> [--type change|spec] [--project PATH] [--json]
                                                    a change or spec, as \`openspec show <id> [--json]\`: without
                                                    --json its proposal.md / spec.md, read from the files
  history [--change ID] [--project PATH] [--limit N] [--json]
  conflicts [--project PATH] [--json]
  new     <name> [--goal TEXT] [--project PATH] [--json]   \`openspec new change <name>\`, recorded in history
  validate <change> [--project PATH] [--json]              \`openspec validate <change> --strict\`; findings stored on the change
  archive <change> [--skip-specs] [--preview] [--owner NAME] [--force] [--project PATH] [--json]
                                                   \`openspec archive <change> --yes\`; --preview prints what it would do to the specs;
                                                   a change someone else claimed needs --force (their claim ends)
  mcp     [--project PATH]                           MCP server on stdio (for Claude Code, Cursor, Codex…)
  next    [--owner NAME [--claim] [--lease S]] [--explain] [--project PATH] [--json]
                                                     the next change to work on (--claim takes it atomically)
  claim   <change> --owner NAME [--lease S] [--project PATH] [--json]   claim or renew (lease 10 s … 24 h, default 900 s)
  release <change> --owner NAME [--project PATH] [--json]
  migrate [--project PATH]                           apply the database migrations and exit
  help                                               this text (also --help, -h)

The database is DATABASE_URL (postgres://…) or, when unset, an embedded PGlite in SPECSYNC_DATA_DIR.
While a server holds the embedded database, new/validate/archive/next/claim/release run on it.
Projects default to SPECSYNC_PROJECTS, else the repository around the current folder.
Every setting (PORT, WEB_PORT, HOST, DATABASE_URL, SPECSYNC_*) is listed in the README.`;

/** The folder the user ran the command from (pnpm runs root scripts from the repo root). */
const userCwd = (env: Pick<Env, "INIT_CWD">) => env.INIT_CWD ?? process.cwd();

/** Nearest ancestor of the current folder that holds an `openspec/` folder (not a file). */
function findRepoRoot(from: string): string | null {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (isDirectory(path.join(dir, "openspec"))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

export function projectPaths(cliProjects: string[] | undefined, env: Env): string[] {
  // `--project=` would be the current folder: refused rather than guessed.
  if (cliProjects?.some((p) => p.trim() === ""))
    throw usageError("--project needs a path (it was empty)");
  const given = cliProjects?.length ? cliProjects : env.SPECSYNC_PROJECTS;
  // Named twice (or as a link and its target): one project, synced and served once.
  if (given.length) return [...new Set(given.map((p) => canonical(path.resolve(userCwd(env), p))))];
  const root = findRepoRoot(userCwd(env));
  if (!root)
    throw new Error(
      "no openspec/ folder here or above; pass --project PATH or set SPECSYNC_PROJECTS",
    );
  return [canonical(root)];
}

const inside = (dir: string, parent: string) =>
  dir === parent || dir.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/**
 * The project that contains `cwd` (the deepest, as openspec takes its nearest root), else the
 * first.
 */
export function projectAround(cwd: string, projects: string[]): string {
  const here = canonical(path.resolve(cwd));
  const around = projects
    .filter((p) => inside(here, path.resolve(p)))
    .sort((a, b) => b.length - a.length);
  return around[0] ?? firstPath(projects);
}

/** A database inside `openspec/` would be synced as a change (or spec) folder of its own. */
function refuseDataDirInWorkspace(dataDir: string, projects: string[]) {
  const dir = path.resolve(dataDir);
  const project = projects.find((p) => inside(dir, path.join(path.resolve(p), "openspec")));
  if (project)
    throw new Error(
      `SPECSYNC_DATA_DIR ${dir} is inside ${path.join(project, "openspec")}: it would be synced as part of the workspace. Put it outside openspec/ (the default is ${path.join(project, ".specsync", "pglite")})`,
    );
}

function print(json: boolean, value: unknown, text: () => string) {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

// Loaded on demand: `list`/`show` must not pay for the services, tRPC, chokidar, drizzle
// migrations.
async function withServices<T>(env: Env, fn: (services: Services) => Promise<T>): Promise<T> {
  const [{ openDatabase }, { createServices }] = await Promise.all([
    import("./database"),
    import("@specsync/api"),
  ]);
  const database = await openDatabase(env, []);
  try {
    return await fn(
      createServices(database, {
        allowedRoots: env.SPECSYNC_ALLOWED_ROOTS,
        lifecycle: { timeoutMs: env.SPECSYNC_OPENSPEC_TIMEOUT_MS },
      }),
    );
  } finally {
    await database.close();
  }
}

/**
 * `sync`, `history`, `conflicts`, `migrate` beside a server for the repository that uses another
 * database: refused, naming both (a sync there would split the state, a read would answer from a
 * database the server never writes). On the server's own database the lock (embedded) or
 * PostgreSQL decides, as before.
 */
async function refuseBesideServer(env: Env, roots: readonly string[]): Promise<void> {
  const { refuseOtherDatabase } = await import("./data-dir-lock");
  await refuseOtherDatabase(
    roots,
    env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: env.SPECSYNC_DATA_DIR },
  );
}

/** The commands that work on projects (`help` and an unknown command do not). */
const PROJECT_COMMANDS = new Set([
  ...["start", "serve", "sync", "list", "show", "history", "conflicts", "migrate", "mcp"],
  ...["new", "validate", "archive", "next", "claim", "release"],
]);

/**
 * Check the configured projects `command` works on (project-dir.ts) before anything opens or
 * creates a thing there. `list`/`show` read one project; a folder without `openspec/` is where
 * they answer what `openspec` answers without a root (returned).
 */
function checkConfigured(command: string, paths: string[], cwd: string): string | undefined {
  if (!PROJECT_COMMANDS.has(command)) return undefined;
  const reads = command === "list" || command === "show";
  const used = reads ? [projectAround(cwd, paths)] : paths;
  try {
    for (const dir of used) checkProjectDir(dir);
  } catch (err) {
    if (reads && err instanceof ProjectDirError && err.noOpenspec) return used[0];
    throw err;
  }
  return undefined;
}

/** The projects, or none outside any repository (`migrate` needs none). */
function pathsOrNone(paths: () => string[]): string[] {
  try {
    return paths();
  } catch {
    return [];
  }
}

async function projectsFor(services: Services, paths: string[]): Promise<ProjectRow[]> {
  return Promise.all(paths.map((p) => services.sync.ensureProject(p)));
}

const OPTIONS = {
  project: { type: "string", multiple: true },
  json: { type: "boolean", default: false },
  specs: { type: "boolean", default: false },
  goal: { type: "string" },
  "skip-specs": { type: "boolean", default: false },
  preview: { type: "boolean", default: false },
  actor: { type: "string" },
  type: { type: "string" },
  sort: { type: "string" },
  change: { type: "string" },
  limit: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  owner: { type: "string" },
  lease: { type: "string" },
  claim: { type: "boolean", default: false },
  force: { type: "boolean", default: false },
  explain: { type: "boolean", default: false },
  "web-port": { type: "string" },
  web: { type: "boolean", default: true },
  gitignore: { type: "boolean" },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * `openspec show` takes an unknown option as the item's name (commander's allowUnknownOption): a
 * change folder named `-n-dash` is shown, `--zz` is an unknown item. The same for `specsync show`:
 * such a token goes after `--`, where parseArgs reads it as a positional.
 */
function unknownOptionsAsNames(args: string[]): string[] {
  const known = (a: string) => {
    if (a === "--" || a === "-h") return true;
    const name = a.replace(/^--(no-)?/, "").split("=")[0] ?? "";
    return a.startsWith("--") && Object.hasOwn(OPTIONS, name);
  };
  const end = args.indexOf("--");
  const head = end === -1 ? args : args.slice(0, end);
  const names = head.filter((a) => a.startsWith("-") && a !== "-" && !known(a));
  if (!names.length) return args;
  const rest = end === -1 ? [] : args.slice(end + 1);
  return [...head.filter((a) => !names.includes(a)), "--", ...names, ...rest];
}

type ParsedValues = {
  [K in "json" | "skip-specs" | "preview" | "claim" | "explain" | "force"]: boolean;
} & {
  [K in "goal" | "actor" | "owner" | "lease"]?: string | undefined;
};

/**
 * `new|validate|archive|next|claim|release`: run by the server holding the embedded database when
 * one does (same output), else here over our own services.
 */
async function lifecycleCommand(
  command: LifecycleCommand,
  positionals: string[],
  values: ParsedValues,
  env: Env,
  paths: string[],
): Promise<number> {
  const [{ checkUsage, runLifecycle }, { runOnHoldingServer }] = await Promise.all([
    import("./commands/lifecycle"),
    import("./commands/lifecycle-remote"),
  ]);
  const req: LifecycleRequest = {
    command,
    positionals,
    json: values.json,
    goal: values.goal,
    actor: values.actor,
    skipSpecs: values["skip-specs"],
    preview: values.preview,
    owner: values.owner,
    lease: values.lease,
    claim: values.claim,
    explain: values.explain,
    force: values.force,
  };
  checkUsage(req);
  const root = firstPath(paths);
  const result =
    (await runOnHoldingServer(req, root, paths, env)) ??
    (await withServices(env, async (s) => runLifecycle(s, await s.sync.ensureProject(root), req)));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exitCode;
}

/**
 * Run a server's startup; once a shutdown began, its failure (most often `StartupAborted`) is the
 * shutdown's to finish, which exits on its own.
 */
async function whileRunning(shutdown: Shutdown, startup: () => Promise<void>): Promise<void> {
  try {
    await startup();
  } catch (err) {
    if (!shutdown.signal.aborted) throw err;
    if (!(err instanceof StartupAborted))
      console.error(`[specsync] while shutting down: ${cliErrorMessage(err)}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  // No command (or options only): the default command, `start`.
  const [command = "start", ...rest] =
    argv[0] === undefined || argv[0].startsWith("-") ? ["start", ...argv] : argv;
  const { values, positionals } = parseArgs({
    args: command === "show" ? unknownOptionsAsNames(rest) : rest,
    allowPositionals: true,
    options: OPTIONS,
    allowNegative: true,
  });
  if (values.help || command === "help") {
    console.log(USAGE);
    return 0;
  }
  const extra = tooManyArguments(
    command,
    command === "show" ? showArgumentCount(rest, OPTIONS) : positionals.length,
  );
  if (extra) {
    // list/show: what `openspec list|show` prints for it (commander's error), byte for byte.
    if (command !== "list" && command !== "show") throw usageError(extra);
    process.stderr.write(`error: ${extra}\n`);
    return 1;
  }
  for (const name of ["change", "limit", "lease", "host"] as const)
    if (values[name]?.trim() === "") throw usageError(`--${name} needs a value (it was empty)`);
  // Flags win over the environment; derived defaults (the web app's API URL, CORS origins) follow
  // them.
  const flag = (v: string | undefined, name: string) => {
    if (v !== undefined && (!/^\d+$/.test(v) || Number(v) > 65535))
      throw new Error(`--${name} must be a port number (0-65535)`);
    return v;
  };
  const overrides = Object.fromEntries(
    Object.entries({
      PORT: flag(values.port, "port"),
      WEB_PORT: flag(values["web-port"], "web-port"),
      HOST: values.host,
    }).filter(([, v]) => v !== undefined),
  );
  const env = loadEnv(undefined, overrides);
  const paths = () => projectPaths(values.project, env);
  const unconfigured = !values.project?.length && !env.SPECSYNC_PROJECTS.length;
  if (values.project) oneProjectOnly(command, values.project.length, paths());
  const noRootAt = unconfigured ? undefined : checkConfigured(command, paths(), userCwd(env));
  // `openspec list` takes only an openspec/ with specs/, changes/ or a config file as its root.
  const listed =
    command === "list" && unconfigured
      ? (await import("@specsync/api/openspec-output")).listRoot(userCwd(env))
      : undefined;
  // Like `openspec list/show` outside any workspace: its "no root" answer, not an error of ours.
  if (
    noRootAt !== undefined ||
    listed === null ||
    listed?.source === "implicit" ||
    (command === "show" && unconfigured && !findRepoRoot(userCwd(env)))
  ) {
    const [{ noRootOutput, normalizeType, showText }, { humanText }] = await Promise.all([
      import("@specsync/api/openspec-output"),
      import("./commands/openspec-output"),
    ]);
    const req =
      command === "list"
        ? ({ command, specs: values.specs, root: listed ?? null } as const)
        : ({ command: "show", id: positionals[0], type: values.type } as const);
    const cwd = noRootAt ?? userCwd(env);
    const result =
      req.command === "show" && !values.json
        ? showText(cwd, req.id, normalizeType(req.type))
        : values.json || req.command === "show"
          ? noRootOutput(req, cwd)
          : humanText({ ...req, sort: "recent" }, noRootOutput(req, cwd));
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    return result.exitCode;
  }
  // The embedded database lives next to the first project unless told otherwise; relative paths are
  // from where you ran specsync.
  if (!env.DATABASE_URL) {
    env.SPECSYNC_DATA_DIR = embeddedDataDir(
      env.SPECSYNC_DATA_DIR,
      env.SPECSYNC_DATA_DIR ? "" : firstPath(paths()),
      userCwd(env),
    );
    if (!env.SPECSYNC_DATA_DIR.startsWith("memory://"))
      refuseDataDirInWorkspace(env.SPECSYNC_DATA_DIR, paths());
  }

  switch (command) {
    case "start": {
      const shutdown = installShutdown({ timeoutMs: env.SPECSYNC_SHUTDOWN_TIMEOUT_MS });
      const { start } = await import("./start");
      await whileRunning(shutdown, () =>
        start(
          env,
          paths(),
          {
            gitignore: values.gitignore === undefined ? "ask" : values.gitignore ? "add" : "skip",
            web: values.web,
          },
          shutdown,
        ),
      );
      return 0;
    }
    case "migrate": {
      await refuseBesideServer(env, pathsOrNone(paths));
      const { openDatabase } = await import("./database");
      const database = await openDatabase(env, []);
      await database.close();
      console.log(
        `migrations applied (${database.driver === "pglite" ? `embedded PGlite in ${env.SPECSYNC_DATA_DIR}` : "PostgreSQL"})`,
      );
      return 0;
    }
    case "serve": {
      const shutdown = installShutdown({ timeoutMs: env.SPECSYNC_SHUTDOWN_TIMEOUT_MS });
      const { serve } = await import("./serve");
      await whileRunning(shutdown, () => serve(env, paths(), shutdown));
      return 0;
    }
    case "sync":
      await refuseBesideServer(env, paths());
      return withServices(env, async (s) => {
        let failed = 0;
        const results: {
          project: string;
          total: number;
          changed: number;
          failed: number;
          errors: { path: string; error: string | undefined }[];
        }[] = [];
        for (const project of await projectsFor(s, paths())) {
          const summary = await s.sync.syncProject(project, "manual");
          failed += summary.failed;
          results.push({
            project: project.rootPath,
            total: summary.total,
            changed: summary.changed,
            failed: summary.failed,
            errors: summary.outcomes
              .filter((o) => !o.success)
              .map((o) => ({ path: o.path, error: o.error })),
          });
        }
        // A one-shot leaves no search vector for later (a large import fills them afterwards).
        await s.sync.searchFilled();
        print(values.json, { projects: results }, () =>
          results
            .map(
              (r) =>
                `${r.project}: ${r.total} folders, ${r.changed} changed, ${r.failed} failed${r.errors.map((e) => `\n  ✗ ${e.path}: ${e.error}`).join("")}`,
            )
            .join("\n"),
        );
        return failed ? 2 : 0;
      });
    case "list":
    case "show": {
      const [{ openspecOutput, humanText }, { normalizeSort, normalizeType, showText }] =
        await Promise.all([
          import("./commands/openspec-output"),
          import("@specsync/api/openspec-output"),
        ]);
      const req =
        command === "list"
          ? { command, specs: values.specs, sort: normalizeSort(values.sort) }
          : { command, id: positionals[0], type: normalizeType(values.type) };
      const root = listed?.path ?? projectAround(userCwd(env), paths());
      // `show` without --json prints the file itself, as openspec does: read here, where the
      // file is, with no server or database in between.
      const shown =
        req.command === "show" && !values.json
          ? showText(root, req.id, req.type)
          : await openspecOutput(req, root, env, (r) => (values.json ? r : humanText(req, r)));
      // Flushed before the process exits: a pipe takes 64 KiB at once, process.exit drops the rest.
      await Promise.all([
        flushed(process.stdout, shown.stdout),
        flushed(process.stderr, shown.stderr),
      ]);
      return shown.exitCode;
    }
    case "history":
      await refuseBesideServer(env, paths().slice(0, 1));
      return withServices(env, async (s) => {
        const project = await s.sync.ensureProject(firstPath(paths()));
        let specId: string | undefined;
        if (values.change) {
          const found = await s.specs.list({
            projectId: project.id,
            kind: "change",
            search: values.change,
            limit: 200,
          });
          specId = found.items.find((i) => i.name === values.change)?.id;
          if (!specId) throw new Error(`no change named ${values.change}`);
        }
        const page = await s.history.list({
          projectId: project.id,
          specId,
          limit: values.limit ? Number(values.limit) : 50,
        });
        const items = page.items.map(({ previousContent, ...h }) => ({
          ...h,
          keptFiles: Object.keys(previousContent ?? {}),
        }));
        print(
          values.json,
          { items, nextCursor: page.nextCursor },
          () =>
            items
              .map(
                (h) =>
                  `#${h.id} ${h.createdAt.toISOString()} ${h.name ?? "-"} ${h.direction} ${h.trigger} ${h.action} ${h.success ? "ok" : `FAILED: ${h.error}`} ${h.filesChanged.join(",")}`,
              )
              .join("\n") || "No history.",
        );
        return 0;
      });
    case "conflicts":
      await refuseBesideServer(env, paths().slice(0, 1));
      return withServices(env, async (s) => {
        const project = await s.sync.ensureProject(firstPath(paths()));
        const open = (await s.specs.conflicts(project.id)).map((r) => ({
          id: r.id,
          name: r.name,
          path: r.path,
          conflict: r.conflict,
          pendingFiles: r.pendingFiles,
        }));
        print(
          values.json,
          { conflicts: open },
          () =>
            open
              .map(
                (c) =>
                  `${c.name}: ${c.conflict ? `conflict on ${c.conflict.files.join(", ")} (disk version kept; database version in history #${c.conflict.historyId})` : ""}${c.pendingFiles.length ? ` pending flush: ${c.pendingFiles.join(", ")}` : ""}`,
              )
              .join("\n") || "No conflicts.",
        );
        return 0;
      });
    case "new":
    case "validate":
    case "archive":
      return lifecycleCommand(command, positionals, values, env, paths());
    case "mcp": {
      const { runMcpStdio } = await import("./mcp-stdio");
      await runMcpStdio(env, paths().slice(0, 1));
      return 0;
    }
    case "next":
    case "claim":
    case "release":
      return lifecycleCommand(command, positionals, values, env, paths());
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 1;
  }
}

/** Write `text` and resolve once the stream has handed it to the OS. */
const flushed = (stream: NodeJS.WriteStream, text: string) =>
  new Promise<void>((resolve) => stream.write(text, () => resolve()));

/** Run the CLI as a process: exit with its code, except the servers, which run until a signal. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => {
      const command = argv[0] === undefined || argv[0].startsWith("-") ? "start" : argv[0];
      if (!["serve", "start"].includes(command) || argv.includes("--help") || argv.includes("-h"))
        process.exit(code);
    },
    async (err) => {
      // With --json, stdout carries the error as JSON too: a script parsing it is never left empty.
      // Not for list/show, whose stdout is openspec's: it prints nothing there for such errors.
      const command = argv[0] ?? "";
      const failed = errorResult(err, wantsJson(argv) && !["list", "show"].includes(command));
      await Promise.all([
        flushed(process.stdout, failed.stdout),
        flushed(process.stderr, failed.stderr),
      ]);
      process.exit(failed.exitCode);
    },
  );
}

const invokedDirectly = process.argv[1] && /cli\.(ts|js|mjs)$/.test(process.argv[1]);
if (invokedDirectly) run(process.argv.slice(2));
