export * from "./services";
export * from "./utils/errors";
export * from "./utils/openspec";
export { writeFileAtomic, TEMP_FILE_PATTERN } from "./utils/fs/atomic-write";
export { resolveInside } from "./utils/fs/safe-path";
export { scanWorkspace, classifyFolder } from "./utils/fs/scan-workspace";
export { sha256 } from "./utils/hash";
export { appRouter, createCaller, type AppRouter } from "./router";
export { errorIdOf, type Context } from "./trpc";
