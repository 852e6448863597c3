import { and, asc, eq, isNull, openspecSpecs, type Database } from "@specsync/db";
import { rowIdSchema } from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";

/** Find a change by row id or by change id (`add-auth`): the active change first, else the latest archived one. */
export class ChangeLookup {
  constructor(private readonly database: Database) {}

  async resolve(ref: string, projectId: string | null): Promise<{ id: string; name: string; projectId: string }> {
    const byId = rowIdSchema.safeParse(ref).success;
    const rows = await this.database.db
      .select({ id: openspecSpecs.id, name: openspecSpecs.name, projectId: openspecSpecs.projectId, archived: openspecSpecs.archived })
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
    if (!row) throw new SpecsyncError("NOT_FOUND", `no change ${byId ? "with id" : "named"} ${ref}${projectId ? " in this project" : ""}`);
    return row;
  }
}
