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
  for (const [capability, content] of Object.entries(deltaSpecs)) {
    const byName = requirementsTouchedBy(content);
    if (byName.size) touched.set(capability, byName);
  }
  return touched;
}

/** What one delta spec file touches: requirement name → operations (see `touchedRequirements`). */
export function requirementsTouchedBy(content: string): Map<string, Set<DeltaOperation>> {
  const byName = new Map<string, Set<DeltaOperation>>();
  const add = (name: string, op: DeltaOperation) => {
    let ops = byName.get(name);
    if (!ops) {
      ops = new Set();
      byName.set(name, ops);
    }
    ops.add(op);
  };
  const plan = parseDeltaSpec(content);
  for (const b of plan.added) add(b.name, "ADDED");
  for (const b of plan.modified) add(b.name, "MODIFIED");
  for (const name of plan.removed) add(name, "REMOVED");
  for (const { from, to } of plan.renamed) {
    add(from, "RENAMED");
    add(to, "RENAMED");
  }
  return byName;
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
