// Kept free of the rest of @specsync/api (tRPC, chokidar, node-cron): `specsync list/show` load
// only this.
export { CliOutputService } from "./cli-output-service";
export * from "./format";
export { FilesCliOutput, showText } from "./from-files";
export { type ListRoot, listRoot } from "./list-root";
