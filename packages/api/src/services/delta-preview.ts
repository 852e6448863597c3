import { readFile } from "node:fs/promises";
import path from "node:path";
import { errorMessage } from "../utils/errors";
import type { ArchiveRules, RequirementBlock } from "../utils/openspec-internals";

export type RequirementChange = {
  op: "ADDED" | "MODIFIED" | "REMOVED" | "RENAMED";
  /** The requirement's name after archive (for REMOVED: the name removed). */
  name: string;
  /** RENAMED: the old name. */
  from?: string;
  /** The requirement block in the main spec now (null: not there). */
  before: string | null;
  /** The block after archive (null: gone). */
  after: string | null;
};

export type SpecPreview = {
  capability: string;
  /** The main spec file, relative to `openspec/`. */
  file: string;
  /** The main spec does not exist yet: archive creates it. */
  isNew: boolean;
  /**
   * The whole main spec now, and exactly what archive would write (null when archive cannot
   * build it).
   */
  before: string | null;
  after: string | null;
  counts: { added: number; modified: number; removed: number; renamed: number };
  warnings: string[];
  /** Why archive would refuse this delta (the CLI's own message), or null. */
  error: string | null;
  requirements: RequirementChange[];
};

export type ArchivePreview = { change: string; specs: SpecPreview[]; durationMs: number };

/**
 * What `openspec archive` would do to the main specs, computed with the archive's own functions on
 * the files as they are now. Nothing is written.
 */
export async function previewArchive(
  rules: ArchiveRules,
  openspecDir: string,
  changeRelPath: string,
  changeName: string,
): Promise<ArchivePreview> {
  const started = performance.now();
  const mainSpecsDir = path.join(openspecDir, "specs");
  const updates = await rules.findSpecUpdates(path.join(openspecDir, changeRelPath), mainSpecsDir);
  const specs: SpecPreview[] = [];
  for (const update of updates) {
    const file = `specs/${update.id}/spec.md`;
    const before = update.exists ? await readFile(update.target, "utf8") : null;
    const delta = await readFile(update.source, "utf8");
    let after: string | null = null;
    let error: string | null = null;
    let counts = { added: 0, modified: 0, removed: 0, renamed: 0 };
    let warnings: string[] = [];
    try {
      const built = await rules.buildUpdatedSpec(update, changeName, { silent: true });
      // archive writes the rebuilt text with the line endings the existing file used
      // (writeUpdatedSpec).
      after = before === null ? built.rebuilt : rules.matchLineEnding(built.rebuilt, before);
      counts = built.counts;
      warnings = built.warnings ?? [];
    } catch (err) {
      error = errorMessage(err);
    }
    specs.push({
      capability: update.id,
      file,
      isNew: !update.exists,
      before,
      after,
      counts,
      warnings,
      error,
      requirements: requirementChanges(rules, delta, before, after),
    });
  }
  specs.sort((a, b) => (a.capability < b.capability ? -1 : a.capability > b.capability ? 1 : 0));
  return {
    change: changeName,
    specs,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  };
}

/** Each operation of a delta spec with the requirement block as it is now and as it will be. */
function requirementChanges(
  rules: ArchiveRules,
  delta: string,
  before: string | null,
  after: string | null,
): RequirementChange[] {
  let plan: ReturnType<ArchiveRules["parseDeltaSpec"]>;
  try {
    plan = rules.parseDeltaSpec(delta);
  } catch {
    return [];
  }
  const blocksOf = (content: string | null) =>
    content === null ? [] : rules.extractRequirementsSection(content).bodyBlocks;
  const find = (blocks: RequirementBlock[], name: string) => {
    const n = rules.normalizeRequirementName(name);
    const f = rules.foldRequirementName(n);
    return (
      (
        blocks.find((b) => b.name === n) ??
        blocks.find((b) => rules.foldRequirementName(b.name) === f)
      )?.raw ?? null
    );
  };
  const now = blocksOf(before);
  const later = blocksOf(after);
  const renamedFrom = new Map(
    plan.renamed.map((r) => [rules.normalizeRequirementName(r.to), r.from]),
  );
  const out: RequirementChange[] = [];
  for (const r of plan.renamed)
    out.push({
      op: "RENAMED",
      name: r.to,
      from: r.from,
      before: find(now, r.from),
      after: find(later, r.to),
    });
  for (const m of plan.modified) {
    const old = renamedFrom.get(rules.normalizeRequirementName(m.name));
    out.push({
      op: "MODIFIED",
      name: m.name,
      before: find(now, m.name) ?? (old ? find(now, old) : null),
      after: find(later, m.name),
    });
  }
  for (const name of plan.removed)
    out.push({ op: "REMOVED", name, before: find(now, name), after: null });
  for (const a of plan.added)
    out.push({ op: "ADDED", name: a.name, before: null, after: find(later, a.name) });
  return out;
}
