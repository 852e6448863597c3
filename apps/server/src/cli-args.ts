/** How many arguments each command takes besides its options. */
const ARITY: Record<string, number> = {
  ...{ start: 0, serve: 0, sync: 0, list: 0, history: 0, conflicts: 0, migrate: 0, mcp: 0 },
  ...{ next: 0, show: 1, new: 1, validate: 1, archive: 1, claim: 1, release: 1 },
};

/**
 * One argument too many (`specsync sync ../other-repo`, `new a b`) was dropped silently, and the
 * command ran on the wrong thing: refused as openspec refuses it (commander's words).
 */
export function tooManyArguments(command: string, count: number): string | undefined {
  const expected = ARITY[command];
  if (expected === undefined || count <= expected) return undefined;
  const hint = expected === 0 && command !== "list" ? " (a project is --project PATH)" : "";
  const args = `${expected} argument${expected === 1 ? "" : "s"}`;
  return `too many arguments for '${command}'. Expected ${args} but got ${count}.${hint}`;
}
