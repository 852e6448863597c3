import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages ship TypeScript sources (create-t3-turbo style): Next compiles them.
  transpilePackages: ["@specsync/api", "@specsync/settings", "@specsync/validators"],
  reactStrictMode: true,
  poweredByHeader: false,
  // A self-contained server (.next/standalone) that the packaged `specsync` bin ships and runs.
  output: "standalone",
  // Trace files from the monorepo root, so workspace packages and hoisted modules are included.
  outputFileTracingRoot: path.join(path.dirname(fileURLToPath(import.meta.url)), "../.."),
};

export default config;
