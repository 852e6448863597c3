#!/usr/bin/env node
// The `specsync` command (e.g. after `pnpm --dir apps/server link --global`): the TypeScript CLI run through
// tsx, as `pnpm specsync` runs it. argv[1] names the CLI so that it knows it was invoked directly.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register();
process.argv[1] = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
await import("../src/cli.ts");
