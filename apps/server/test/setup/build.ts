import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(fileURLToPath(import.meta.url), "../../../../..");

/**
 * Global setup of the suites that run the built app (the browser tests, `pnpm start`, the packed
 * bin): one `pnpm build` before any of them, so that they never build the web app at the same time.
 * Turbo's cache makes it a no-op when `.ci/run` (or you) built already.
 */
export default function setup(): void {
  const t = Date.now();
  execFileSync(
    "pnpm",
    ["exec", "turbo", "run", "build", "--filter=@specsync/server", "--output-logs=errors-only"],
    {
      cwd: REPO,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    },
  );
  if (Date.now() - t > 5000)
    console.log(`[build] pnpm build for the app suites: ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
