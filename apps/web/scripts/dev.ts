// `pnpm dev` for the web app: `next dev` on WEB_PORT, told where the API is. Next.js overwrites
// PORT in its own process, so the API address (SPECSYNC_API_URL, else http://HOST:PORT) is derived
// here, from the full settings, and handed down.
import { spawn } from "node:child_process";
import { childEnv, readSettings } from "@specsync/settings";

const settings = readSettings();
const next = spawn("next", ["dev", "-p", String(settings.WEB_PORT)], {
  stdio: "inherit",
  // PORT is the web port in the web process (its Host check reads it); Next sets it too on listen.
  env: childEnv({ SPECSYNC_API_URL: settings.SPECSYNC_API_URL, PORT: String(settings.WEB_PORT) }),
});
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => next.kill(sig));
next.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
