/**
 * `specs.update` and `agents.nextWork` POSTs are answered beside tRPC's handler (fast-mutations.ts
 * in the api package). They must send the bytes and status tRPC's own handler sends for the same
 * request — answers and errors alike, since an error found after the procedure ran cannot be
 * handed to tRPC (the mutation would run twice) — and what they write must be written once.
 */

import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { appRouter, type Context, createServices } from "@specsync/api";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "@specsync/api/testing";
import { describeEachDb } from "@specsync/api/testing/each-db";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { afterAll, expect, it } from "vitest";
import { createHttpServer } from "../src/http";

afterAll(cleanupTempRepos);

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A mutation as the typed client's httpLink sends it (superjson of plain JSON: `{ json }`). */
async function post(base: string, procedure: string, input: unknown, raw?: string) {
  const res = await fetch(`${base}/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify({ json: input }),
  });
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    vary: res.headers.get("vary"),
    body: await res.text(),
    length: res.headers.get("content-length"),
  };
}

describeEachDb("specs.update and agents.nextWork answered beside tRPC", (db) => {
  async function setup() {
    const root = tempRepo();
    const names = ["add-alpha", "add-beta"].map((n) => `${n}-${Math.random()}`);
    writeTree(root, Object.assign({}, ...names.map((n) => changeFiles(n))));
    const services = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const ours = await listen(createHttpServer({ services, token: null, allowedOrigins: [] }));
    // tRPC's own handler alone, on the same services: the reference.
    const context = (): Context => ({
      services,
      requiredToken: null,
      presentedToken: null,
      actor: null,
    });
    const trpc = createHTTPHandler({
      router: appRouter,
      createContext: context,
      basePath: "/trpc/",
    });
    const reference = await listen(createServer((req, res) => trpc(req, res)));
    const { items } = await services.specs.list({ projectId: project.id, kind: "change" });
    const alpha = items.find((i) => i.name === names[0]);
    if (!alpha) throw new Error("no alpha row");
    const got = await services.specs.get(alpha.id);
    return { services, project, ours, reference, root, alpha: { ...alpha, got } };
  }

  it("sends tRPC's bytes and status for answers and errors that write nothing", async () => {
    const { project, ours, reference, alpha } = await setup();
    const proposal = alpha.got.files["proposal.md"] ?? "";
    const hash = alpha.got.contentHashes["proposal.md"] ?? null;
    const update = (over: Record<string, unknown>) => ({
      id: alpha.id,
      file: "proposal.md",
      content: proposal,
      baseHash: hash,
      ...over,
    });
    const cases: [string, unknown][] = [
      ["specs.update", update({})], // the same text: "unchanged", nothing written
      ["specs.update", update({ content: `${proposal}\nmore\n`, baseHash: "0".repeat(64) })],
      ["specs.update", update({ id: "00000000-0000-4000-8000-000000000000" })], // NOT_FOUND
      ["specs.update", update({ file: "../escape.md" })], // not an editable file
      ["specs.update", { id: alpha.id }], // refused by the input schema
      ["specs.update", update({ content: "a\0b" })], // not text
      ["agents.nextWork", { projectId: project.id }], // no claim: a read
      ["agents.nextWork", { projectId: project.id, explain: true }],
      ["agents.nextWork", { projectId: project.id, claim: true }], // no owner: refused
      ["agents.nextWork", { projectId: "not-a-uuid" }],
    ];
    for (const [procedure, input] of cases) {
      const a = await post(ours, procedure, input);
      const b = await post(reference, procedure, input);
      const { length: _a, ...mine } = a;
      const { length: _b, ...theirs } = b;
      expect(mine, `${procedure} ${JSON.stringify(input)}`).toEqual(theirs);
    }
    // Bodies tRPC parses itself (not JSON, not superjson, empty) and other mutations go to tRPC,
    // and still answer alike.
    for (const raw of ["{", "null", "", '"text"']) {
      const a = await post(ours, "specs.update", undefined, raw);
      const b = await post(reference, "specs.update", undefined, raw);
      expect({ ...a, length: null }, raw).toEqual({ ...b, length: null });
    }
    const other = await post(ours, "specs.setPriority", { id: alpha.id, priority: "high" });
    expect(other.status).toBe(200);
  });

  it("answers a save once, in one piece, and the bytes are on disk when it answers", async () => {
    const { services, ours, root, alpha } = await setup();
    const proposal = alpha.got.files["proposal.md"] ?? "";
    const content = `${proposal}\nsaved through the fast path\n`;
    const res = await post(ours, "specs.update", {
      id: alpha.id,
      file: "proposal.md",
      content,
      baseHash: alpha.got.contentHashes["proposal.md"],
    });
    expect(res.status).toBe(200);
    // Sent with its length, not through tRPC's chunked stream: the answer came from this path.
    expect(Number(res.length)).toBe(Buffer.byteLength(res.body));
    const data = (JSON.parse(res.body) as { result: { data: { json: { outcome: string } } } })
      .result.data.json;
    expect(data.outcome).toBe("saved");
    expect(
      readFileSync(path.join(root, "openspec", "changes", alpha.name, "proposal.md"), "utf8"),
    ).toBe(content);
    // One save, one history entry.
    const history = await services.history.list({ specId: alpha.id });
    expect(history.items.filter((h) => h.trigger === "user_edit")).toHaveLength(1);
    // The same request again: the text is there already, "unchanged", still one entry.
    const again = await post(ours, "specs.update", {
      id: alpha.id,
      file: "proposal.md",
      content,
      baseHash: alpha.got.contentHashes["proposal.md"],
    });
    expect(again.status).toBe(200);
    expect(again.body).toContain('"outcome":"unchanged"');
    const after = await services.history.list({ specId: alpha.id });
    expect(after.items.filter((h) => h.trigger === "user_edit")).toHaveLength(1);
  });
});
