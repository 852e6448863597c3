import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ErrorCode,
  McpError,
  ResourceListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor } from "../testing";
import { bundleCli, removeBundle } from "../testing/bundle";

afterAll(cleanupTempRepos);

/** The CLI bundled from the current sources once for the file (testing/bundle.ts), not via tsx. */
let CLI = "";
beforeAll(async () => {
  CLI = await bundleCli();
});
afterAll(() => removeBundle(CLI));

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[] };
const call = async (client: Client, name: string, args: Record<string, unknown>) => {
  const res = (await client.callTool({ name, arguments: args })) as ToolResult;
  const text = res.content[0]?.text ?? "";
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text };
  }
  return { isError: !!res.isError, body, text };
};
const ok = async (client: Client, name: string, args: Record<string, unknown>) => {
  const r = await call(client, name, args);
  if (r.isError) throw new Error(`${name} failed: ${r.text}`);
  // biome-ignore lint/suspicious/noExplicitAny: tool answers are JSON read by path in the assertions
  return r.body as Record<string, any>;
};

/** A raw HTTP request: fetch() will not send a Host header of our choosing. */
function rawPost(url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "x", version: "1" },
  },
});

/** The validators' refusal of a NUL, naming the field (the SDK writes "<message> at <path>"). */
const NUL_IN = (field: string) => new RegExp(`contains a NUL byte \\(U\\+0000\\) at ${field}\\b`);

function workspace() {
  const root = tempRepo();
  writeTree(root, { ...changeFiles("add-alpha"), ...changeFiles("add-beta") });
  return root;
}

/**
 * What an agent does: take work, read it, tick tasks, edit a file, survive a conflict, hand the
 * change back.
 */
async function agentLoop(client: Client, root: string, setStatusApproved: () => Promise<void>) {
  const tools = (await client.listTools()).tools.map((t) => t.name);
  expect(tools).toEqual(
    expect.arrayContaining([
      "list_changes",
      "get_change",
      "get_spec",
      "next_work",
      "claim_change",
      "release_change",
      "toggle_task",
      "update_file",
      "set_status",
      "add_dependency",
      "remove_dependency",
      "overlaps",
    ]),
  );
  const schema = (await client.listTools()).tools.find((t) => t.name === "claim_change")!
    .inputSchema as { properties: Record<string, { minimum?: number }>; required?: string[] };
  expect(schema.required).toEqual(expect.arrayContaining(["change", "owner"]));
  expect(schema.properties.leaseSeconds!.minimum).toBe(10);

  const listed = await ok(client, "list_changes", {});
  expect(listed.changes.map((c: { name: string }) => c.name).sort()).toEqual([
    "add-alpha",
    "add-beta",
  ]);

  // Nothing approved yet: the queue is empty and says so.
  expect((await ok(client, "next_work", { owner: "agent-1" })).change).toBeNull();
  await setStatusApproved();
  const next = await ok(client, "next_work", { owner: "agent-1", explain: true });
  expect(next.change.name).toBe("add-alpha");
  expect(next.claim.owner).toBe("agent-1");
  expect((await ok(client, "list_changes", { claimed: true })).changes).toEqual([
    expect.objectContaining({ name: "add-alpha", claimedBy: "agent-1" }),
  ]);

  // Both changes touch demo: Demo behaviour, so the other one is not offered while add-alpha is
  // claimed.
  const other = await ok(client, "next_work", { owner: "agent-2", explain: true });
  expect(other.change).toBeNull();
  expect(other.skipped).toContainEqual({
    name: "add-beta",
    reason: "overlaps add-alpha (claimed by agent-1) on demo: Demo behaviour",
  });
  const overl = await ok(client, "overlaps", { change: "add-alpha" });
  expect(overl.overlaps).toEqual([
    { name: "add-beta", status: "approved", requirements: ["demo: Demo behaviour"] },
  ]);

  const stolen = await call(client, "claim_change", { change: "add-alpha", owner: "agent-2" });
  expect(stolen.isError).toBe(true);
  expect(stolen.body).toMatchObject({ error: "CONFLICT", owner: "agent-1" });

  let change = await ok(client, "get_change", { change: "add-alpha" });
  expect(change.tasks.map((t: { id: string }) => t.id)).toEqual(["1.1", "1.2", "1.3"]);
  expect(change.deltas).toEqual({ demo: { ADDED: ["Demo behaviour"] } });
  expect(change.claim.owner).toBe("agent-1");
  const ticked = await ok(client, "toggle_task", {
    change: "add-alpha",
    taskId: "1.1",
    done: true,
    baseHash: change.hashes["tasks.md"],
  });
  expect(ticked.tasks).toBe("2/3");
  expect(readFileSync(path.join(root, "openspec/changes/add-alpha/tasks.md"), "utf8")).toContain(
    "- [x] 1.1 First task",
  );

  // Someone edits proposal.md on disk while the agent works on its own version.
  change = await ok(client, "get_change", { change: "add-alpha" });
  const proposalPath = path.join(root, "openspec/changes/add-alpha/proposal.md");
  writeFileSync(proposalPath, `${readFileSync(proposalPath, "utf8")}\nA human note.\n`);
  await waitFor(
    async () =>
      (await ok(client, "get_change", { change: "add-alpha" })).proposal.includes("A human note."),
    10_000,
    "disk edit seen",
  );
  const stale = await call(client, "update_file", {
    change: "add-alpha",
    file: "proposal.md",
    content: `${change.proposal}\nAgent text.\n`,
    baseHash: change.hashes["proposal.md"],
  });
  expect(stale.isError).toBe(true);
  expect(stale.body).toMatchObject({ error: "CONFLICT" });
  expect(stale.body.currentContent).toContain("A human note.");
  expect(readFileSync(proposalPath, "utf8")).not.toContain("Agent text.");
  const merged = `${stale.body.currentContent}\nAgent text.\n`;
  const saved = await ok(client, "update_file", {
    change: "add-alpha",
    file: "proposal.md",
    content: merged,
    baseHash: stale.body.currentHash,
  });
  expect(saved.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(readFileSync(proposalPath, "utf8")).toBe(merged);

  // break-api F4: a disk edit on other lines (it would merge cleanly) is still a CONFLICT for an
  // agent, which must see the text it changes; nothing is written until it retries.
  const seen = await ok(client, "get_change", { change: "add-alpha" });
  const onDisk = `Disk line.\n${merged}`;
  writeFileSync(proposalPath, onDisk);
  await waitFor(
    async () =>
      (await ok(client, "get_change", { change: "add-alpha" })).proposal.startsWith("Disk line."),
    10_000,
    "second disk edit seen",
  );
  const staleClean = await call(client, "update_file", {
    change: "add-alpha",
    file: "proposal.md",
    content: `${seen.proposal}Agent two.\n`,
    baseHash: seen.hashes["proposal.md"],
  });
  expect(staleClean.isError).toBe(true);
  expect(staleClean.body).toMatchObject({ error: "CONFLICT", currentContent: onDisk });
  expect(readFileSync(proposalPath, "utf8")).toBe(onDisk);
  const retried = await ok(client, "update_file", {
    change: "add-alpha",
    file: "proposal.md",
    content: `${staleClean.body.currentContent}Agent two.\n`,
    baseHash: staleClean.body.currentHash,
  });
  expect(retried.hash).not.toBe(staleClean.body.currentHash);
  expect(readFileSync(proposalPath, "utf8")).toBe(`${onDisk}Agent two.\n`);

  // Bad input: tool errors with the reason, never a crash, and the server keeps answering.
  for (const [name, args, message] of [
    ["get_change", { change: "no-such-change" }, /no change named no-such-change/],
    [
      "claim_change",
      { change: "add-alpha", owner: "agent-1", leaseSeconds: 0 },
      /at least 10 seconds/,
    ],
    [
      "claim_change",
      { change: "add-alpha", owner: "agent-1", leaseSeconds: 315_360_000 },
      /at most 86400 seconds/,
    ],
    [
      "release_change",
      { change: "add-alpha", owner: "agent-2" },
      /claimed by agent-1, not by agent-2/,
    ],
    ["add_dependency", { change: "add-alpha", dependsOn: "add-alpha" }, /cannot depend on itself/],
    ["toggle_task", { change: "add-alpha", taskId: "9.9", done: true }, /task 9.9 not found/],
    [
      "update_file",
      { change: "add-alpha", file: "../escape.md", content: "x", baseHash: null },
      /path cannot contain/,
    ],
    ["set_status", { change: "add-alpha", status: "archived" }, /set by archiving the change/],
    ["no_such_tool", {}, /not found/],
    // NUL reaches neither PostgreSQL nor a child process: a clear input error naming the field
    // (it was INTERNAL "invalid byte sequence for encoding UTF8: 0x00").
    ["claim_change", { change: "add-alpha", owner: "a\u0000b" }, NUL_IN("owner")],
    ["release_change", { change: "add-alpha", owner: "a\u0000b" }, NUL_IN("owner")],
    ["next_work", { owner: "\u0000" }, NUL_IN("owner")],
    ["list_changes", { search: "a\u0000" }, NUL_IN("search")],
    ["list_changes", { claimedBy: "\u0000" }, NUL_IN("claimedBy")],
    ["list_changes", { project: "\u0000" }, NUL_IN("project")],
    ["toggle_task", { change: "add-alpha", taskId: "\u0000", done: true }, NUL_IN("taskId")],
    ["new_change", { name: "add-nul-goal", goal: "a\u0000b" }, NUL_IN("goal")],
    // A made-up base for a file that does not exist creates nothing.
    [
      "update_file",
      { change: "add-alpha", file: "design.md", content: "x\n", baseHash: "c".repeat(64) },
      /CONFLICT.*design\.md does not exist.*send baseHash null to create it/,
    ],
    // A dependency that is not there is named by its change id, not a row uuid.
    [
      "remove_dependency",
      { change: "add-alpha", dependsOn: "add-beta" },
      /"add-alpha does not depend on add-beta"/,
    ],
  ] as const) {
    const r = await call(client, name, args);
    expect(r.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
    expect(r.text).toMatch(message);
  }
  expect(existsSync(path.join(root, "openspec/changes/add-alpha/design.md"))).toBe(false);
  expect(existsSync(path.join(root, "openspec/changes/add-nul-goal"))).toBe(false);

  await ok(client, "add_dependency", { change: "add-beta", dependsOn: "add-alpha" });
  const cyc = await call(client, "add_dependency", { change: "add-alpha", dependsOn: "add-beta" });
  expect(cyc.text).toMatch(/cycle add-alpha → add-beta → add-alpha/);
  expect((await ok(client, "get_change", { change: "add-beta" })).blockedBy).toEqual(["add-alpha"]);

  expect(
    await ok(client, "release_change", { change: "add-alpha", owner: "agent-1" }),
  ).toMatchObject({ released: true });
  expect((await ok(client, "list_changes", { claimed: true })).changes).toEqual([]);

  const resources = (await client.listResources()).resources.map((r) => r.uri);
  const uri = resources.find((u) => u.endsWith("/changes/add-alpha"))!;
  expect(uri).toMatch(/^specsync:\/\/[^/]+\/changes\/add-alpha$/);
  const read = await client.readResource({ uri });
  expect(read.contents.map((c) => c.uri.slice(uri.length + 1))).toEqual(
    expect.arrayContaining(["proposal.md", "tasks.md", "specs/demo/spec.md"]),
  );
  // An unknown change is a not-found on the request (InvalidParams, as the SDK answers an unknown
  // URI), not -32603 internal error.
  const unknown = uri.replace(/add-alpha$/, "no-such-change");
  const missing = await client.readResource({ uri: unknown }).then(
    () => null,
    (err: McpError) => err,
  );
  expect(missing).toBeInstanceOf(McpError);
  expect(missing?.code).toBe(ErrorCode.InvalidParams);
  expect(missing?.message).toMatch(/not found: no change named no-such-change/);
  const malformed = await client.readResource({ uri: uri.replace(/add-alpha$/, "%E0%A4%A") }).then(
    () => null,
    (err: McpError) => err,
  );
  expect(malformed?.code).toBe(ErrorCode.InvalidParams);
}

describe("MCP server", () => {
  it("over stdio: the real `specsync mcp` command, driven by the SDK's client", async () => {
    const root = workspace();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "mcp", "--project", root],
      env: {
        ...(process.env as Record<string, string>),
        SPECSYNC_DATA_DIR: "memory://",
        SPECSYNC_LOG: "silent",
        SPECSYNC_CRON: "0 0 1 1 *",
      },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (d) => (stderr += d));
    const client = new Client({ name: "test-agent", version: "1.0.0" });
    await client.connect(transport);
    try {
      await agentLoop(client, root, async () => {
        for (const c of ["add-alpha", "add-beta"])
          await ok(client, "set_status", { change: c, status: "approved" });
      });
      // A lone surrogate survives JSON.parse of the stdio line; HTTP refuses it at the door (400),
      // stdio refused nothing and stored U+FFFD. Now both refuse it, and nothing is written.
      const lone = await call(client, "claim_change", { change: "add-beta", owner: "a\uD800b" });
      expect(lone.isError).toBe(true);
      expect(lone.text).toMatch(/lone UTF-16 surrogate .* at owner\b/);
      expect((await ok(client, "list_changes", { claimed: true })).changes).toEqual([]);
      const loneText = await call(client, "update_file", {
        change: "add-beta",
        file: "design.md",
        content: "x\uDC00y\n",
        baseHash: null,
      });
      expect(loneText.text).toMatch(/content must be text: it holds a lone UTF-16 surrogate/);
      expect(existsSync(path.join(root, "openspec/changes/add-beta/design.md"))).toBe(false);
      expect(stderr).not.toMatch(/unhandled|TypeError/);
    } finally {
      await client.close();
    }
  }, 120_000);

  it("over stdio, raw bytes: invalid UTF-8 is refused with a parse error carrying the call's id, never stored as U+FFFD", async () => {
    const root = workspace();
    const child = spawn(process.execPath, [CLI, "mcp", "--project", root], {
      env: {
        ...process.env,
        SPECSYNC_DATA_DIR: "memory://",
        SPECSYNC_LOG: "silent",
        SPECSYNC_CRON: "0 0 1 1 *",
      },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const answers = new Map<number | null, Record<string, unknown>>();
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      for (let nl = out.indexOf("\n"); nl !== -1; nl = out.indexOf("\n")) {
        const msg = JSON.parse(out.slice(0, nl));
        out = out.slice(nl + 1);
        if ("id" in msg) answers.set(msg.id, msg);
      }
    });
    const send = (line: Buffer | string) => child.stdin.write(line);
    const answer = async (id: number | null) => {
      await waitFor(() => answers.has(id), 60_000, `answer ${id}`);
      // biome-ignore lint/suspicious/noExplicitAny: JSON-RPC answers read by path
      return answers.get(id) as Record<string, any>;
    };
    const toolCall = (id: number, name: string, args: string) =>
      `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${args}}}\n`;
    try {
      send(`${INITIALIZE}\n`);
      await answer(1);
      send('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
      // "a<0xFF>b": Buffer.toString would make it "a\uFFFDb" and claim the change under that name.
      send(
        Buffer.concat([
          Buffer.from(toolCall(2, "claim_change", '{"change":"add-alpha","owner":"a').trimEnd()),
          Buffer.from([0xff]),
          Buffer.from('b"}}}\n'),
        ]),
      );
      const refused = await answer(2);
      expect(refused.error).toMatchObject({ code: -32700, message: /not valid UTF-8/ });
      // Not even an id: still answered (id null), and the server goes on.
      send(Buffer.from([0xc3, 0x28, 0x0a]));
      expect((await answer(null)).error.code).toBe(-32700);
      // A lone surrogate escape is valid UTF-8 text: the validators refuse it.
      send(toolCall(3, "claim_change", '{"change":"add-alpha","owner":"a\\uD800b"}'));
      const lone = await answer(3);
      expect(lone.result.isError).toBe(true);
      expect(lone.result.content[0].text).toMatch(/lone UTF-16 surrogate/);
      send(toolCall(4, "list_changes", '{"claimed":true}'));
      const listed = JSON.parse((await answer(4)).result.content[0].text);
      expect(listed.changes).toEqual([]);
      // A line over the SDK's 10 MiB read buffer closed the transport and the process exited 0,
      // silently (F8): it is refused with an error, and the server goes on.
      answers.delete(null);
      send(toolCall(5, "list_changes", `{"search":"${"a".repeat(10.5 * 1024 * 1024)}"}`));
      expect((await answer(null)).error).toMatchObject({ code: -32600, message: /over the/ });
      send(toolCall(6, "list_changes", '{"limit":1}'));
      expect((await answer(6)).result.isError).toBeFalsy();
      // A 200,000-deep arguments array came back as -32603 with a raw zod dump (F8): refused as
      // invalid params, short, with the call's id, and the server goes on.
      const deepArgs = `{"search":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
      send(toolCall(7, "list_changes", deepArgs));
      const deep = (await answer(7)).error;
      expect(deep).toMatchObject({ code: -32602, message: /nested deeper than 64 levels/ });
      expect(deep.message.length).toBeLessThan(200);
      send(toolCall(8, "list_changes", '{"limit":1}'));
      expect((await answer(8)).result.isError).toBeFalsy();
    } finally {
      child.stdin.end();
      await once(child, "exit");
    }
    expect(child.exitCode).toBe(0);
  }, 120_000);

  it("over Streamable HTTP at /mcp of a running server, with the token rule of /trpc and list_changed notifications", async () => {
    const root = workspace();
    const token = "a-long-enough-test-token";
    const server = await startTestServer({ databaseUrl: null, projects: [root], token });
    const url = new URL("/mcp", server.url);
    try {
      const anonymous = new Client({ name: "anon", version: "1.0.0" });
      await expect(anonymous.connect(new StreamableHTTPClientTransport(url))).rejects.toThrow(
        /401|token/i,
      );
      const foreign = await fetch(url, {
        method: "POST",
        headers: {
          origin: "http://evil.example",
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
        },
        body: "{}",
      });
      expect(foreign.status).toBe(403);
      // DNS rebinding: the right token and a valid initialize under a foreign Host name are refused
      // by the request guard.
      const headers = {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      };
      expect(await rawPost(url, { ...headers, host: `evil.example:${url.port}` }, INITIALIZE)).toBe(
        421,
      );
      // A 200,000-deep arguments array: a JSON-RPC invalid-params error with the call's id.
      const deepCall = await fetch(url, {
        method: "POST",
        headers,
        body: `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"list_changes","arguments":{"search":${"[".repeat(200_000)}${"]".repeat(200_000)}}}}`,
      });
      expect(await deepCall.json()).toMatchObject({
        jsonrpc: "2.0",
        id: 9,
        error: { code: -32602, message: /nested deeper than 64 levels/ },
      });
      expect(await rawPost(url, { ...headers, host: `localhost:${url.port}` }, INITIALIZE)).toBe(
        200,
      );
      // Garbage and stale sessions get HTTP errors, not a crash; the server keeps serving.
      const auth = {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      };
      expect((await fetch(url, { method: "POST", headers: auth, body: "{not json" })).status).toBe(
        400,
      );
      expect(
        (
          await fetch(url, {
            method: "POST",
            headers: { ...auth, "mcp-session-id": "no-such-session" },
            body: "{}",
          })
        ).status,
      ).toBe(404);
      expect((await fetch(url, { method: "GET", headers: auth })).status).toBe(405);

      const client = new Client({ name: "http-agent", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(url, {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      let listChanged = 0;
      client.setNotificationHandler(
        ResourceListChangedNotificationSchema,
        async () => void listChanged++,
      );
      await agentLoop(client, root, async () => {
        for (const c of ["add-alpha", "add-beta"])
          await ok(client, "set_status", { change: c, status: "approved" });
      });
      // A new change folder on disk: the watcher syncs it, the event stream reports it, the client
      // hears list_changed.
      await new Promise((r) => setTimeout(r, 1000)); // let notifications of the loop's own edits arrive first
      const before = listChanged;
      writeTree(root, changeFiles("add-gamma"));
      await waitFor(() => listChanged > before, 10_000, "resources/list_changed");
      await waitFor(
        async () =>
          (await ok(client, "list_changes", { search: "add-gamma" })).changes.some(
            (c: { name: string }) => c.name === "add-gamma",
          ),
        10_000,
        "add-gamma listed",
      );
      expect((await client.listResources()).resources.map((r) => r.uri)).toContainEqual(
        expect.stringMatching(/\/changes\/add-gamma$/),
      );
      // Ending the session is a body-less DELETE; the guard lets it through and the session is gone
      // after it.
      const transport = client.transport as StreamableHTTPClientTransport;
      const sid = transport.sessionId!;
      await transport.terminateSession();
      expect(
        (
          await fetch(url, {
            method: "POST",
            headers: { ...auth, "mcp-session-id": sid },
            body: "{}",
          })
        ).status,
      ).toBe(404);
      await client.close();
    } finally {
      await server.stop();
    }
  }, 120_000);
});
