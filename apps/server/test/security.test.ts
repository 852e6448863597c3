/**
 * Attacks on the running server, over real HTTP with raw requests (node:http lets us forge Host and
 * Origin, send raw bytes and stall a body): each one went through before the request guard.
 * docs/security.md lists them with the defence each one tests.
 */

import { readFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { createSpecsyncClient } from "@specsync/api/client";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  postgresReachable,
  rawGet,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { EventSource } from "eventsource";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing";

type Raw = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
};

/**
 * One HTTP request exactly as given (Host and Origin included); resolves on the response or
 * after `timeoutMs`.
 */
function raw(
  base: string,
  opts: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    stallBody?: boolean;
    timeoutMs?: number;
  },
): Promise<Raw> {
  const u = new URL(base);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method ?? "GET",
        path: opts.path,
        headers: { host: u.host, ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        // SSE answers never end: the status and first bytes are enough.
        if (String(res.headers["content-type"]).startsWith("text/event-stream")) {
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: "",
            ms: Date.now() - started,
          });
          res.destroy();
          return;
        }
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => {
      req.destroy();
      reject(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms`));
    });
    req.on("error", (err) =>
      (err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err),
    );
    if (opts.stallBody) req.flushHeaders();
    else req.end(opts.body);
  });
}

/**
 * A request line written on a raw socket (node:http would not send an absolute-form target with
 * a Host of our choosing): the status code of the answer.
 */
async function rawTarget(port: number, target: string, host: string): Promise<number> {
  return (await rawGet(port, target, host, 10_000)).status;
}

const trpcInput = (v: unknown) => encodeURIComponent(JSON.stringify({ json: v }));
const TOKEN = "a-long-enough-test-token-123";

afterAll(cleanupTempRepos);

describe("request guard (no token: the default setup)", () => {
  let s: TestServer;
  let root: string;
  let id: string;
  let hash: string;
  let proposal: string;
  beforeAll(async () => {
    root = tempRepo();
    writeTree(root, changeFiles("add-demo"));
    s = await startTestServer({ databaseUrl: null, projects: [root] });
    const [row] = (await s.client.specs.list.query({})).items;
    id = row!.id;
    const got = await s.client.specs.get.query({ id });
    hash = got.contentHashes["proposal.md"]!;
    proposal = path.join(root, "openspec/changes/add-demo/proposal.md");
  }, 60_000);
  afterAll(() => s?.stop(), 30_000);

  const port = () => new URL(s.url).port;
  const update = (content: string) =>
    JSON.stringify({ json: { id, file: "proposal.md", content, baseHash: hash } });

  it("DNS rebinding: a foreign Host is refused on every route before anything runs (421)", async () => {
    const evil = { host: `evil.example:${port()}`, origin: `http://evil.example:${port()}` };
    const before = readFileSync(proposal, "utf8");
    const write = await raw(s.url, {
      method: "POST",
      path: "/trpc/specs.update",
      headers: { ...evil, "content-type": "application/json" },
      body: update("# pwned\n"),
    });
    expect(write.status).toBe(421);
    expect(readFileSync(proposal, "utf8")).toBe(before);
    const status = await raw(s.url, {
      method: "POST",
      path: "/trpc/specs.setStatus",
      headers: { ...evil, "content-type": "application/json" },
      body: JSON.stringify({ json: { id, status: "rejected" } }),
    });
    expect(status.status).toBe(421);
    expect((await s.client.specs.get.query({ id })).status).not.toBe("rejected");
    for (const p of [
      "/trpc/specs.list",
      `/trpc/sync.events?input=${trpcInput({})}`,
      "/healthz",
      "/auth/sse-ticket",
      "/anything",
    ]) {
      expect(
        (await raw(s.url, { path: p, headers: { host: `evil.example:${port()}` } })).status,
        p,
      ).toBe(421);
    }
    // An absolute-form target's authority wins over Host (RFC 9112 §3.2.2): a foreign one is
    // refused even with a loopback Host; ours passes whatever Host says.
    const here = `127.0.0.1:${port()}`;
    for (const p of ["/healthz", "/trpc/specs.list", "/anything"]) {
      for (const authority of [
        `evil.example:${port()}`,
        "evil.example",
        `127.0.0.1:${Number(port()) + 1}`,
        "",
      ])
        expect(await rawTarget(Number(port()), `http://${authority}${p}`, here), authority).toBe(
          421,
        );
      expect(await rawTarget(Number(port()), `HTTP://EVIL.example${p}`, here)).toBe(421);
    }
    expect(await rawTarget(Number(port()), `http://${here}/healthz`, "evil.example")).toBe(200);
    expect(await rawTarget(Number(port()), "/healthz", here)).toBe(200);
    // Even without an Origin (a rebinding page's GET), and with our port on a name that only
    // resolves to us.
    expect(
      (
        await raw(s.url, {
          path: "/trpc/specs.list",
          headers: { host: `attacker.localhost.evil:${port()}` },
        })
      ).status,
    ).toBe(421);
    expect(
      (
        await raw(s.url, {
          path: "/trpc/specs.list",
          headers: { host: `localhost:${Number(port()) + 1}` },
        })
      ).status,
    ).toBe(421);
    // The names the user really uses still work.
    for (const host of [`localhost:${port()}`, `127.0.0.1:${port()}`]) {
      expect((await raw(s.url, { path: "/trpc/specs.list", headers: { host } })).status, host).toBe(
        200,
      );
    }
  });

  it("a foreign Origin is refused server-side for writes and subscriptions, not only by CORS (403)", async () => {
    const before = readFileSync(proposal, "utf8");
    const write = await raw(s.url, {
      method: "POST",
      path: "/trpc/specs.update",
      headers: { origin: "http://evil.example", "content-type": "application/json" },
      body: update("# pwned\n"),
    });
    expect(write.status).toBe(403);
    expect(readFileSync(proposal, "utf8")).toBe(before);
    const sse = await raw(s.url, {
      path: `/trpc/sync.events?input=${trpcInput({})}`,
      headers: { origin: "http://evil.example", accept: "text/event-stream" },
    });
    expect(sse.status).toBe(403);
    expect(
      (
        await raw(s.url, {
          method: "POST",
          path: "/trpc/sync.forceSync",
          headers: { origin: "null", "content-type": "application/json" },
          body: "{}",
        })
      ).status,
    ).toBe(403);
    // The web app's origin and origin-less scripts pass.
    const web = await raw(s.url, {
      path: "/trpc/specs.list",
      headers: { origin: "http://localhost:3000" },
    });
    expect(web.status).toBe(200);
    expect(web.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
  });

  it("a cross-site form POST (multipart, text/plain: no preflight) never reaches tRPC (415), so no sync runs", async () => {
    const historyBefore = (await s.client.sync.history.query({ limit: 200 })).items.length;
    const form = '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n';
    const multipart = await raw(s.url, {
      method: "POST",
      path: "/trpc/sync.forceSync",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: form,
    });
    expect(multipart.status).toBe(415);
    const plain = await raw(s.url, {
      method: "POST",
      path: "/trpc/sync.forceSync",
      headers: { origin: "http://localhost:3000", "content-type": "text/plain" },
      body: "{}",
    });
    expect(plain.status).toBe(415);
    writeTree(root, {
      "changes/add-demo/design.md": "# Design\n\nwritten behind the watcher's back\n",
    });
    const none = await raw(s.url, { method: "POST", path: "/trpc/sync.forceSync", body: "" });
    expect(none.status).toBe(415);
    // Only refused requests so far: nothing was synced by them (the watcher may record design.md
    // itself).
    const after = (await s.client.sync.history.query({ limit: 200 })).items.filter(
      (h) => h.trigger === "manual",
    );
    expect(after.length).toBe(0);
    expect(historyBefore).toBeGreaterThanOrEqual(0);
  });

  it("a 1,000-call batch in one URL is refused at once: URL cap (414), and at most 25 calls per batch (400)", async () => {
    const thousand = Array.from({ length: 1000 }, () => "specs.list").join(",");
    const big = await raw(s.url, { path: `/trpc/${thousand}?batch=1` }); // 11 KB: under Node's own 16 KB header limit
    expect(big.status).toBe(414);
    const calls = (n: number) =>
      `/trpc/${Array.from({ length: n }, () => "sync.status").join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`;
    const over = await raw(s.url, { path: calls(26) });
    expect(over.status).toBe(400);
    expect(over.body).toMatch(/batch/i);
    expect((await raw(s.url, { path: calls(25) })).status).toBe(200);
  });

  it("JSON nested 3,000,000 deep is refused by a linear scan before parsing (400, the server stays responsive)", async () => {
    const deep = "[".repeat(3_000_000) + "]".repeat(3_000_000);
    const pending = raw(s.url, {
      method: "POST",
      path: "/trpc/sync.forceSync",
      headers: { "content-type": "application/json" },
      body: deep,
    });
    const health = await raw(s.url, { path: "/healthz" });
    const res = await pending;
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/nested deeper than 64/);
    expect(health.status).toBe(200);
    expect(health.ms).toBeLessThan(2000); // generous: the old parse blocked the loop for 11 s
  });

  it("invalid UTF-8 or a lone surrogate in a body is refused (400) and nothing is written", async () => {
    const before = readFileSync(proposal);
    const prefix = Buffer.from(
      `{"json":{"id":"${id}","file":"proposal.md","baseHash":"${hash}","content":"# bad `,
    );
    const suffix = Buffer.from(`\\n"}}`);
    for (const bad of [
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xc3]),
      Buffer.from([0xed, 0xa0, 0x80]) /* CESU surrogate */,
    ]) {
      const res = await raw(s.url, {
        method: "POST",
        path: "/trpc/specs.update",
        headers: { "content-type": "application/json" },
        body: Buffer.concat([prefix, bad, suffix]),
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatch(/UTF-8/);
    }
    for (const lone of ["\\ud800", "\\udc00x", "\\ud800\\u0041", "\\\\\\ud83d"]) {
      const res = await raw(s.url, {
        method: "POST",
        path: "/trpc/specs.update",
        headers: { "content-type": "application/json" },
        body: Buffer.concat([prefix, Buffer.from(lone), suffix]),
      });
      expect(res.status, lone).toBe(400);
      expect(res.body).toMatch(/surrogate/);
    }
    expect(readFileSync(proposal).equals(before)).toBe(true);
    // A proper pair (an emoji) is fine.
    const ok = await raw(s.url, {
      method: "POST",
      path: "/trpc/specs.update",
      headers: { "content-type": "application/json" },
      body: update(
        "# emoji \ud83d\ude00 and escaped \\ud83d\\ude00\n".replace("\\ud83d\\ude00", "x"),
      ),
    });
    expect(ok.status).toBe(200);
    hash = (await s.client.specs.get.query({ id })).contentHashes["proposal.md"]!;
  });

  it("Vary keeps Origin next to tRPC's own values", async () => {
    const res = await raw(s.url, {
      path: "/trpc/specs.list",
      headers: { origin: "http://localhost:3000" },
    });
    const vary = String(res.headers.vary)
      .toLowerCase()
      .split(",")
      .map((v) => v.trim());
    expect(vary).toContain("origin");
    expect(vary).toContain("trpc-accept");
  });

  it("internal messages do not leak: an out-of-range date and a 300-character path segment are validation errors", async () => {
    const from = await raw(s.url, {
      path: `/trpc/sync.history?input=${trpcInput({ from: "-271821-04-20T00:00:00Z" })}`,
    });
    expect(from.status).toBe(400);
    expect(from.body).not.toMatch(/select|sync_history|params/i);
    const long = await raw(s.url, {
      method: "POST",
      path: "/trpc/specs.update",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        json: { id, file: `specs/${"a".repeat(300)}/spec.md`, content: "x", baseHash: null },
      }),
    });
    expect(long.status).toBe(400);
    expect(long.body).not.toContain(root);
    expect(long.body).not.toMatch(/ENAMETOOLONG/);
    const touching = await raw(s.url, {
      path: `/trpc/specs.touching?input=${trpcInput({ projectId: id, capability: "b".repeat(300) })}`,
    });
    expect(touching.status).toBe(400);
  });

  it("projects.add gives one answer for anything outside the allowed roots: no existence oracle, no roots listed", async () => {
    const answers = new Set<string>();
    for (const p of [
      "/root/.ssh",
      "/etc",
      "/definitely/not/here",
      "/etc/passwd",
      path.join(root, "..", "nope"),
    ]) {
      const res = await raw(s.url, {
        method: "POST",
        path: "/trpc/projects.add",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ json: { path: p } }),
      });
      const body = JSON.parse(res.body) as { error: { json: { message: string } } };
      answers.add(`${res.status} ${body.error.json.message}`);
      expect(body.error.json.message).not.toContain(root);
      expect(body.error.json.message).not.toContain(p);
    }
    expect([...answers]).toHaveLength(1);
  });
});

describe("request guard with SPECSYNC_TOKEN", () => {
  let s: TestServer;
  beforeAll(async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-demo"));
    s = await startTestServer({ databaseUrl: null, projects: [root], token: TOKEN });
  }, 60_000);
  afterAll(() => s?.stop(), 30_000);

  it("the token is checked before the body is read: a stalled 50 MB upload gets 401 at once", async () => {
    const res = await raw(s.url, {
      method: "POST",
      path: "/trpc/specs.update",
      headers: { "content-type": "application/json", "content-length": String(50 * 1024 * 1024) },
      stallBody: true,
      timeoutMs: 3000,
    });
    expect(res.status).toBe(401);
    // Batched calls too (tRPC reads a batch's body to learn its inputs before any middleware runs).
    const batch = await raw(s.url, {
      method: "POST",
      path: "/trpc/specs.update,specs.update?batch=1",
      headers: { "content-type": "application/json", "content-length": String(4 * 1024 * 1024) },
      stallBody: true,
      timeoutMs: 3000,
    });
    expect(batch.status).toBe(401);
  });

  it("/healthz tells an anonymous caller only {ok}; paths, ids and errors need the token", async () => {
    const anon = await raw(s.url, { path: "/healthz" });
    expect(JSON.parse(anon.body)).toEqual({ ok: true });
    const authed = await raw(s.url, {
      path: "/healthz",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(JSON.parse(authed.body)).toHaveProperty("projects");
  });

  it("the long-lived token is never accepted from the URL; SSE uses a short-lived ticket minted with the header", async () => {
    const inUrl = await raw(s.url, {
      path: `/trpc/specs.list?connectionParams=${encodeURIComponent(JSON.stringify({ token: TOKEN }))}`,
    });
    expect(inUrl.status).toBe(401);
    const sseWithToken = await raw(s.url, {
      path: `/trpc/sync.events?input=${trpcInput({})}&connectionParams=${encodeURIComponent(JSON.stringify({ token: TOKEN }))}`,
      headers: { accept: "text/event-stream" },
    });
    expect(sseWithToken.status).toBe(401);
    expect(
      (
        await raw(s.url, {
          method: "POST",
          path: "/auth/sse-ticket",
          headers: { "content-type": "application/json" },
          body: "{}",
        })
      ).status,
    ).toBe(401);
    const minted = await raw(s.url, {
      method: "POST",
      path: "/auth/sse-ticket",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: "{}",
    });
    const { ticket } = JSON.parse(minted.body) as { ticket: string };
    const sse = await raw(s.url, {
      path: `/trpc/sync.events?input=${trpcInput({})}&connectionParams=${encodeURIComponent(JSON.stringify({ ticket }))}`,
      headers: { accept: "text/event-stream" },
    });
    expect(sse.status).toBe(200);
    // A ticket opens subscriptions only, not queries; a forged one opens nothing.
    expect(
      (
        await raw(s.url, {
          path: `/trpc/specs.list?connectionParams=${encodeURIComponent(JSON.stringify({ ticket }))}`,
        })
      ).status,
    ).toBe(401);
    const forged = ticket.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 1}.`);
    expect(
      (
        await raw(s.url, {
          path: `/trpc/sync.events?input=${trpcInput({})}&connectionParams=${encodeURIComponent(JSON.stringify({ ticket: forged }))}`,
          headers: { accept: "text/event-stream" },
        })
      ).status,
    ).toBe(401);
    // The typed client does all of this by itself: live events arrive with a token configured.
    const client = createSpecsyncClient({
      url: s.url,
      token: TOKEN,
      EventSource: EventSource as unknown as typeof globalThis.EventSource,
    });
    // Awaited before the test ends: a sync still running when the server stops rejected unhandled.
    let forced: Promise<unknown> = Promise.resolve();
    const got = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no live event")), 10_000);
      const sub = client.sync.events.subscribe(undefined, {
        onStarted: () => {
          forced = client.sync.forceSync.mutate({});
        },
        onData: (e) => {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve((e as { data: { type: string } }).data.type);
        },
        onError: reject,
      });
    });
    expect(got).toMatch(/sync_/);
    await forced;
  });
});

describe.skipIf(!(await postgresReachable()))("internal errors", () => {
  it("a database fault answers a generic message with an error id; the SQL and its parameters stay in the log", async () => {
    const db = await createTestDb("postgres");
    const root = tempRepo();
    writeTree(root, changeFiles("add-demo"));
    const s = await startTestServer({ databaseUrl: db.url, projects: [root] });
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
    const sql = postgres(db.url!, { max: 1, onnotice: () => {} });
    try {
      await sql`alter table sync_history rename to sync_history_gone`;
      const res = await raw(s.url, { path: `/trpc/sync.history?input=${trpcInput({})}` });
      expect(res.status).toBe(500);
      const message = (JSON.parse(res.body) as { error: { json: { message: string } } }).error.json
        .message;
      expect(message).toMatch(/^internal error \(id [0-9a-f]{12}\)/);
      expect(res.body).not.toMatch(/sync_history|select|relation/i);
      const errorId = /id ([0-9a-f]{12})/.exec(message)![1]!;
      expect(logged.some((l) => l.includes(errorId) && /sync_history/.test(l))).toBe(true);
    } finally {
      console.error = original;
      await sql`alter table sync_history_gone rename to sync_history`.catch(() => {});
      await sql.end();
      await s.stop();
      await db.drop();
    }
  }, 60_000);
});
