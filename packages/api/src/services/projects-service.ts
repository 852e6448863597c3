import { existsSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { eq, openspecSpecs, projects, sql, type Database, type ProjectRow } from "@specsync/db";
import type { AddProjectInput } from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";
import type { OpenSpecSyncService } from "./openspec-sync-service";

/** Is `dir/openspec` an OpenSpec root (config.yaml, or the legacy project.md/AGENTS.md)? */
export function isOpenSpecRoot(dir: string): boolean {
  const root = path.join(dir, "openspec");
  return ["config.yaml", "config.yml", "project.md", "AGENTS.md", "specs", "changes"].some((f) => existsSync(path.join(root, f)));
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
      .select({ projectId: openspecSpecs.projectId, kind: openspecSpecs.kind, archived: openspecSpecs.archived, status: openspecSpecs.status, n: sql<number>`count(*)::int` })
      .from(openspecSpecs)
      .where(sql`${openspecSpecs.deletedAt} is null`)
      .groupBy(openspecSpecs.projectId, openspecSpecs.kind, openspecSpecs.archived, openspecSpecs.status);
    return rows.map((p) => {
      const mine = counts.filter((c) => c.projectId === p.id);
      const byStatus: Record<string, number> = {};
      for (const c of mine.filter((c) => c.kind === "change")) byStatus[c.status] = (byStatus[c.status] ?? 0) + c.n;
      const sum = (f: (c: (typeof mine)[number]) => boolean) => mine.filter(f).reduce((n, c) => n + c.n, 0);
      return { ...p, counts: { byStatus, activeChanges: sum((c) => c.kind === "change" && !c.archived), archivedChanges: sum((c) => c.kind === "change" && c.archived), specs: sum((c) => c.kind === "spec") } };
    });
  }

  /** Validate a path and register it: it must exist, hold an OpenSpec root and lie under an allowed root. */
  async add(input: AddProjectInput): Promise<ProjectRow> {
    const resolved = path.resolve(input.path);
    if (!existsSync(resolved) || !statSync(resolved).isDirectory()) throw new SpecsyncError("BAD_REQUEST", `${input.path} is not a folder`);
    const real = realpathSync(resolved);
    const allowed = this.allowedRoots.some((r) => {
      if (!existsSync(r)) return false;
      const rel = path.relative(realpathSync(r), real);
      return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
    });
    if (!allowed) throw new SpecsyncError("FORBIDDEN", `${input.path} is not under SPECSYNC_ALLOWED_ROOTS (${this.allowedRoots.join(", ")})`);
    if (!isOpenSpecRoot(real)) throw new SpecsyncError("BAD_REQUEST", `${input.path} has no openspec/ folder (config.yaml, project.md, specs/ or changes/)`);
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
