import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { visibleName } from "@specsync/validators";
import { ZodError } from "zod";
import type { Services } from "../services";
import { errorMessage, isDatabaseUnavailable, SpecsyncError } from "../utils/errors";
import { registerResources } from "./resources";
import type { ToolContext, ToolDefinition } from "./tool";
import { TOOLS } from "./tools";

export type McpServerOptions = {
  /** The project tools use when none is named (`specsync mcp --project PATH`). */
  defaultProjectId?: string | null;
  version?: string;
  tools?: readonly ToolDefinition[];
  log?: (msg: string) => void;
};

/**
 * A tool error the model can act on: the code, the message, and what the service attached
 * (CONFLICT: currentContent/currentHash).
 */
function toolError(err: unknown, log?: (msg: string) => void) {
  let text: string;
  if (err instanceof SpecsyncError)
    text = JSON.stringify({ error: err.code, message: err.message, ...(err.details ?? {}) });
  else if (err instanceof ZodError)
    text = JSON.stringify({
      error: "BAD_REQUEST",
      message: err.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "),
    });
  else if (isDatabaseUnavailable(err))
    text = JSON.stringify({
      error: "SERVICE_UNAVAILABLE",
      message: `the database is unreachable (${errorMessage(err)}); try again later`,
    });
  else {
    log?.(`tool failed: ${errorMessage(err)}`);
    text = JSON.stringify({ error: "INTERNAL", message: errorMessage(err) });
  }
  return { isError: true, content: [{ type: "text" as const, text }] };
}

/**
 * specsync as an MCP server: the tools in ./tools and each change/spec as a resource, over any
 * transport (stdio for `specsync mcp`, Streamable HTTP at /mcp). One McpServer per connection;
 * `close` stops its event subscription.
 */
export function createMcpServer(services: Services, opts: McpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: "specsync", version: opts.version ?? "0.1.0" },
    {
      capabilities: { resources: { listChanged: true }, tools: {} },
      instructions:
        "specsync manages this repository's OpenSpec changes. Typical loop: next_work (claims a change for you) → get_change → do the work, toggle_task as tasks get done, update_file with the baseHash you read → set_status review → release_change. Re-claim with claim_change before a long lease runs out.",
    },
  );
  const defaultProjectId = opts.defaultProjectId ?? null;
  const ctx: ToolContext = {
    services,
    get actor() {
      // The client names itself: what would fake another name is shown in history, not kept.
      return `mcp:${visibleName(server.server.getClientVersion()?.name ?? "client")}`;
    },
    project: (ref) => services.changes.project(ref, defaultProjectId),
    async change(ref, projectRef) {
      const isRowId = /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(ref);
      return services.changes.resolve(
        ref,
        isRowId ? null : (await services.changes.project(projectRef, defaultProjectId)).id,
      );
    },
  };

  for (const tool of opts.tools ?? TOOLS) {
    server.registerTool(
      tool.name,
      {
        description: tool.description,
        // Strict: an unknown key (`lease` for `leaseSeconds`) is refused, never silently dropped.
        inputSchema: tool.input.strict(),
        annotations: { readOnlyHint: tool.readOnly ?? false },
      },
      (async (input: unknown) => {
        try {
          const out = await tool.run(ctx, input as never);
          return { content: [{ type: "text" as const, text: JSON.stringify(out) }] };
        } catch (err) {
          return toolError(err, opts.log);
        }
      }) as never,
    );
  }
  registerResources(server, services, defaultProjectId);

  // The resource list follows the event stream: one list_changed per burst of changes.
  let timer: NodeJS.Timeout | null = null;
  const off = services.events.subscribe((e) => {
    if (
      e.type !== "spec_changed" ||
      (defaultProjectId && e.projectId && e.projectId !== defaultProjectId)
    )
      return;
    timer ??= setTimeout(() => {
      timer = null;
      if (server.isConnected()) server.sendResourceListChanged();
    }, 200);
  });
  const close = server.close.bind(server);
  server.close = async () => {
    off();
    if (timer) clearTimeout(timer);
    await close();
  };
  return server;
}
