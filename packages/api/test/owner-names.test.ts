import { syncHistory } from "@specsync/db";
import { ownerSchema, visibleName } from "@specsync/validators";
import { afterAll, describe, expect, it } from "vitest";
import { type Context, createCaller, createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { connectMcp } from "../testing/mcp-client";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/** Names that read as someone else's (or as nothing) in the web UI, the CLI and claim history. */
const FAKES: [string, string][] = [
  ["bob\u202Eeve", "U+202E"], // RIGHT-TO-LEFT OVERRIDE: shows as "bobeve" reversed
  ["\u2066bob\u2069", "U+2066"], // a bidi isolate
  ["b\u200Bob", "U+200B"], // ZERO WIDTH SPACE: reads as "bob"
  ["b\u200Dob", "U+200D"], // a joiner between Latin letters
  ["bob\u2060", "U+2060"], // WORD JOINER
  ["bo\u00ADb", "U+00AD"], // SOFT HYPHEN
  ["bob\u200E", "U+200E"], // LEFT-TO-RIGHT MARK
  ["bob\nreleased by: alice", "U+000A"],
  ["bob\reve", "U+000D"],
  ["bob\u2028eve", "U+2028"],
  ["bob\u0007eve", "U+0007"],
  ["bob\u3164", "U+3164"], // HANGUL FILLER: a letter that renders as nothing
];
/** Names people and agents go by, in any script: they must stay allowed. */
const REAL = [
  "bob",
  "日本語のエージェント",
  "José Ñúñez",
  "Zoë O'Brien-Smith",
  "agent 7 🤖",
  "👩🏽‍💻 dev", // an emoji ZWJ sequence
  "👨‍👩‍👧",
  "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} scot", // a tag-sequence flag
  "می\u200Cخواهم", // Persian: ZWNJ is spelling there
  "क्\u200Dष", // Devanagari with ZWJ
  "Ελένη",
  "Алёна",
  "محمد",
  "claude-code (opus)",
];

describe("ownerSchema: one rule for CLI, tRPC and MCP", () => {
  it("refuses control, invisible and text-direction characters, naming the character", () => {
    for (const [name, code] of FAKES) {
      const r = ownerSchema.safeParse(name);
      expect(r.success, JSON.stringify(name)).toBe(false);
      expect(r.error?.issues[0]?.message, JSON.stringify(name)).toContain(`(found ${code})`);
    }
  });
  it("keeps names in any script, emoji (with their joiners), accents and spaces", () => {
    for (const name of REAL) expect(ownerSchema.parse(name), name).toBe(name);
  });
  it("visibleName shows what would fake a name as U+FFFD and keeps the rest", () => {
    expect(visibleName("bob\u202Eeve")).toBe("bob\uFFFDeve");
    for (const name of REAL) expect(visibleName(name)).toBe(name);
  });
});

describeEachDb("owner names through the real MCP SDK client and tRPC", (db) => {
  it("a faked owner is refused on every surface, nothing claimed; a real one in any script works", async () => {
    const root = tempRepo();
    writeTree(root, { ...changeFiles("add-names"), ...changeFiles("add-other") });
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const mcp = await connectMcp(services, project.id, "names-test");
    const ctx: Context = { services, requiredToken: null, presentedToken: null, actor: "t" };
    const caller = createCaller(ctx);
    const row = await services.changes.resolve("add-names", project.id);
    try {
      for (const [name, code] of FAKES) {
        const label = JSON.stringify(name);
        for (const [tool, args] of [
          ["claim_change", { change: "add-names", owner: name }],
          ["next_work", { owner: name, claim: true }],
          ["list_changes", { claimedBy: name }],
          ["archive_change", { change: "add-names", force: true, expectedOwner: name }],
        ] as const) {
          const res = await mcp.call(tool, args);
          expect(res.isError, `${tool} ${label}`).toBe(true);
          expect(res.text, `${tool} ${label}`).toContain(`(found ${code})`);
        }
        await expect(caller.agents.claim({ id: row.id, owner: name }), label).rejects.toThrow(
          `(found ${code})`,
        );
      }
      expect((await services.claims.history(row.id)).total).toBe(0);
      for (const name of REAL) {
        const claimed = await mcp.call("claim_change", { change: "add-names", owner: name });
        expect(claimed.isError, `${name}: ${claimed.text}`).toBe(false);
        const released = await mcp.call("release_change", { change: "add-names", owner: name });
        expect(released.isError, `${name}: ${released.text}`).toBe(false);
      }
    } finally {
      await mcp.close();
    }
  });

  it("names that arrive outside a schema (an MCP client's own name, the actor header) are recorded visibly", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-actor"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const mcp = await connectMcp(services, project.id, "bob\u202Eeve");
    try {
      const validated = await mcp.call("validate_change", { change: "add-actor" });
      expect(validated.isError, validated.text).toBe(false);
    } finally {
      await mcp.close();
    }
    const caller = createCaller({
      services,
      requiredToken: null,
      presentedToken: null,
      actor: "web\u2066alice\u2069",
    });
    await caller.sync.forceSync({ projectId: project.id });
    const actors = (await db().database.db.select().from(syncHistory))
      .map((h) => h.actor)
      .filter((a): a is string => a !== null);
    expect(actors).toContain("mcp:bob\uFFFDeve");
    expect(actors).toContain("web\uFFFDalice\uFFFD");
    for (const a of actors) expect(a).not.toMatch(/[\u202E\u2066\u2069]/);
  });
});
