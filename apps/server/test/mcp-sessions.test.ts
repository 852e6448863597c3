/**
 * MCP over Streamable HTTP keeps its sessions in a bounded table. A full table must not lock new
 * clients out for the idle time (issue #15, agtest finding 4): the least recently used session
 * is closed to make room, one that never did anything after its handshake first.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createServices } from "@specsync/api";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  type TestDb,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpServer } from "../src/http";

afterAll(cleanupTempRepos);

const headers = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};
const initialize = (name: string) =>
  JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name, version: "1" } },
  });
/** A bare initialize, as a crashed client or a flood leaves it: the session id, nothing more. */
async function bareSession(url: URL, name: string): Promise<string> {
  const res = await fetch(url, { method: "POST", headers, body: initialize(name) });
  await res.text();
  expect(res.status).toBe(200);
  return res.headers.get("mcp-session-id") ?? "";
}
const toolsList = (url: URL, sid?: string) =>
  fetch(url, {
    method: "POST",
    headers: { ...headers, ...(sid ? { "mcp-session-id": sid } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
  });

describe("MCP HTTP sessions: a full table evicts instead of refusing", () => {
  let db: TestDb;
  let server: Server;
  let url: URL;
  beforeAll(async () => {
    db = await createTestDb("pglite");
    const root = tempRepo();
    writeTree(root, changeFiles("add-alpha"));
    const services = createServices(db.database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    server = createHttpServer({
      services,
      token: null,
      allowedOrigins: [],
      mcp: { maxSessions: 3 },
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  }, 60_000);
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await db.drop();
  });

  it("a real agent keeps its session while bare sessions flood the table, and a new client is never refused", async () => {
    const agent = new Client({ name: "agent", version: "1" });
    await agent.connect(new StreamableHTTPClientTransport(url));
    expect((await agent.listTools()).tools.length).toBeGreaterThan(0);

    // Ten bare sessions through a table of three: every initialize is answered.
    const bare: string[] = [];
    for (let i = 0; i < 10; i++) bare.push(await bareSession(url, `bare-${i}`));
    // The agent, which used its session, is still served; the oldest bare sessions were closed.
    expect((await agent.listTools()).tools.length).toBeGreaterThan(0);
    expect((await toolsList(url, bare[0])).status).toBe(404);
    // The newest is alive (the handshake's notification does not count as a use).
    const initialized = await fetch(url, {
      method: "POST",
      headers: { ...headers, "mcp-session-id": bare[9] ?? "" },
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    expect(initialized.status).toBe(202);

    // A new agent connects at once (before: 503 "too many MCP sessions" for up to an hour).
    const late = new Client({ name: "late", version: "1" });
    await late.connect(new StreamableHTTPClientTransport(url));
    expect((await late.listTools()).tools.length).toBeGreaterThan(0);

    // Used sessions are evicted least recently used first once no unused one is left.
    const third = new Client({ name: "third", version: "1" });
    await third.connect(new StreamableHTTPClientTransport(url));
    await third.listTools();
    await agent.listTools(); // the agent is now more recent than `late`
    const fourth = new Client({ name: "fourth", version: "1" });
    await fourth.connect(new StreamableHTTPClientTransport(url));
    await fourth.listTools();
    expect((await agent.listTools()).tools.length).toBeGreaterThan(0);
    await expect(late.listTools()).rejects.toThrow(/404|session/i);
    for (const c of [agent, late, third, fourth]) await c.close();
  }, 60_000);

  it("a request without a session that is not an initialize opens nothing and says how to start, even when full", async () => {
    for (let i = 0; i < 3; i++) await bareSession(url, `fill-${i}`);
    const res = await toolsList(url);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/start a session with an initialize POST/);
  });
});

describe("MCP HTTP sessions: a flood of sessions that never made a request (F7)", () => {
  let db: TestDb;
  let server: Server;
  let url: URL;
  beforeAll(async () => {
    db = await createTestDb("pglite");
    const root = tempRepo();
    writeTree(root, changeFiles("add-alpha"));
    const services = createServices(db.database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    // The default table of 1,000 sessions.
    server = createHttpServer({ services, token: null, allowedOrigins: [] });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  }, 60_000);
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await db.drop();
  });

  it("a live session survives 1,500 SDK clients that connect (handshake and GET stream) and never call", async () => {
    const agent = new Client({ name: "agent", version: "1" });
    await agent.connect(new StreamableHTTPClientTransport(url));
    const first = await agent.callTool({ name: "list_changes", arguments: {} });
    expect(first.isError).toBeFalsy();
    // Every flood client does what the SDK does on connect: initialize, the initialized
    // notification, then the standing GET stream; then it goes away without a call.
    const flood = async (i: number) => {
      const c = new Client({ name: `flood-${i}`, version: "1" });
      // A flood client may lose its own fresh session to the next ones: not what is tested.
      await c.connect(new StreamableHTTPClientTransport(url)).catch(() => {});
      await c.close();
    };
    for (let i = 0; i < 1500; i += 25)
      await Promise.all(Array.from({ length: 25 }, (_, k) => flood(i + k)));
    const after = await agent.callTool({ name: "list_changes", arguments: {} });
    expect(after.isError).toBeFalsy();
    expect(JSON.stringify(after.content)).toContain("add-alpha");
    await agent.close();
  }, 180_000);

  it("an evicted session is told to initialize again, as JSON-RPC", async () => {
    const res = await toolsList(url, "00000000-0000-4000-8000-000000000000");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      jsonrpc: "2.0",
      error: { code: -32001, message: "unknown or expired MCP session; initialize again" },
      id: null,
    });
  });
});
