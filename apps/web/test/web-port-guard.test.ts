/**
 * The web UI port, through the real built bin (`specsync start`), with forged `Host` headers and
 * cookies (node:http lets us send them). Its server rendering calls the API with the server's
 * own token, so the web port must apply the API's Host rule (DNS rebinding) and, with a token,
 * serve pages only to a browser signed in with it (outside-test finding F3, docs/security.md).
 */
import { cleanupTempRepos, rawGet } from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Raw, raw, type Started, start, TITLE } from "./specsync-start";

const TOKEN = "web-port-test-token-0123456789";

/** The pages the outside tester read workspace data from, and a client navigation's RSC fetch. */
type Req = { path: string; headers?: Record<string, string> };
const pages = (s: Started): Req[] => [
  { path: "/" },
  { path: "/sync" },
  { path: `/p/${s.project}/changes/add-search` },
  { path: `/p/${s.project}/changes/add-search`, headers: { rsc: "1" } },
];

/**
 * Nothing of the workspace: neither the change's text nor the repository's path (a redirect's body
 * may repeat the requested address, which the requester wrote).
 */
function expectNoData(res: Raw, s: Started) {
  expect(res.body).not.toContain(TITLE);
  expect(res.body).not.toContain(s.root);
}

/**
 * A request line written on a raw socket (an absolute-form target with a Host of our choosing):
 * the answer's status and body.
 */
async function rawTarget(port: number, target: string, host: string): Promise<Raw> {
  const { status, text } = await rawGet(port, target, host);
  return { status, headers: {}, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

afterAll(cleanupTempRepos);

/** `next` values that a browser would resolve to another site. */
const OFF_SITE = [
  "//evil.example/",
  "/\\evil.example",
  "http://evil.example/",
  "/\t/evil.example/",
  "/\n/evil.example/",
  "/\r\n\\evil.example/",
];

describe("web port without a token: the Host check", () => {
  let s: Started;
  beforeAll(async () => {
    s = await start({ SPECSYNC_ALLOWED_HOSTS: "specsync.lan" });
  }, 180_000);
  afterAll(() => s?.stop());

  it("answers loopback names on its port and SPECSYNC_ALLOWED_HOSTS, with the workspace", async () => {
    for (const host of [`127.0.0.1:${s.webPort}`, `localhost:${s.webPort}`, "specsync.lan:8080"]) {
      const res = await raw(s.webPort, { path: "/sync", headers: { host } });
      expect(res.status, host).toBe(200);
      expect(res.body, host).toContain(s.root);
    }
  });

  it("a rebound or wrong-port Host gets 421 on every page, RSC fetch and static file, no data", async () => {
    const page = await raw(s.webPort, { path: "/sync" });
    const asset = /\/_next\/static\/[^"]+\.js/.exec(page.body)?.[0];
    expect(asset).toBeDefined();
    const hosts = [`evil.example:${s.webPort}`, `localhost:${s.webPort + 1}`, "specsync.lan.evil"];
    for (const host of hosts) {
      for (const p of [...pages(s), { path: asset ?? "" }] as Req[]) {
        const res = await raw(s.webPort, { ...p, headers: { ...p.headers, host } });
        expect(res.status, `${host} ${p.path}`).toBe(421);
        expectNoData(res, s);
      }
    }
  });

  it("an absolute-form target is judged by its authority, which wins over Host (RFC 9112)", async () => {
    const here = `127.0.0.1:${s.webPort}`;
    for (const p of pages(s).filter((r) => !r.headers)) {
      for (const authority of [`evil.example:${s.webPort}`, "evil.example", ""]) {
        const res = await rawTarget(s.webPort, `http://${authority}${p.path}`, here);
        expect(res.status, `${authority} ${p.path}`).toBe(421);
        expectNoData(res, s);
      }
    }
    const ours = await rawTarget(s.webPort, `http://${here}/sync`, "evil.example");
    expect(ours.status).toBe(200);
    expect(ours.body).toContain(s.root);
  });

  // webattack (session 27): browsers drop tabs and newlines from a Location, so `/<TAB>/host` was
  // `//host`: /sign-in?next=%2F%09%2Fevil.example sent any browser to evil.example.
  it("/sign-in without a token redirects to this site only, whatever next says", async () => {
    for (const next of OFF_SITE) {
      const res = await raw(s.webPort, { path: `/sign-in?next=${encodeURIComponent(next)}` });
      expect(res.status, JSON.stringify(next)).toBe(303);
      expect(res.headers.location, JSON.stringify(next)).toBe("/");
    }
    const here = await raw(s.webPort, { path: `/sign-in?next=${encodeURIComponent("/sync?x=1")}` });
    expect(here.headers.location).toBe("/sync?x=1");
  });
});

describe("web port with SPECSYNC_TOKEN: a signed-in browser only", () => {
  let s: Started;
  let cookie: string;
  beforeAll(async () => {
    s = await start({ SPECSYNC_TOKEN: TOKEN });
  }, 180_000);
  afterAll(() => s?.stop());

  it("a foreign Host gets 421, no data, even with a valid session", async () => {
    const signIn = await raw(s.webPort, {
      path: "/sign-in",
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKEN, next: "/" }).toString(),
    });
    const session = String(signIn.headers["set-cookie"]).split(";")[0] ?? "";
    for (const p of pages(s)) {
      for (const headers of [{}, { cookie: session }] as Record<string, string>[]) {
        const res = await raw(s.webPort, {
          ...p,
          headers: { ...p.headers, ...headers, host: `evil.example:${s.webPort}` },
        });
        expect(res.status, p.path).toBe(421);
        expectNoData(res, s);
      }
    }
  });

  it("no cookie or a wrong one: a redirect to the sign-in page, no data", async () => {
    const wrong: Record<string, string>[] = [
      {},
      { cookie: "specsync_session=forged" },
      { cookie: `specsync_session=${TOKEN}` },
      { authorization: `Bearer ${TOKEN}` },
    ];
    for (const p of pages(s)) {
      for (const headers of wrong) {
        const res = await raw(s.webPort, { ...p, headers: { ...p.headers, ...headers } });
        expect(res.status, `${p.path} ${JSON.stringify(headers)}`).toBe(303);
        // Next writes a same-origin redirect as a relative Location.
        expect(res.headers.location).toBe(`/sign-in?next=${encodeURIComponent(p.path)}`);
        expectNoData(res, s);
      }
    }
    const post = await raw(s.webPort, {
      path: `/p/${s.project}/changes/add-search`,
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "[]",
    });
    expect(post.status).toBe(401);
    expectNoData(post, s);
  });

  it("the sign-in page shows no data; a wrong token or a cross-site post sets no cookie", async () => {
    const form = await raw(s.webPort, { path: "/sign-in?next=%2Fsync" });
    expect(form.status).toBe(200);
    expect(form.body).toContain('name="token"');
    expectNoData(form, s);
    const post = (token: string, headers: Record<string, string> = {}) =>
      raw(s.webPort, {
        path: "/sign-in",
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams({ token, next: "/sync" }).toString(),
      });
    const wrong = await post(`${TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    expectNoData(wrong, s);
    const crossSite = await post(TOKEN, { origin: "http://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers["set-cookie"]).toBeUndefined();
  });

  it("the right token sets an HttpOnly, SameSite=Strict session cookie that opens the pages", async () => {
    const res = await raw(s.webPort, {
      path: "/sign-in",
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: `http://127.0.0.1:${s.webPort}`,
      },
      body: new URLSearchParams({ token: TOKEN, next: "/sync" }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/sync");
    const setCookie = String(res.headers["set-cookie"]);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toContain(TOKEN);
    cookie = setCookie.split(";")[0] ?? "";
    const sync = await raw(s.webPort, { path: "/sync", headers: { cookie } });
    expect(sync.status).toBe(200);
    expect(sync.body).toContain(s.root);
    const change = await raw(s.webPort, {
      path: `/p/${s.project}/changes/add-search`,
      headers: { cookie },
    });
    expect(change.status).toBe(200);
    expect(change.body).toContain(TITLE);
  });

  it("never redirects off the site after signing in", async () => {
    for (const next of OFF_SITE) {
      const res = await raw(s.webPort, {
        path: "/sign-in",
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: TOKEN, next }).toString(),
      });
      expect(res.headers.location, next).toBe("/");
    }
  });
});
