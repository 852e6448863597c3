// Builds the installable `specsync` package into apps/server/dist/ (the package root;
// `npm pack dist`):
//   bin/specsync.js   the bin
//   lib/              the CLI and server bundled to plain JavaScript (esbuild; no tsx at run time)
//   drizzle/          the migrations (lib/'s `../drizzle`, as packages/db/src's)
//   pgdata/           template.tar.gz: an empty migrated PGlite data directory (db's client.ts)
//   web/              the web UI: Next.js `output: "standalone"`, its node_modules flattened
//                     (npm packs no symlinks)
//   node_modules/     @electric-sql/pglite, bundled (its WebAssembly and data files are loaded
//                     from its own folder), and @fission-ai/openspec with its dependencies
// Run after `next build` of apps/web (turbo's `@specsync/server#build` depends on it).
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const started = Date.now();
const serverDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repo = path.resolve(serverDir, "../..");
const webDir = path.join(repo, "apps/web");
const out = path.join(serverDir, "dist");
const serverPkg = JSON.parse(readFileSync(path.join(serverDir, "package.json"), "utf8"));

rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, "bin"), { recursive: true });

// 1. The CLI and server. Code splitting keeps the lazy imports lazy (a `list` never loads the HTTP
// server).
const external = ["@electric-sql/pglite"];
await build({
  // parse-worker.js: the worker thread that parses big files (packages/api parse-pool.ts loads it
  // next to itself).
  entryPoints: {
    cli: path.join(serverDir, "src/cli.ts"),
    "parse-worker": path.join(repo, "packages/api/src/services/parse-worker.ts"),
  },
  outdir: path.join(out, "lib"),
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external,
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: "none",
  logLevel: "warning",
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __specsyncRequire } from 'node:module'; const require = __specsyncRequire(import.meta.url);",
  },
});
// The bin. `start`/`serve`/`mcp` are long-running watcher processes, memory-bound rather than
// CPU-bound: they run under V8's --optimize-for-size (docs/performance.md). V8 takes the flag only at
// start, and a `#!/usr/bin/env -S node …` shebang fails where env has no -S (BusyBox, Alpine), so the
// bin relaunches itself with it and relays signals and the exit status. One-shot commands run in place,
// with WebAssembly compiled by the baseline compiler only (--liftoff-only, settable at run time as
// long as nothing was compiled yet): optimising PGlite's build cost a first `sync` ~1.5 s of CPU
// and ~70 MiB that a one-shot command's few queries never win back (docs/performance.md).
writeFileSync(
  path.join(out, "bin/specsync.js"),
  `#!/usr/bin/env node
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";

const args = process.argv.slice(2);
const command = args[0] === undefined || args[0].startsWith("-") ? "start" : args[0];
const help = args.includes("--help") || args.includes("-h");
const longRunning = ["start", "serve", "mcp"].includes(command) && !help;

if (longRunning && !process.execArgv.includes("--optimize-for-size")) {
  // One V8 worker thread, not four: fewer malloc arenas keeping freed compile memory (performance.md).
  const flags = ["--optimize-for-size", "--v8-pool-size=1", ...process.execArgv];
  const argv = [...flags, fileURLToPath(import.meta.url), ...args];
  // fd 3 is an IPC channel: the server sees it close when this process is gone, even by SIGKILL.
  const stdio = ["inherit", "inherit", "inherit", "ipc"];
  const child = spawn(process.execPath, argv, { stdio });
  // A signal sent to this process alone reaches the server too; one sent to the whole group
  // (Ctrl+C) reaches it twice, which it takes as one request.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const sig of signals) process.on(sig, () => child.kill(sig));
  child.on("error", (err) => {
    console.error(\`specsync: could not start \${process.execPath}: \${err.message}\`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    for (const sig of signals) process.removeAllListeners(sig);
    process.kill(process.pid, signal);
  });
} else {
  if (!longRunning) setFlagsFromString("--liftoff-only");
  // Run by the launcher above: once it is gone (killed outright, so it relayed nothing), stop as on
  // SIGTERM rather than live on orphaned, holding the ports and the data directory.
  if (longRunning && process.channel) {
    process.channel.unref();
    process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
  }
  const { run } = await import("../lib/cli.js");
  run(args);
}
`,
);
chmodSync(path.join(out, "bin/specsync.js"), 0o755);

// 2. Migrations, and an empty migrated PGlite data directory a first start loads instead of running initdb.
cpSync(path.join(repo, "packages/db/drizzle"), path.join(out, "drizzle"), { recursive: true });
execFileSync(
  process.execPath,
  [
    path.join(repo, "packages/db/scripts/make-template.mjs"),
    path.join(out, "pgdata/template.tar.gz"),
  ],
  { stdio: "inherit" },
);

// 3. PGlite, a real copy from the store (no source maps or type declarations).
const requireFromDb = createRequire(path.join(repo, "packages/db/package.json"));
const pgliteDir = path.dirname(
  path.dirname(realpathSync(requireFromDb.resolve("@electric-sql/pglite"))),
);
const pglitePkg = JSON.parse(readFileSync(path.join(pgliteDir, "package.json"), "utf8"));
const lean = (src) => !/\.(map|d\.ts|d\.cts)$/.test(src);
// Extensions (*.tar.gz) are loaded on demand and specsync uses none.
cpSync(pgliteDir, path.join(out, "node_modules/@electric-sql/pglite"), {
  recursive: true,
  dereference: true,
  filter: (src) => lean(src) && !src.endsWith(".tar.gz"),
});

// 3b. The OpenSpec CLI that `new`, `validate` and `archive` run (packages/api openspec-cli.ts
// resolves it from lib/), with its production dependencies: a copy of each from the store, hoisted
// to node_modules/ unless another version already is (then nested under its dependent, as npm
// lays them out). Without it an installed specsync refuses every lifecycle command.
const requireFromApi = createRequire(path.join(repo, "packages/api/package.json"));
const openspecDir = path.dirname(
  path.dirname(realpathSync(requireFromApi.resolve("@fission-ai/openspec"))),
);
const openspecPkg = JSON.parse(readFileSync(path.join(openspecDir, "package.json"), "utf8"));
const placed = new Map(); // hoisted name -> version
/** Copy the package at `src` (a store folder) to `dest`, then its dependencies. */
function bundlePackage(src, dest) {
  // Its own node_modules (pnpm's links, .bin) is rebuilt below from the dependencies it declares;
  // TypeScript sources (zod ships its src/) are never run.
  const own = (file) =>
    lean(file) &&
    !/\.[cm]?tsx?$/.test(file) &&
    !path.relative(src, file).split(path.sep).includes("node_modules");
  cpSync(src, dest, { recursive: true, dereference: true, filter: own });
  const pkg = JSON.parse(readFileSync(path.join(src, "package.json"), "utf8"));
  const name = pkg.name;
  // In pnpm's store a package's dependencies are its siblings in the same node_modules folder.
  const storeModules = name.startsWith("@") ? path.dirname(path.dirname(src)) : path.dirname(src);
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    const linked = path.join(storeModules, dep);
    if (!existsSync(linked)) continue; // an optional dependency for another platform
    const depSrc = realpathSync(linked);
    const { version } = JSON.parse(readFileSync(path.join(depSrc, "package.json"), "utf8"));
    const hoisted = placed.get(dep);
    if (hoisted === version) continue;
    if (hoisted === undefined) {
      placed.set(dep, version);
      bundlePackage(depSrc, path.join(out, "node_modules", dep));
    } else bundlePackage(depSrc, path.join(dest, "node_modules", dep));
  }
}
placed.set(pglitePkg.name, pglitePkg.version);
placed.set(openspecPkg.name, openspecPkg.version);
bundlePackage(openspecDir, path.join(out, "node_modules", openspecPkg.name));

// 4. The web UI. The standalone output mirrors the monorepo (apps/web/server.js) with pnpm's
// symlinked node_modules; flatten it: server.js and .next/ at web/, each traced package once in
// web/node_modules.
const standalone = path.join(webDir, ".next/standalone");
if (!existsSync(path.join(standalone, "apps/web/server.js")))
  throw new Error("apps/web/.next/standalone is missing: run `pnpm -F @specsync/web build` first");
const web = path.join(out, "web");
const ownModules = path.join(standalone, "apps/web/node_modules"); // symlinks into .pnpm, replaced below
cpSync(path.join(standalone, "apps/web"), web, {
  recursive: true,
  filter: (src) => src !== ownModules,
});
// Turbopack links each server-external package (Next's default list has node-cron, which the
// settings schema uses) as .next/node_modules/<name>-<hash> -> an absolute path on this machine:
// npm packs no symlinks, so the installed web UI could not load it. Copy what each link points at.
const externals = path.join(web, ".next/node_modules");
if (existsSync(externals))
  for (const entry of readdirSync(externals)) {
    const link = path.join(externals, entry);
    if (!lstatSync(link).isSymbolicLink()) continue;
    const target = realpathSync(link);
    rmSync(link);
    cpSync(target, link, { recursive: true, dereference: true, filter: lean });
  }
cpSync(path.join(webDir, ".next/static"), path.join(web, ".next/static"), { recursive: true });
if (existsSync(path.join(webDir, "public")))
  cpSync(path.join(webDir, "public"), path.join(web, "public"), { recursive: true });
// Image optimisation (sharp, a native module per platform) is unused: the UI has no <Image>.
const unused = new Set(["sharp", "@img", "detect-libc", "semver"]);
const hoisted = path.join(standalone, "node_modules/.pnpm/node_modules");
for (const entry of readdirSync(hoisted)) {
  if (unused.has(entry)) continue;
  const names = entry.startsWith("@")
    ? readdirSync(path.join(hoisted, entry)).map((n) => `${entry}/${n}`)
    : [entry];
  for (const name of names) {
    cpSync(realpathSync(path.join(hoisted, name)), path.join(web, "node_modules", name), {
      recursive: true,
      dereference: true,
      filter: lean,
    });
  }
}

// 5. The package's manifest: no workspace references; PGlite and the OpenSpec CLI (with its
// dependencies) are bundled, everything else is in lib/.
const manifest = {
  name: "specsync",
  version: serverPkg.version,
  description:
    "Two-way sync between an OpenSpec workspace and a database, with a web UI, an API and a CLI",
  type: "module",
  license: serverPkg.license ?? "MIT",
  engines: { node: ">=20.19" },
  bin: { specsync: "bin/specsync.js" },
  files: ["bin", "lib", "drizzle", "pgdata", "web", "node_modules", "README.md"],
  dependencies: Object.fromEntries([...placed].sort(([a], [b]) => a.localeCompare(b))),
  bundleDependencies: [...placed.keys()].sort(),
};
writeFileSync(path.join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
// A symlink would be dropped by `npm pack` (or point into this checkout): none may remain.
const links = readdirSync(out, { recursive: true, encoding: "utf8" }).filter((f) =>
  lstatSync(path.join(out, f)).isSymbolicLink(),
);
if (links.length)
  throw new Error(`the package holds symlinks npm would not pack: ${links.join(", ")}`);
cpSync(path.join(repo, "README.md"), path.join(out, "README.md"));
console.log(`specsync package built in ${out} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
