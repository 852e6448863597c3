import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { and, asc, eq, isNull, openspecSpecs, type ProjectRow, projects } from "@specsync/db";
import type { Services } from "../services";
import { SpecsyncError } from "../utils/errors";

/**
 * An unknown change, spec or project: InvalidParams, as the SDK answers an unknown resource URI
 * (anything else thrown in a read callback reaches the client as -32603 internal error).
 */
const notFound = (uri: URL, why: string) =>
  new McpError(ErrorCode.InvalidParams, `Resource ${uri.href} not found: ${why}`);

const one = (v: string | string[] | undefined) => {
  const raw = Array.isArray(v) ? (v[0] ?? "") : (v ?? "");
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // a malformed %-escape names nothing: it is answered "not found"
  }
};

/**
 * URI of a change or main spec: `specsync://<project>/changes/<name>`,
 * `specsync://<project>/specs/<capability>`.
 */
export function resourceUri(project: string, kind: "change" | "spec", name: string): string {
  return `specsync://${encodeURIComponent(project)}/${kind === "change" ? "changes" : "specs"}/${encodeURIComponent(name)}`;
}

/** Each active change and each main spec as a readable resource (its files as Markdown). */
export function registerResources(
  server: McpServer,
  services: Services,
  defaultProjectId: string | null,
) {
  const projectsInScope = async (): Promise<ProjectRow[]> =>
    services.database.db
      .select()
      .from(projects)
      .where(defaultProjectId ? eq(projects.id, defaultProjectId) : undefined)
      .orderBy(asc(projects.name));

  const list = (kind: "change" | "spec") => async () => {
    const out: { uri: string; name: string; title?: string; mimeType: string }[] = [];
    for (const p of await projectsInScope()) {
      const rows = await services.database.db
        .select({ name: openspecSpecs.name, title: openspecSpecs.title })
        .from(openspecSpecs)
        .where(
          and(
            eq(openspecSpecs.projectId, p.id),
            eq(openspecSpecs.kind, kind),
            eq(openspecSpecs.archived, false),
            isNull(openspecSpecs.deletedAt),
          ),
        )
        .orderBy(asc(openspecSpecs.name));
      for (const r of rows)
        out.push({
          uri: resourceUri(p.name, kind, r.name),
          name: `${p.name}/${r.name}`,
          ...(r.title ? { title: r.title } : {}),
          mimeType: "text/markdown",
        });
    }
    return { resources: out };
  };

  const read =
    (kind: "change" | "spec") => async (uri: URL, vars: Record<string, string | string[]>) => {
      const project = (await projectsInScope()).find((p) => p.name === one(vars.project));
      if (!project) throw notFound(uri, `no project named ${one(vars.project)}`);
      const name = one(vars.name);
      let id: string;
      try {
        id =
          kind === "change"
            ? (await services.changes.resolve(name, project.id)).id
            : (await services.changes.spec(name, project.id)).id;
      } catch (err) {
        if (err instanceof SpecsyncError && err.code === "NOT_FOUND")
          throw notFound(uri, err.message);
        throw err;
      }
      const got = await services.specs.getWithoutParsed(id);
      return {
        contents: Object.entries(got.files)
          .filter(([f]) => f.endsWith(".md"))
          .map(([f, text]) => ({ uri: `${uri.href}/${f}`, mimeType: "text/markdown", text })),
      };
    };

  server.registerResource(
    "change",
    new ResourceTemplate("specsync://{project}/changes/{name}", { list: list("change") }),
    {
      description: "An active OpenSpec change: proposal, tasks, design and delta specs",
      mimeType: "text/markdown",
    },
    read("change"),
  );
  server.registerResource(
    "spec",
    new ResourceTemplate("specsync://{project}/specs/{name}", { list: list("spec") }),
    { description: "A main capability spec", mimeType: "text/markdown" },
    read("spec"),
  );
}
