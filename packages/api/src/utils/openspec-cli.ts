import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { childEnv } from "@specsync/settings";
import semver from "semver";
import { SpecsyncError } from "./errors";

/** Terminal colour codes (ESC [ … m) that the CLI may print around its messages. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC is exactly what is stripped.
const ANSI_COLOR = /\u001b\[[0-9;]*m/g;

/**
 * The OpenSpec CLI versions specsync runs (`new change`, `validate --json`, `archive --yes --json`)
 * and whose archive rules the delta preview reuses. 1.13.2 is the pinned, tested one; a later 1.13
 * patch keeps the JSON shapes. Anything else is refused at start with a clear message.
 */
export const SUPPORTED_OPENSPEC_RANGE = ">=1.13.2 <1.14.0";

export type OpenSpecCli = {
  /** Folder of the installed `@fission-ai/openspec` package. */
  packageDir: string;
  /** Its bin script, run with this Node (no shell). */
  bin: string;
  version: string;
};

export type OpenSpecRun = { code: number; stdout: string; stderr: string; durationMs: number };

/** The OpenSpec CLI could not be run: missing, wrong version, timed out, or it failed. */
export class OpenSpecCliError extends SpecsyncError {
  constructor(
    readonly reason: "missing" | "version" | "timeout" | "failed",
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(
      reason === "timeout"
        ? "TIMEOUT"
        : reason === "failed"
          ? "BAD_REQUEST"
          : "PRECONDITION_FAILED",
      message,
      details,
    );
  }
}

/**
 * Find the installed CLI (a runtime dependency of @specsync/api) and check its version.
 * `packageDir` overrides the lookup (tests point it at a broken or foreign install).
 */
export function locateOpenSpecCli(packageDir?: string): OpenSpecCli {
  let dir = packageDir;
  if (!dir) {
    try {
      // The package exports only its entry point, so find the folder from there (dist/index.js).
      dir = path.resolve(
        path.dirname(createRequire(import.meta.url).resolve("@fission-ai/openspec")),
        "..",
      );
    } catch {
      throw new OpenSpecCliError(
        "missing",
        "the OpenSpec CLI (@fission-ai/openspec) is not installed; run `pnpm install` in the specsync folder",
      );
    }
  }
  const manifestPath = path.join(dir, "package.json");
  if (!existsSync(manifestPath))
    throw new OpenSpecCliError(
      "missing",
      `the OpenSpec CLI is not installed at ${dir} (no package.json); run \`pnpm install\``,
    );
  let manifest: { name?: string; version?: string; bin?: string | Record<string, string> };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (err) {
    throw new OpenSpecCliError(
      "missing",
      `the OpenSpec CLI at ${dir} has an unreadable package.json (${(err as Error).message})`,
    );
  }
  const version = manifest.version ?? "";
  if (!semver.valid(version) || !semver.satisfies(version, SUPPORTED_OPENSPEC_RANGE)) {
    throw new OpenSpecCliError(
      "version",
      `OpenSpec CLI ${version || "(no version)"} at ${dir} is not supported: specsync needs ${SUPPORTED_OPENSPEC_RANGE} (install @fission-ai/openspec@1.13.2)`,
      { version, range: SUPPORTED_OPENSPEC_RANGE },
    );
  }
  const binRel = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.openspec;
  const bin = binRel ? path.resolve(dir, binRel) : "";
  if (!bin || !existsSync(bin))
    throw new OpenSpecCliError(
      "missing",
      `the OpenSpec CLI at ${dir} has no openspec bin script; reinstall it`,
    );
  return { packageDir: dir, bin, version };
}

export type RunOptions = {
  /** The repository root (the folder holding `openspec/`); the CLI runs there. */
  cwd: string;
  timeoutMs: number;
};

/**
 * Run `openspec <args>`: this Node runs the bin script, arguments as an array (no shell, so names
 * and goals are never interpreted), in the project root, with a timeout after which the process is
 * killed. A non-zero exit is returned, not thrown (validate exits 1 on an invalid change); a
 * timeout or a CLI that cannot start is thrown.
 */
export function runOpenSpec(
  cli: OpenSpecCli,
  args: readonly string[],
  opts: RunOptions,
): Promise<OpenSpecRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cli.bin, ...args],
      {
        cwd: opts.cwd,
        timeout: opts.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 32 * 1024 * 1024,
        shell: false,
        windowsHide: true,
        // The child inherits the environment (through the settings module, the only reader of the
        // environment), with telemetry off, CI=1 (never prompt) and no colours (plain messages to
        // show people).
        env: childEnv({ OPENSPEC_TELEMETRY: "0", CI: "1", NO_COLOR: "1", FORCE_COLOR: "0" }),
      },
      (err, stdout, stderr) => {
        const durationMs = Math.round(performance.now() - started);
        if (!err) return resolve({ code: 0, stdout, stderr, durationMs });
        const e = err as NodeJS.ErrnoException & {
          killed?: boolean;
          signal?: string | null;
          code?: number | string;
        };
        if (e.killed || e.signal === "SIGKILL") {
          return reject(
            new OpenSpecCliError(
              "timeout",
              `openspec ${args[0] ?? ""} did not finish within ${opts.timeoutMs} ms and was stopped`,
              { timeoutMs: opts.timeoutMs },
            ),
          );
        }
        if (typeof e.code === "string") {
          return reject(
            new OpenSpecCliError(
              "missing",
              `could not run the OpenSpec CLI (${e.code}: ${e.message})`,
            ),
          );
        }
        resolve({ code: typeof e.code === "number" ? e.code : 1, stdout, stderr, durationMs });
      },
    );
  });
}

/** The JSON the CLI printed (its `--json` output), or null when stdout is not JSON. */
export function parseCliJson<T>(stdout: string): T | null {
  const start = stdout.indexOf("{");
  if (start < 0) return null;
  try {
    return JSON.parse(stdout.slice(start)) as T;
  } catch {
    return null;
  }
}

/** The CLI's own words for a failure: its JSON status messages, else stderr, else stdout. */
export function cliFailureMessage(run: OpenSpecRun): string {
  const json = parseCliJson<{ status?: { severity?: string; message?: string; fix?: string }[] }>(
    run.stdout,
  );
  const status = json?.status?.filter((s) => s.severity === "error" && s.message);
  if (status?.length)
    return status.map((s) => (s.fix ? `${s.message} ${s.fix}` : s.message)).join("\n");
  const text = (run.stderr.trim() || run.stdout.trim()).replace(ANSI_COLOR, "");
  return text.slice(0, 4000) || `openspec exited with code ${run.code}`;
}
