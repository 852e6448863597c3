/** The first of the project paths: the one that commands acting on a single project use. */
export function firstPath(paths: readonly string[]): string {
  const [first] = paths;
  if (first === undefined)
    throw new Error("no project: pass --project PATH or set SPECSYNC_PROJECTS");
  return first;
}
