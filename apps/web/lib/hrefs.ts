import { projectSlug } from "@specsync/validators";

type ProjectLike = { id: string; name: string };
type SpecLike = {
  id: string;
  projectId: string;
  kind: string;
  name: string;
  path: string;
  archived: boolean;
};

/** A project's URL segment: its slug, or its id when two projects share a slug. */
export function projectSegment(project: ProjectLike, all: readonly ProjectLike[]): string {
  const slug = projectSlug(project.name);
  return all.filter((p) => projectSlug(p.name) === slug).length > 1 ? project.id : slug;
}

/**
 * The readable address of a change or spec: `/p/<project>/changes/<name>` (an archived change by
 * its archive folder name, unique where the change name may not be) or
 * `/p/<project>/specs/<capability>`. Without the project list yet, the old `/changes/<id>` address,
 * which redirects.
 */
export function specHref(
  spec: SpecLike,
  projects: readonly ProjectLike[] | undefined,
  query = "",
): string {
  const project = projects?.find((p) => p.id === spec.projectId);
  if (!projects || !project) return `/changes/${spec.id}${query}`;
  const seg = encodeURIComponent(projectSegment(project, projects));
  const name =
    spec.kind === "spec"
      ? spec.name
      : spec.archived
        ? (spec.path.split("/").pop() ?? spec.name)
        : spec.name;
  return `/p/${seg}/${spec.kind === "spec" ? "specs" : "changes"}/${name.split("/").map(encodeURIComponent).join("/")}${query}`;
}
