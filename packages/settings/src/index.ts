import { type Settings, settingsSchema, type WebSettings, webSettingsSchema } from "./schema";

export * from "./schema";

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
 * Validate settings from `source`, with `overrides` (command-line flags) on top. This module is the
 * only app code that reads `process.env` (a test keeps it so): everything else gets the parsed
 * object passed down.
 */
export function loadSettings(source: Source = process.env, overrides: Source = {}): Settings {
  return parseOrExplain(settingsSchema.safeParse({ ...source, ...overrides }));
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
  cachedWeb ??= parseOrExplain(webSettingsSchema.safeParse(process.env));
  return cachedWeb;
}

/**
 * Environment for a child process: this process's, with `overrides` (for the web server we
 * spawn).
 */
export function childEnv(overrides: Source): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
