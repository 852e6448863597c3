import { parseDeltaSpec } from "./delta-spec";

export type DeltaOperation = "ADDED" | "MODIFIED" | "REMOVED" | "RENAMED";

/** The requirements a change's delta specs touch: capability → requirement name → operations. */
export type TouchedRequirements = Map<string, Map<string, Set<DeltaOperation>>>;

export type SharedRequirement = {
  capability: string;
  requirement: string;
  operations: DeltaOperation[];
  otherOperations: DeltaOperation[];
};

/**
 * What a change touches, read the way `openspec archive` reads delta specs: requirement names are
 * normalised by the CLI's rule (trailing `#`s and blanks dropped) and matched exactly; a RENAMED
 * entry touches both its FROM and its TO name.
 */
export function touchedRequirements(deltaSpecs: Record<string, string>): TouchedRequirements {
  const touched: TouchedRequirements = new Map();
  const add = (capability: string, name: string, op: DeltaOperation) => {
    let byName = touched.get(capability);
    if (!byName) {
      byName = new Map();
      touched.set(capability, byName);
    }
    let ops = byName.get(name);
    if (!ops) {
      ops = new Set();
      byName.set(name, ops);
    }
    ops.add(op);
  };
  for (const [capability, content] of Object.entries(deltaSpecs)) {
    const plan = parseDeltaSpec(content);
    for (const b of plan.added) add(capability, b.name, "ADDED");
    for (const b of plan.modified) add(capability, b.name, "MODIFIED");
    for (const name of plan.removed) add(capability, name, "REMOVED");
    for (const { from, to } of plan.renamed) {
      add(capability, from, "RENAMED");
      add(capability, to, "RENAMED");
    }
  }
  return touched;
}

/**
 * Requirements both changes touch (same capability, same requirement name), sorted for stable
 * output.
 */
export function sharedRequirements(
  a: TouchedRequirements,
  b: TouchedRequirements,
): SharedRequirement[] {
  const shared: SharedRequirement[] = [];
  for (const [capability, namesA] of a) {
    const namesB = b.get(capability);
    if (!namesB) continue;
    for (const [requirement, opsA] of namesA) {
      const opsB = namesB.get(requirement);
      if (opsB)
        shared.push({
          capability,
          requirement,
          operations: [...opsA].sort(),
          otherOperations: [...opsB].sort(),
        });
    }
  }
  return shared.sort((x, y) =>
    x.capability < y.capability
      ? -1
      : x.capability > y.capability
        ? 1
        : x.requirement < y.requirement
          ? -1
          : x.requirement > y.requirement
            ? 1
            : 0,
  );
}
