import { and, asc, changeDependencies, type Database, eq, openspecSpecs, sql } from "@specsync/db";
import {
  type DependencyInput,
  dependencyInputSchema,
  type LifecycleStatus,
} from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";
import { rowsOf } from "../utils/sql-rows";
import type { SyncEventBus } from "./sync-events";

export type DependencyLink = {
  id: string;
  name: string;
  status: LifecycleStatus;
  archived: boolean;
  deleted: boolean;
};
export type Dependencies = {
  dependsOn: DependencyLink[];
  dependents: DependencyLink[];
  /** Names of dependencies that are not archived yet: while any, the change is blocked. */
  blockedBy: string[];
};

/**
 * A dependency blocks until it is archived (a change folder deleted without archiving blocks
 * nothing).
 */
export const isBlocking = (d: Pick<DependencyLink, "archived" | "deleted">) =>
  !d.archived && !d.deleted;

/**
 * `depends_on` between changes of one project: stored in the database only, never in files; no
 * cycles.
 */
export class DependenciesService {
  constructor(
    private readonly database: Database,
    private readonly events: SyncEventBus,
  ) {}

  async add(input: DependencyInput): Promise<Dependencies> {
    const q = dependencyInputSchema.parse(input);
    if (q.id === q.dependsOn)
      throw new SpecsyncError("BAD_REQUEST", "a change cannot depend on itself");
    const change = await this.database.db.transaction(async (tx) => {
      const [change, dep] = await Promise.all([
        this.change(tx, q.id),
        this.change(tx, q.dependsOn),
      ]);
      if (change.projectId !== dep.projectId)
        throw new SpecsyncError(
          "BAD_REQUEST",
          `${change.name} and ${dep.name} belong to different projects`,
        );
      // One writer of a project's graph at a time, across servers: two opposite edges added at once
      // cannot both pass the cycle check.
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtextextended(${`specsync:deps:${change.projectId}`}, 0))`,
      );
      const cycle = await this.pathBetween(tx, dep.id, change.id);
      if (cycle) {
        const names = [change.name, ...cycle];
        throw new SpecsyncError(
          "BAD_REQUEST",
          `${change.name} cannot depend on ${dep.name}: that would make a cycle ${names.join(" → ")}`,
          { cycle: names },
        );
      }
      await tx
        .insert(changeDependencies)
        .values({ specId: change.id, dependsOnId: dep.id, createdBy: q.actor ?? null })
        .onConflictDoNothing();
      return change;
    });
    this.events.publish({
      type: "spec_changed",
      projectId: change.projectId,
      specId: change.id,
      name: change.name,
    });
    return this.list(change.id);
  }

  async remove(input: DependencyInput): Promise<Dependencies> {
    const q = dependencyInputSchema.parse(input);
    const change = await this.change(this.database.db, q.id);
    const removed = await this.database.db
      .delete(changeDependencies)
      .where(
        and(eq(changeDependencies.specId, q.id), eq(changeDependencies.dependsOnId, q.dependsOn)),
      )
      .returning({ id: changeDependencies.dependsOnId });
    if (!removed.length) {
      // Name the change the caller meant, not its row id.
      const [dep] = await this.database.db
        .select({ name: openspecSpecs.name })
        .from(openspecSpecs)
        .where(eq(openspecSpecs.id, q.dependsOn));
      throw new SpecsyncError(
        "NOT_FOUND",
        `${change.name} does not depend on ${dep?.name ?? `change ${q.dependsOn}`}`,
      );
    }
    this.events.publish({
      type: "spec_changed",
      projectId: change.projectId,
      specId: change.id,
      name: change.name,
    });
    return this.list(change.id);
  }

  async list(id: string): Promise<Dependencies> {
    const link = {
      id: openspecSpecs.id,
      name: openspecSpecs.name,
      status: openspecSpecs.status,
      archived: openspecSpecs.archived,
      deleted: sql<boolean>`${openspecSpecs.deletedAt} is not null`,
    };
    const [dependsOn, dependents] = await Promise.all([
      this.database.db
        .select(link)
        .from(changeDependencies)
        .innerJoin(openspecSpecs, eq(openspecSpecs.id, changeDependencies.dependsOnId))
        .where(eq(changeDependencies.specId, id))
        .orderBy(asc(openspecSpecs.name)),
      this.database.db
        .select(link)
        .from(changeDependencies)
        .innerJoin(openspecSpecs, eq(openspecSpecs.id, changeDependencies.specId))
        .where(eq(changeDependencies.dependsOnId, id))
        .orderBy(asc(openspecSpecs.name)),
    ]);
    return { dependsOn, dependents, blockedBy: dependsOn.filter(isBlocking).map((d) => d.name) };
  }

  /**
   * Names along a dependency path from `from` to `to` (both included), or null when there is
   * none.
   */
  private async pathBetween(
    tx: Pick<Database["db"], "execute">,
    from: string,
    to: string,
  ): Promise<string[] | null> {
    const rows = rowsOf<{ path: string[] }>(
      await tx.execute(sql`
        with recursive walk(node, path) as (
          select ${from}::uuid, array[${from}::uuid]
          union all
          select d.depends_on_id, w.path || d.depends_on_id
          from change_dependencies d join walk w on d.spec_id = w.node
          where not d.depends_on_id = any(w.path)
        )
        select (select jsonb_agg(s.name order by p.ord) from unnest(w.path) with ordinality p(id, ord) join openspec_specs s on s.id = p.id) as path
        from walk w where w.node = ${to}::uuid limit 1`),
    );
    return rows[0]?.path ?? null;
  }

  private async change(db: Pick<Database["db"], "select">, id: string) {
    const [row] = await db
      .select({
        id: openspecSpecs.id,
        name: openspecSpecs.name,
        projectId: openspecSpecs.projectId,
        kind: openspecSpecs.kind,
        deletedAt: openspecSpecs.deletedAt,
      })
      .from(openspecSpecs)
      .where(eq(openspecSpecs.id, id));
    if (!row || row.deletedAt) throw new SpecsyncError("NOT_FOUND", `change ${id} not found`);
    if (row.kind !== "change")
      throw new SpecsyncError(
        "BAD_REQUEST",
        `${row.name} is a spec; only changes have dependencies`,
      );
    return row;
  }
}
