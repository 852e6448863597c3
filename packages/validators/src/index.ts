export * from "./enums";
export * from "./ids";
export * from "./content";
export * from "./openspec-json";
export * from "./sync";
export * from "./specs";
export * from "./projects";
export * from "./agents";
