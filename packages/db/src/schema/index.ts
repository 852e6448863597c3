export * from "./agents";
export * from "./list-generation";
export * from "./openspec-specs";
export * from "./projects";
export * from "./sync-checks";
export * from "./sync-history";
export * from "./sync-state-generation";
