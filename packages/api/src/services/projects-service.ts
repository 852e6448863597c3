import { existsSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { type Database, eq, openspecSpecs, type ProjectRow, projects, sql } from "@specsync/db";
import type { AddProjectInput } from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";
import type { OpenSpecSyncService } from "./openspec-sync-service";

function isWithin(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Is `dir/openspec` an OpenSpec root (config.yaml, or the legacy project.md/AGENTS.md)? */
export function isOpenSpecRoot(dir: string): boolean {
  const root = path.join(dir, "openspec");
  return ["config.yaml", "config.yml", "project.md", "AGENTS.md", "specs", "changes"].some((f) =>
    existsSync(path.join(root, f)),
  );
}

/** Projects: repositories whose `openspec/` specsync keeps in sync. */
export class ProjectsService {
  constructor(
    private readonly database: Database,
    private readonly sync: OpenSpecSyncService,
    private readonly allowedRoots: readonly string[],
  ) {}

  async list() {
    const rows = await this.database.db.select().from(projects).orderBy(projects.name);
    const counts = await this.database.db
      .select({
        projectId: openspecSpecs.projectId,
        kind: openspecSpecs.kind,
        archived: openspecSpecs.archived,
        status: openspecSpecs.status,
        n: sql<number>`count(*)::int`,
      })
      .from(openspecSpecs)
      .where(sql`${openspecSpecs.deletedAt} is null`)
      .groupBy(
        openspecSpecs.projectId,
        openspecSpecs.kind,
        openspecSpecs.archived,
        openspecSpecs.status,
      );
    return rows.map((p) => {
      const mine = counts.filter((c) => c.projectId === p.id);
      const byStatus: Record<string, number> = {};
      for (const c of mine.filter((c) => c.kind === "change"))
        byStatus[c.status] = (byStatus[c.status] ?? 0) + c.n;
      const sum = (f: (c: (typeof mine)[number]) => boolean) =>
        mine.filter(f).reduce((n, c) => n + c.n, 0);
      return {
        ...p,
        counts: {
          byStatus,
          activeChanges: sum((c) => c.kind === "change" && !c.archived),
          archivedChanges: sum((c) => c.kind === "change" && c.archived),
          specs: sum((c) => c.kind === "spec"),
        },
      };
    });
  }

  /**
   * Validate a path and register it: it must lie under an allowed root, exist and hold an OpenSpec
   * root. The root check comes first and on the path as written, so a path outside gets the same
   * answer whether it exists or not (no probing of the disk through this call), and the answer
   * names no root.
   */
  async add(input: AddProjectInput): Promise<ProjectRow> {
    const outside = () =>
      new SpecsyncError(
        "FORBIDDEN",
        "this path is not under an allowed root (SPECSYNC_ALLOWED_ROOTS)",
      );
    const resolved = path.resolve(input.path);
    const roots = this.allowedRoots.flatMap((r) => {
      const lexical = path.resolve(r);
      try {
        return [lexical, realpathSync(lexical)];
      } catch {
        return [];
      }
    });
    if (!roots.some((r) => isWithin(r, resolved))) throw outside();
    let real: string;
    try {
      real = realpathSync(resolved);
    } catch {
      throw new SpecsyncError("BAD_REQUEST", `${input.path} is not a folder`);
    }
    // Under a root as written, but a symlink may lead elsewhere: the real path must be inside too.
    if (!roots.some((r) => isWithin(r, real))) throw outside();
    if (!statSync(real).isDirectory())
      throw new SpecsyncError("BAD_REQUEST", `${input.path} is not a folder`);
    if (!isOpenSpecRoot(real))
      throw new SpecsyncError(
        "BAD_REQUEST",
        `${input.path} has no openspec/ folder (config.yaml, project.md, specs/ or changes/)`,
      );
    return this.sync.ensureProject(real, input.name);
  }

  async remove(id: string, deleteRows: boolean): Promise<ProjectRow> {
    const project = await this.sync.getProject(id);
    if (deleteRows) {
      await this.database.db.delete(projects).where(eq(projects.id, id));
      this.sync.forgetProject(id);
    }
    return project;
  }
}
