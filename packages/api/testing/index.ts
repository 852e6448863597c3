/**
 * `@specsync/api/testing`: what the test suites and the benchmark share — real temp workspaces, throwaway
 * databases, the real OpenSpec CLI as oracle, generated and hostile documents. Not part of the app: nothing
 * under src/ imports it, and the packaged build never contains it. `describeEachDb` (it needs vitest) is
 * its own entry, `@specsync/api/testing/each-db`.
 */
export * from "./adversarial-markdown";
export * from "./databases";
export * from "./free-port";
export * from "./generate-workspace";
export * from "./generated-workspace";
export * from "./openspec-cli";
export * from "./pglite-template";
export * from "./raw-request";
export * from "./workspace";
