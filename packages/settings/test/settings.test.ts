import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  allowedOrigins,
  embeddedDataDir,
  loadSettings,
  SETTING_NAMES,
  SYNC_DEFAULTS,
  webSettingsSchema,
} from "../src";

const REPO = path.resolve(fileURLToPath(import.meta.url), "../../../..");

describe("settings", () => {
  it("defaults: the documented values, and the derived ones follow PORT, HOST and WEB_PORT", () => {
    const s = loadSettings({});
    expect([s.PORT, s.HOST, s.WEB_PORT]).toEqual([3100, "127.0.0.1", 3000]);
    expect(s.SPECSYNC_API_URL).toBe("http://127.0.0.1:3100");
    expect(allowedOrigins(s)).toEqual(["http://localhost:3000", "http://127.0.0.1:3000"]);
    expect([
      s.SPECSYNC_CRON,
      s.SPECSYNC_STALE_SECONDS,
      s.SPECSYNC_BATCH_SIZE,
      s.SPECSYNC_CONCURRENCY,
      s.SPECSYNC_DEBOUNCE_MS,
      s.SPECSYNC_STATUS_STALE_SECONDS,
    ]).toEqual([
      SYNC_DEFAULTS.cron,
      SYNC_DEFAULTS.staleSeconds,
      SYNC_DEFAULTS.batchSize,
      SYNC_DEFAULTS.concurrency,
      SYNC_DEFAULTS.debounceMs,
      SYNC_DEFAULTS.statusStaleSeconds,
    ]);

    const moved = loadSettings({
      PORT: "4100",
      WEB_PORT: "4000",
      HOST: "0.0.0.0",
      SPECSYNC_TOKEN: "x".repeat(16),
    });
    expect(moved.SPECSYNC_API_URL).toBe("http://127.0.0.1:4100"); // a browser cannot dial 0.0.0.0
    expect(allowedOrigins(moved)).toEqual(["http://localhost:4000", "http://127.0.0.1:4000"]);
    // Command-line flags override the environment, and the derived values follow them.
    expect(loadSettings({ PORT: "4100" }, { PORT: "4200" }).SPECSYNC_API_URL).toBe(
      "http://127.0.0.1:4200",
    );
    // Explicit values win over derived ones.
    expect(
      loadSettings({ PORT: "4100", SPECSYNC_API_URL: "https://specs.example.com/" })
        .SPECSYNC_API_URL,
    ).toBe("https://specs.example.com");
  });

  it("bad values are refused with the setting's name", () => {
    expect(() => loadSettings({ SPECSYNC_API_URL: "javascript:alert(1)" })).toThrow(
      /SPECSYNC_API_URL/,
    );
    expect(() => loadSettings({ WEB_PORT: "70000" })).toThrow(/WEB_PORT/);
    expect(() => loadSettings({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    // A cron expression the scheduler cannot parse stops the start (it used to run without its
    // periodic batch, one log line saying so).
    expect(() => loadSettings({ SPECSYNC_CRON: "bogus" })).toThrow(
      /SPECSYNC_CRON: "bogus" is not a cron expression .*expected 5 or 6 fields but got 1/,
    );
    expect(() => loadSettings({ SPECSYNC_CRON: "61 * * * *" })).toThrow(/SPECSYNC_CRON/);
    expect(loadSettings({ SPECSYNC_CRON: "0 */5 * * * *" }).SPECSYNC_CRON).toBe("0 */5 * * * *");
    expect(() => webSettingsSchema.parse({ SPECSYNC_API_URL: "not a url" })).toThrow(
      /SPECSYNC_API_URL/,
    );
    // In the web process PORT is Next.js's own port: only SPECSYNC_API_URL counts there.
    expect(webSettingsSchema.parse({ PORT: "4000" }).apiUrl).toBe("http://127.0.0.1:3100");
    expect(webSettingsSchema.parse({ SPECSYNC_API_URL: "http://127.0.0.1:4100/" }).apiUrl).toBe(
      "http://127.0.0.1:4100",
    );
  });

  it("an empty value (`NAME=` in a .env template) is unset: the default applies", () => {
    const blank = Object.fromEntries(SETTING_NAMES.map((name) => [name, ""]));
    // Every setting blank at once gives exactly the defaults (SPECSYNC_TOKEN= was refused as
    // "too short", HOST= as empty, PORT= taken as port 0).
    expect(loadSettings(blank)).toEqual(loadSettings({}));
    expect(loadSettings({ SPECSYNC_TOKEN: "" }).SPECSYNC_TOKEN).toBeUndefined();
    expect(loadSettings({ PORT: "" }).PORT).toBe(3100);
    expect(loadSettings({ PORT: "4100" }, { PORT: "" }).PORT).toBe(3100);
    // A short token that is not blank is still refused.
    expect(() => loadSettings({ SPECSYNC_TOKEN: "short" })).toThrow(/at least 16 characters/);
    // Loopback binds need no token: a blank one is unset there too.
    for (const HOST of ["127.0.0.1", "::1", "localhost"])
      expect(loadSettings({ HOST, SPECSYNC_TOKEN: "" }).SPECSYNC_TOKEN).toBeUndefined();
  });

  it("a blank SPECSYNC_TOKEN where a token is required (HOST beyond loopback) is refused, saying so", () => {
    const msg = /SPECSYNC_TOKEN: empty, but HOST=0\.0\.0\.0 is not loopback/;
    expect(() => loadSettings({ HOST: "0.0.0.0", SPECSYNC_TOKEN: "" })).toThrow(msg);
    // The --host flag counts as HOST.
    expect(() => loadSettings({ SPECSYNC_TOKEN: "" }, { HOST: "0.0.0.0" })).toThrow(msg);
    expect(() => loadSettings({ HOST: "192.168.1.5", SPECSYNC_TOKEN: "" })).toThrow(
      /HOST=192\.168\.1\.5 is not loopback/,
    );
    const token = "x".repeat(16);
    expect(loadSettings({ HOST: "0.0.0.0", SPECSYNC_TOKEN: token }).SPECSYNC_TOKEN).toBe(token);
  });

  it("honours INIT_CWD only in the process npm/pnpm started in the script's package folder", () => {
    const here = path.join(process.cwd(), "package.json");
    const elsewhere = path.join(path.dirname(process.cwd()), "some-other-package", "package.json");
    expect(loadSettings({ INIT_CWD: "/typed/here", npm_package_json: here }).INIT_CWD).toBe(
      "/typed/here",
    );
    // Inherited by a process running in another folder: meaningless there.
    expect(
      loadSettings({ INIT_CWD: "/typed/here", npm_package_json: elsewhere }).INIT_CWD,
    ).toBeUndefined();
    expect(loadSettings({ INIT_CWD: "/typed/here" }).INIT_CWD).toBeUndefined();
  });

  it("the embedded database defaults to <first project>/.specsync/pglite; a relative setting is from where you ran specsync", () => {
    expect(embeddedDataDir(undefined, "/r/repo", "/elsewhere")).toBe(
      path.join("/r/repo", ".specsync", "pglite"),
    );
    expect(embeddedDataDir("data", "/r/repo", "/elsewhere")).toBe(
      path.resolve("/elsewhere", "data"),
    );
    expect(embeddedDataDir("memory://", "/r/repo", "/elsewhere")).toBe("memory://");
  });

  it("turbo passes every setting through to the tasks it runs (strict env mode drops the others)", () => {
    const turbo = JSON.parse(readFileSync(path.join(REPO, "turbo.json"), "utf8")) as {
      globalPassThroughEnv?: string[];
    };
    const patterns = (turbo.globalPassThroughEnv ?? []).map(
      (p) => new RegExp(`^${p.replace(/\*/g, ".*")}$`),
    );
    const missing = SETTING_NAMES.filter((name) => !patterns.some((re) => re.test(name)));
    expect(missing).toEqual([]);
  });

  it("the README's settings table documents exactly the settings there are", () => {
    const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
    const table = readme.slice(
      readme.indexOf("## Settings"),
      readme.indexOf("\n## ", readme.indexOf("## Settings") + 1),
    );
    const documented = new Set(
      [...table.matchAll(/^\| `([A-Z_]+)`(?: \/ `([A-Z_]+)`)?/gm)]
        .flatMap((m) => [m[1], m[2]])
        .filter(Boolean),
    );
    expect([...documented].sort()).toEqual([...SETTING_NAMES].sort());
  });

  it("only the settings module reads process.env in app code", () => {
    const roots = [
      "apps/server/src",
      "apps/web/app",
      "apps/web/components",
      "apps/web/lib",
      ...readdirSync(path.join(REPO, "packages")).map((p) => `packages/${p}/src`),
    ];
    const offenders: string[] = [];
    const walk = (dir: string) => {
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      for (const e of entries) {
        const abs = path.join(dir, e);
        if (statSync(abs).isDirectory()) walk(abs);
        else if (
          /\.(ts|tsx|mts|js|mjs)$/.test(e) &&
          /process\.env\b/.test(readFileSync(abs, "utf8"))
        )
          offenders.push(path.relative(REPO, abs));
      }
    };
    for (const r of roots) walk(path.join(REPO, r));
    expect(offenders).toEqual(["packages/settings/src/index.ts"]);
  });
});
