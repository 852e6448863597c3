/**
 * The official MCP SDK client on an in-memory pair, against the real MCP server and services:
 * what the MCP tool tests call tools through. Its own entry (not in index.ts): it loads the MCP
 * server, which the benchmark never needs.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { createServices } from "../src";
import { createMcpServer } from "../src/mcp";

/** A tool's answer: its first text part, parsed when it is JSON (else `body` is {}). */
export type McpAnswer = { isError: boolean; text: string; body: Record<string, unknown> };

export async function connectMcp(
  services: ReturnType<typeof createServices>,
  projectId: string,
  clientName = "specsync-test",
) {
  const server = createMcpServer(services, { defaultProjectId: projectId });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: clientName, version: "1" });
  await client.connect(b);
  const call = async (name: string, args: Record<string, unknown>): Promise<McpAnswer> => {
    const res = (await client.callTool({ name, arguments: args })) as {
      isError?: boolean;
      content: { text?: string }[];
    };
    const text = res.content[0]?.text ?? "";
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: an error message, read through `text`
    }
    return { isError: !!res.isError, text, body };
  };
  return { call, close: () => Promise.all([client.close(), server.close()]) };
}
