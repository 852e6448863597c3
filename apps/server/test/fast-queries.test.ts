/**
 * `specs.list` GETs are answered beside tRPC's handler (fast-queries.ts in the api package), with
 * bytes made once per cached answer. They must be the bytes tRPC's own handler sends for the same
 * request — results, errors (handed to tRPC), the token check — and move with every write.
 */

import { once } from "node:events";
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

/**
 * The URL the typed client's batch link builds for one query (superjson of a plain JSON input is
 * `{ json: input }`).
 */
function url(base: string, procedure: string, input: unknown): string {
  const batch = JSON.stringify(input === undefined ? {} : { 0: { json: input } });
  return `${base}/trpc/${procedure}?batch=1&input=${encodeURIComponent(batch)}`;
}

async function get(u: string, headers: Record<string, string> = {}) {
  const res = await fetch(u, { headers });
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    vary: res.headers.get("vary"),
    body: await res.text(),
  };
}

describeEachDb("specs.list answered beside tRPC", (db) => {
  async function setup(token: string | null = null) {
    const root = tempRepo();
    const names = ["add-alpha", "add-beta", "fix-gamma"].map((n) => `${n}-${Math.random()}`);
    writeTree(root, Object.assign({}, ...names.map((n) => changeFiles(n))));
    const services = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const ours = await listen(createHttpServer({ services, token, allowedOrigins: [] }));
    // tRPC's own handler alone, on the same services: the reference.
    const context = (): Context => ({
      services,
      requiredToken: token,
      presentedToken: token,
      actor: null,
    });
    const trpc = createHTTPHandler({
      router: appRouter,
      createContext: context,
      basePath: "/trpc/",
    });
    const reference = await listen(createServer((req, res) => trpc(req, res)));
    return { services, project, ours, reference, names };
  }

  it("sends tRPC's bytes for answers, cached or not, and for refused inputs", async () => {
    const { project, ours, reference } = await setup();
    const inputs: unknown[] = [
      { kind: "change", projectId: project.id, limit: 50, cursor: 0, withFacets: true },
      { kind: "change", projectId: project.id, sort: "name", archived: false },
      { projectId: project.id, claimed: false }, // never cached: a fresh answer each time
      undefined,
      { projectId: project.id, limit: -5 }, // refused by the input schema
      { projectId: "not-a-uuid" },
    ];
    for (const input of inputs) {
      for (let i = 0; i < 2; i++) {
        const a = await get(url(ours, "specs.list", input));
        const b = await get(url(reference, "specs.list", input));
        expect(a).toEqual(b);
        if (i === 0)
          expect(a.status, JSON.stringify(input)).toBe(a.body.includes('"error"') ? 400 : 200);
      }
    }
    // Batches of several calls and other procedures go to tRPC, and still answer alike.
    const two = `${ours}/trpc/specs.list,projects.list?batch=1&input=${encodeURIComponent("{}")}`;
    expect((await get(two)).status).toBe(200);
  });

  it("answers with the write's result as soon as the write is acknowledged", async () => {
    const { services, project, ours, names } = await setup();
    const input = { kind: "change", projectId: project.id, limit: 50, cursor: 0, withFacets: true };
    const page = async () => {
      const res = await get(url(ours, "specs.list", input));
      type Page = { items: { id: string; name: string; priority: string }[] };
      const [first] = JSON.parse(res.body) as [{ result: { data: { json: Page } } }];
      return first.result.data.json;
    };
    const before = await page();
    const alpha = before.items.find((i) => i.name === names[0]);
    if (!alpha) throw new Error("no alpha row");
    for (const priority of ["high", "low", "critical"] as const) {
      await services.specs.setPriority({ id: alpha.id, priority });
      expect((await page()).items.find((i) => i.id === alpha.id)?.priority).toBe(priority);
      expect((await page()).items.find((i) => i.id === alpha.id)?.priority).toBe(priority);
    }
  });

  it("still checks the token (none, wrong, right)", async () => {
    const { project, ours } = await setup("s3cret-token");
    const u = url(ours, "specs.list", { projectId: project.id, kind: "change" });
    expect((await get(u)).status).toBe(401);
    expect((await get(u, { authorization: "Bearer wrong" })).status).toBe(401);
    const ok = await get(u, { authorization: "Bearer s3cret-token" });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('"items"');
  });
});
