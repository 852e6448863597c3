import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The built bin, as a person runs it (`pnpm build` first), and the web UI it starts. */
export const BIN = path.resolve(fileURLToPath(import.meta.url), "../../dist/bin/specsync.js");
export const WEB = path.resolve(BIN, "../../web/server.js");
// Skipping quietly is for a local run without a build; CI builds first, so missing is an error.
if (!existsSync(WEB) && process.env.CI) throw new Error(`${WEB} is missing: run \`pnpm build\``);
