import { LIFECYCLE_COMMANDS } from "./commands/lifecycle";

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

/** `openspec show`'s own options (1.13.2), which its argument count passes over. */
const SHOW_FLAGS = ["json", "no-interactive", "deltas-only", "requirements-only", "diff"];
const SHOW_MORE_FLAGS = ["requirements", "no-scenarios", "help"];
const SHOW_VALUED = ["type", "requirement", "store"];

/**
 * The arguments `openspec show` counts in `args`: what is not an option it (or specsync) knows,
 * nor such an option's value. An unknown option counts, as commander counts it (`show a --zz`:
 * two); everything after `--` counts.
 */
export function showArgumentCount(
  args: readonly string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
): number {
  const valued = new Set([
    ...SHOW_VALUED,
    ...Object.keys(options).filter((k) => options[k]?.type === "string"),
  ]);
  const flags = new Set([...SHOW_FLAGS, ...SHOW_MORE_FLAGS, ...Object.keys(options)]);
  let count = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === "--") return count + args.length - i - 1;
    if (!a.startsWith("-") || a === "-") {
      count++;
      continue;
    }
    const long = a === "-r" ? "requirement" : a === "-h" ? "help" : a.startsWith("--") ? a : "";
    const [name = "", value] = long.replace(/^--/, "").split("=");
    if (valued.has(name)) {
      if (value === undefined) i++;
    } else if (!flags.has(name) && !flags.has(name.replace(/^no-/, ""))) count++;
  }
  return count;
}

/** Commands that work on one project: a second `--project` would be passed over silently. */
const ONE_PROJECT = new Set<string>(["history", "conflicts", "mcp", ...LIFECYCLE_COMMANDS]);

/** `new x --project a --project b` created x in a alone: refused, naming both. */
export function oneProjectOnly(command: string, given: number, paths: readonly string[]): void {
  if (given > 1 && paths.length > 1 && ONE_PROJECT.has(command))
    throw Object.assign(
      new Error(`${command} works on one project: pass --project once (got ${paths.join(", ")})`),
      { code: "BAD_REQUEST" },
    );
}
