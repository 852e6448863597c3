import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages ship TypeScript sources (create-t3-turbo style): Next compiles them.
  transpilePackages: ["@specsync/api", "@specsync/validators"],
  reactStrictMode: true,
  poweredByHeader: false,
};

export default config;
