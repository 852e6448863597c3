export { answerFastMutation } from "./fast-mutations";
export { answerFastQuery } from "./fast-queries";
export { type AppRouter, appRouter, createCaller } from "./router";
export * from "./services";
export { type Context, errorIdOf } from "./trpc";
export * from "./utils/errors";
export { TEMP_FILE_PATTERN, writeFileAtomic } from "./utils/fs/atomic-write";
export { resolveInside } from "./utils/fs/safe-path";
export { classifyFolder, scanWorkspace } from "./utils/fs/scan-workspace";
export { sha256 } from "./utils/hash";
export * from "./utils/openspec";
export {
  locateOpenSpecCli,
  type OpenSpecCli,
  runOpenSpec,
  SUPPORTED_OPENSPEC_RANGE,
} from "./utils/openspec-cli";
export {
  type ConflictRegion,
  hasConflictMarkers,
  type MergeResult,
  mergeThreeWay,
} from "./utils/three-way-merge";
