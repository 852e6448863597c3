import {
  and,
  asc,
  type Database,
  eq,
  isNull,
  openspecSpecs,
  or,
  type ProjectRow,
  projects,
} from "@specsync/db";
import { rowIdSchema } from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";

/** Find a project, a change or a spec by the names people and agents use. */
export class ChangeLookup {
  constructor(private readonly database: Database) {}

  /**
   * A change by row id or change id (`add-auth`): the active change first, else the latest
   * archived one.
   */
  async resolve(
    ref: string,
    projectId: string | null,
  ): Promise<{ id: string; name: string; projectId: string }> {
    const byId = rowIdSchema.safeParse(ref).success;
    // NUL names no row, and PostgreSQL refuses it in a query (a database error, not "not found").
    const rows = ref.includes("\0")
      ? []
      : await this.database.db
          .select({
            id: openspecSpecs.id,
            name: openspecSpecs.name,
            projectId: openspecSpecs.projectId,
            archived: openspecSpecs.archived,
          })
          .from(openspecSpecs)
          .where(
            and(
              byId ? eq(openspecSpecs.id, ref) : eq(openspecSpecs.name, ref),
              eq(openspecSpecs.kind, "change"),
              isNull(openspecSpecs.deletedAt),
              projectId ? eq(openspecSpecs.projectId, projectId) : undefined,
            ),
          )
          .orderBy(asc(openspecSpecs.archived), asc(openspecSpecs.path))
          .limit(2);
    const row = rows.find((r) => !r.archived) ?? rows.at(-1);
    if (!row)
      throw new SpecsyncError(
        "NOT_FOUND",
        `no change ${byId ? "with id" : "named"} ${ref}${projectId ? " in this project" : ""}`,
      );
    return row;
  }

  /**
   * A project by id, name or root path; with none given, the default one, else the only one
   * there is.
   */
  async project(ref: string | undefined, defaultId: string | null): Promise<ProjectRow> {
    if (!ref && defaultId) ref = defaultId;
    const isId = !!ref && rowIdSchema.safeParse(ref).success;
    const rows = await this.database.db
      .select()
      .from(projects)
      .where(
        ref
          ? isId
            ? eq(projects.id, ref)
            : or(eq(projects.name, ref), eq(projects.rootPath, ref))
          : undefined,
      )
      .orderBy(asc(projects.name))
      .limit(50);
    const [only] = rows;
    if (rows.length === 1 && only) return only;
    if (!rows.length)
      throw new SpecsyncError("NOT_FOUND", ref ? `no project ${ref}` : "no project is synced yet");
    throw new SpecsyncError(
      "BAD_REQUEST",
      `several projects match; pass project (one of: ${rows.map((r) => `${r.name} = ${r.rootPath}`).join(", ")})`,
    );
  }

  /** A main spec by capability id. */
  async spec(capability: string, projectId: string) {
    const [row] = capability.includes("\0")
      ? []
      : await this.database.db
          .select({ id: openspecSpecs.id })
          .from(openspecSpecs)
          .where(
            and(
              eq(openspecSpecs.projectId, projectId),
              eq(openspecSpecs.kind, "spec"),
              eq(openspecSpecs.name, capability),
              isNull(openspecSpecs.deletedAt),
            ),
          );
    if (!row) throw new SpecsyncError("NOT_FOUND", `no spec named ${capability}`);
    return row;
  }
}
