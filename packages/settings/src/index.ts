import { realpathSync } from "node:fs";
import path from "node:path";
import { LOOPBACK_BINDS } from "./hosts";
import { type Settings, settingsSchema, type WebSettings, webSettingsSchema } from "./schema";

export * from "./hosts";
export * from "./schema";
export * from "./secret";

type Source = Record<string, string | undefined>;

function parseOrExplain<T>(
  result:
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } },
): T {
  if (result.success) return result.data;
  const lines = result.error.issues
    .map((i) => `  ${i.path.map(String).join(".")}: ${i.message}`)
    .join("\n");
  throw new Error(`invalid settings:\n${lines}`);
}

/**
 * `NAME=` (a blank line of a .env template) means unset, as t3-env's `emptyStringAsUndefined`: the
 * default applies (it used to be refused, e.g. SPECSYNC_TOKEN "too short", or taken as PORT 0).
 * Except a blank SPECSYNC_TOKEN where a token is required (HOST beyond loopback): refused, saying
 * so, rather than reported as a missing token.
 */
function blanksUnset(source: Source): Source {
  const host = source.HOST || undefined;
  if (source.SPECSYNC_TOKEN === "" && host !== undefined && !LOOPBACK_BINDS.has(host))
    throw new Error(
      `invalid settings:\n  SPECSYNC_TOKEN: empty, but HOST=${host} is not loopback: ` +
        "listening beyond loopback needs a token (at least 16 characters)",
    );
  return Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
}

/**
 * Validate settings from `source`, with `overrides` (command-line flags) on top. This module is the
 * only app code that reads `process.env` (a test keeps it so): everything else gets the parsed
 * object passed down.
 */
export function loadSettings(source: Source = process.env, overrides: Source = {}): Settings {
  const settings = parseOrExplain(
    settingsSchema.safeParse(blanksUnset({ ...source, ...overrides })),
  );
  if (settings.INIT_CWD && !isPackageScript(source)) settings.INIT_CWD = undefined;
  return settings;
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/**
 * Whether this process is the one npm/pnpm started for a package script: it runs in the folder of
 * the package.json the script belongs to. INIT_CWD (where the person typed the command) means
 * something only there; every child process inherits it, so a `specsync` spawned in another folder
 * (by a bench, a test, an editor's task) would otherwise act on the wrong repository.
 */
function isPackageScript(source: Source): boolean {
  const manifest = source.npm_package_json;
  return !!manifest && real(path.dirname(manifest)) === real(process.cwd());
}

let cached: Settings | undefined;
/** The process's settings, read once. */
export function readSettings(): Settings {
  cached ??= loadSettings(process.env);
  return cached;
}

let cachedWeb: WebSettings | undefined;
/** The web app's settings, read once per process. */
export function readWebSettings(): WebSettings {
  cachedWeb ??= parseOrExplain(webSettingsSchema.safeParse(blanksUnset(process.env)));
  return cachedWeb;
}

/**
 * Environment for a child process: this process's, with `overrides` (for the web server we
 * spawn).
 */
export function childEnv(overrides: Source): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
