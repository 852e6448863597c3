export * from "./projects";
export * from "./openspec-specs";
export * from "./sync-history";
export * from "./sync-checks";
export * from "./agents";
