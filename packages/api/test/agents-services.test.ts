import { createHash } from "node:crypto";
import { changeClaims, createDb, eq, sql } from "@specsync/db";
import postgres from "postgres";
import { afterAll, expect, it } from "vitest";
import { createServices, SpecsyncError } from "../src";
import { sharedRequirements, touchedRequirements } from "../src/utils/openspec/overlap";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/** A delta spec touching the named requirements of one capability. */
const delta = (
  ops: Partial<Record<"ADDED" | "MODIFIED" | "REMOVED", string[]>> & {
    RENAMED?: [string, string][];
  },
) =>
  [
    ...(["ADDED", "MODIFIED"] as const).flatMap((op) =>
      ops[op]?.length
        ? [
            `## ${op} Requirements`,
            ...ops[op]!.flatMap((n) => [
              `### Requirement: ${n}`,
              "The system SHALL do it.",
              "",
              "#### Scenario: It works",
              "- **WHEN** x",
              "- **THEN** y",
              "",
            ]),
          ]
        : [],
    ),
    ...(ops.REMOVED?.length
      ? ["## REMOVED Requirements", ...ops.REMOVED.map((n) => `### Requirement: ${n}`), ""]
      : []),
    ...(ops.RENAMED?.length
      ? [
          "## RENAMED Requirements",
          ...ops.RENAMED.flatMap(([f, t]) => [
            `- FROM: \`### Requirement: ${f}\``,
            `- TO: \`### Requirement: ${t}\``,
          ]),
          "",
        ]
      : []),
  ].join("\n");

const expectError = async (p: Promise<unknown>, code: string, message: RegExp) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, "expected an error").toBeInstanceOf(SpecsyncError);
  expect((err as SpecsyncError).code).toBe(code);
  expect((err as SpecsyncError).message).toMatch(message);
};

it("touched requirements: names matched as the CLI matches them (trailing #s, blanks), RENAMED touches both names", () => {
  const a = touchedRequirements({
    auth: delta({ MODIFIED: ["Login  ##"], RENAMED: [["Old name", "New name"]] }),
    ui: delta({ ADDED: ["Theme"] }),
  });
  const b = touchedRequirements({
    auth: delta({ REMOVED: ["Login", "New name"] }),
    other: delta({ ADDED: ["Theme"] }),
  });
  expect(sharedRequirements(a, b)).toEqual([
    {
      capability: "auth",
      requirement: "Login",
      operations: ["MODIFIED"],
      otherOperations: ["REMOVED"],
    },
    {
      capability: "auth",
      requirement: "New name",
      operations: ["RENAMED"],
      otherOperations: ["REMOVED"],
    },
  ]);
  // Same requirement name in another capability, or another case, is not the same requirement.
  expect(sharedRequirements(touchedRequirements({ auth: delta({ ADDED: ["login"] }) }), a)).toEqual(
    [],
  );
  // A requirement header inside a fenced block is not a requirement.
  expect(
    touchedRequirements({ auth: "## ADDED Requirements\n```\n### Requirement: Login\n```\n" }).get(
      "auth",
    )?.size ?? 0,
  ).toBe(0);
});

describeEachDb("claims, dependencies, overlaps, work queue", (db, driver) => {
  async function setup(folders: Record<string, Record<string, string>>) {
    const root = tempRepo();
    for (const [name, deltas] of Object.entries(folders)) {
      const files = changeFiles(name);
      delete files[`changes/${name}/specs/demo/spec.md`];
      for (const [cap, content] of Object.entries(deltas))
        files[`changes/${name}/specs/${cap}/spec.md`] = content;
      writeTree(root, files);
    }
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const { items } = await services.specs.list({
      projectId: project.id,
      kind: "change",
      limit: 200,
    });
    const id = (name: string) => items.find((i) => i.name === name)!.id;
    return { root, services, project, id };
  }

  it("claim is exclusive, renewable by its owner, released only by its owner; history records each step", async () => {
    const { services: s, id, project } = await setup({ "add-a": {}, "add-b": {} });
    const a = id("add-a");
    const first = await s.claims.claim({ id: a, owner: "agent-1", leaseSeconds: 60 });
    expect(first).toMatchObject({ name: "add-a", renewed: false, claim: { owner: "agent-1" } });
    await expectError(
      s.claims.claim({ id: a, owner: "agent-2" }),
      "CONFLICT",
      /add-a is claimed by agent-1 until/,
    );
    await expectError(
      s.claims.release({ id: a, owner: "agent-2" }),
      "FORBIDDEN",
      /claimed by agent-1, not by agent-2/,
    );
    await expectError(
      s.claims.heartbeat({ id: a, owner: "agent-2", leaseSeconds: 60 }),
      "FORBIDDEN",
      /only the owner can renew/,
    );
    const renewed = await s.claims.heartbeat({ id: a, owner: "agent-1", leaseSeconds: 600 });
    expect(renewed.claim.expiresAt.getTime()).toBeGreaterThan(first.claim.expiresAt.getTime());
    expect(renewed.claim.claimedAt.getTime()).toBe(first.claim.claimedAt.getTime());

    // Visible and filterable in specs.list.
    const claimed = await s.specs.list({ projectId: project.id, claimed: true });
    expect(claimed.items.map((i) => [i.name, i.claimedBy])).toEqual([["add-a", "agent-1"]]);
    expect(
      (await s.specs.list({ projectId: project.id, kind: "change", claimed: false })).items.map(
        (i) => i.name,
      ),
    ).toEqual(["add-b"]);
    expect(
      (await s.specs.list({ projectId: project.id, claimedBy: "agent-1" })).items.map(
        (i) => i.name,
      ),
    ).toEqual(["add-a"]);
    expect((await s.specs.list({ projectId: project.id, claimedBy: "agent-2" })).items).toEqual([]);

    await s.claims.release({ id: a, owner: "agent-1" });
    expect(await s.claims.get(a)).toBeNull();
    await expectError(
      s.claims.release({ id: a, owner: "agent-1" }),
      "CONFLICT",
      /add-a is not claimed/,
    );
    expect((await s.claims.history(a)).events.map((h) => [h.event, h.owner])).toEqual([
      ["released", "agent-1"],
      ["renewed", "agent-1"],
      ["claimed", "agent-1"],
    ]);
  });

  it("claim history is bounded: the newest `limit` events, newest first, with the total", async () => {
    const { services: s, id } = await setup({ "add-a": {}, "add-b": {} });
    const a = id("add-a");
    await s.claims.claim({ id: a, owner: "agent-1", leaseSeconds: 60 });
    for (let i = 0; i < 5; i++)
      await s.claims.heartbeat({ id: a, owner: "agent-1", leaseSeconds: 60 });
    await s.claims.release({ id: a, owner: "agent-1" });
    await s.claims.claim({ id: id("add-b"), owner: "agent-2", leaseSeconds: 60 });
    const page = await s.claims.history(a, 3);
    expect(page.total).toBe(7);
    expect(page.events.map((e) => e.event)).toEqual(["released", "renewed", "renewed"]);
    expect(page.events[0]).toMatchObject({ owner: "agent-1", note: null });
    expect(page.events[0]?.at).toBeInstanceOf(Date);
    const all = await s.claims.history(a);
    expect(all.total).toBe(7);
    expect(all.events.map((e) => e.id)).toEqual(
      [...all.events.map((e) => e.id)].sort((x, y) => y - x),
    );
    expect(all.events.at(-1)?.event).toBe("claimed");
    expect((await s.claims.history(id("add-b"))).total).toBe(1);
  });

  it("an expired lease frees the change: its owner can no longer renew or release it, another owner takes it", async () => {
    const { services: s, id } = await setup({ "add-a": {} });
    const a = id("add-a");
    await s.claims.claim({ id: a, owner: "agent-1", leaseSeconds: 60 });
    await db()
      .database.db.update(changeClaims)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(changeClaims.specId, a));
    expect(await s.claims.get(a)).toBeNull();
    await expectError(
      s.claims.heartbeat({ id: a, owner: "agent-1", leaseSeconds: 60 }),
      "CONFLICT",
      /lease of agent-1 on add-a expired at .*claim it again/,
    );
    await expectError(s.claims.release({ id: a, owner: "agent-1" }), "CONFLICT", /expired/);
    const taken = await s.claims.claim({ id: a, owner: "agent-2", leaseSeconds: 60 });
    expect(taken.claim.owner).toBe("agent-2");
    expect((await s.claims.history(a)).events.slice(0, 2).map((h) => [h.event, h.owner])).toEqual([
      ["claimed", "agent-2"],
      ["expired", "agent-1"],
    ]);
  });

  // break-api F6: the loser of two claims of an expired lease was told the expired owner held it
  // (an expiry in the past): its statement's snapshot predates the winner's commit.
  it.skipIf(driver === "pglite")(
    "two owners taking an expired lease at once: the loser's CONFLICT names the winner",
    async () => {
      const { services: s, id, project } = await setup({ "add-a": {} });
      const a = id("add-a");
      await s.claims.claim({ id: a, owner: "old0", leaseSeconds: 60 });
      await db()
        .database.db.update(changeClaims)
        .set({ expiresAt: sql`now() - interval '1 second'` })
        .where(eq(changeClaims.specId, a));
      // A0 takes it on another connection and holds its transaction open: B0's statement starts
      // (its snapshot still shows old0) and waits on the row until A0 commits.
      const other = await createDb({ url: db().url ?? "" });
      let commit = () => {};
      const held = new Promise<void>((resolve) => (commit = resolve));
      const target = { id: a, name: "add-a", projectId: project.id };
      const taking = other.db.transaction(async (tx) => {
        await tx.execute(s.claims.claimQuery(target, "A0", 60));
        await held;
      });
      try {
        await new Promise((r) => setTimeout(r, 200));
        const losing = s.claims.claim({ id: a, owner: "B0", leaseSeconds: 60 }).then(
          () => null,
          (e: unknown) => e,
        );
        await new Promise((r) => setTimeout(r, 500));
        commit();
        await taking;
        const err = (await losing) as SpecsyncError;
        expect(err).toBeInstanceOf(SpecsyncError);
        expect(err.message).toMatch(/^add-a is claimed by A0 until /);
        expect(err.details?.owner).toBe("A0");
        expect(new Date(String(err.details?.expiresAt)).getTime()).toBeGreaterThan(Date.now());
      } finally {
        commit();
        await other.close();
      }
    },
  );

  it("bad claims are refused with the reason, and change nothing", async () => {
    const { services: s, id, project } = await setup({ "add-a": {} });
    const a = id("add-a");
    await expect(s.claims.claim({ id: a, owner: "x", leaseSeconds: 0 })).rejects.toThrow(
      /at least 10 seconds/,
    );
    await expect(
      s.claims.claim({ id: a, owner: "x", leaseSeconds: 10 * 365 * 24 * 3600 }),
    ).rejects.toThrow(
      /at most 86400 seconds \(24 h\); to keep a change longer, claim it again as the same owner/,
    );
    await expect(s.claims.claim({ id: a, owner: "  " })).rejects.toThrow(/owner must not be empty/);
    // NUL never reaches PostgreSQL ("invalid byte sequence for encoding UTF8: 0x00", INTERNAL).
    await expect(s.claims.claim({ id: a, owner: "a\u0000b" })).rejects.toThrow(/NUL byte/);
    await expect(s.specs.list({ search: "a\u0000" })).rejects.toThrow(/NUL byte/);
    await expect(s.specs.list({ claimedBy: "\uD800" })).rejects.toThrow(/lone UTF-16 surrogate/);
    // A change name with NUL (POST /cli/v1/run, an MCP resource URI) names no change: NOT_FOUND.
    await expectError(s.changes.resolve("add\u0000a", project.id), "NOT_FOUND", /no change named/);
    await expectError(s.changes.spec("demo\u0000", project.id), "NOT_FOUND", /./);
    await expectError(
      s.claims.claim({ id: "00000000-0000-4000-8000-000000000000", owner: "x" }),
      "NOT_FOUND",
      /not found/,
    );
    const spec = await s.sync.ensureProject(project.rootPath);
    expect(spec.id).toBe(project.id);
    expect((await s.claims.history(a)).events).toEqual([]);
    expect(await s.claims.get(a)).toBeNull();
  });

  it("dependencies: self, unknown and cyclic ones refused naming the cycle; blocked until the dependency is archived", async () => {
    const { services: s, id } = await setup({ "add-a": {}, "add-b": {}, "add-c": {} });
    const [a, b, c] = [id("add-a"), id("add-b"), id("add-c")];
    await expectError(
      s.dependencies.add({ id: a, dependsOn: a }),
      "BAD_REQUEST",
      /cannot depend on itself/,
    );
    await expectError(
      s.dependencies.add({ id: a, dependsOn: "00000000-0000-4000-8000-000000000000" }),
      "NOT_FOUND",
      /not found/,
    );
    await s.dependencies.add({ id: a, dependsOn: b });
    await s.dependencies.add({ id: b, dependsOn: c });
    await expectError(
      s.dependencies.add({ id: c, dependsOn: a }),
      "BAD_REQUEST",
      /cycle add-c → add-a → add-b → add-c/,
    );
    const deps = await s.dependencies.list(a);
    expect(deps.dependsOn.map((d) => d.name)).toEqual(["add-b"]);
    expect(deps.blockedBy).toEqual(["add-b"]);
    expect((await s.dependencies.list(b)).dependents.map((d) => d.name)).toEqual(["add-a"]);
    await expectError(
      s.dependencies.remove({ id: c, dependsOn: a }),
      "NOT_FOUND",
      /^add-c does not depend on add-a$/,
    );
    await s.dependencies.remove({ id: b, dependsOn: c });
    expect((await s.dependencies.list(b)).dependsOn).toEqual([]);
  });

  it("overlaps are derived from delta specs, per requirement of the same capability, active changes only", async () => {
    const { services: s, id } = await setup({
      "add-login": { auth: delta({ ADDED: ["Login"] }) },
      "fix-login": { auth: delta({ MODIFIED: ["Login"], REMOVED: ["Legacy"] }) },
      "rename-legacy": { auth: delta({ RENAMED: [["Legacy", "Old login"]] }) },
      "add-theme": { ui: delta({ ADDED: ["Login"] }) },
    });
    const overlaps = await s.overlaps.forChange(id("fix-login"));
    expect(
      overlaps.map((o) => [o.name, o.requirements.map((r) => `${r.capability}:${r.requirement}`)]),
    ).toEqual([
      ["add-login", ["auth:Login"]],
      ["rename-legacy", ["auth:Legacy"]],
    ]);
    expect(await s.overlaps.forChange(id("add-theme"))).toEqual([]);
    expect(await s.overlaps.map()).toEqual({
      [id("add-login")]: ["fix-login"],
      [id("fix-login")]: ["add-login", "rename-legacy"],
      [id("rename-legacy")]: ["fix-login"],
    });
  });

  it("overlaps follow a delta edit at once, also where two changes hold the same delta file", async () => {
    const same = delta({ MODIFIED: ["Login"] });
    const { services: s, id } = await setup({
      "add-login": { auth: delta({ ADDED: ["Login"] }) },
      "fix-login": { auth: same },
      "tune-login": { auth: same, ui: delta({ ADDED: ["Theme"] }) },
      "add-theme": { ui: delta({ MODIFIED: ["Theme"] }) },
    });
    const names = async (name: string) =>
      (await s.overlaps.forChange(id(name))).map(
        (o) => `${o.name}: ${o.requirements.map((r) => `${r.capability}:${r.requirement}`)}`,
      );
    expect(await names("add-login")).toEqual(["fix-login: auth:Login", "tune-login: auth:Login"]);
    expect(await names("add-theme")).toEqual(["tune-login: ui:Theme"]);
    // fix-login's copy of the shared file changes: its answer moves, tune-login's (same old
    // content) does not.
    const hashes = (await s.specs.get(id("fix-login"))).contentHashes;
    await s.specs.update({
      id: id("fix-login"),
      file: "specs/auth/spec.md",
      content: delta({ MODIFIED: ["Logout"] }),
      baseHash: hashes["specs/auth/spec.md"]!,
    });
    expect(await names("add-login")).toEqual(["tune-login: auth:Login"]);
    expect(await names("fix-login")).toEqual([]);
    expect(await names("tune-login")).toEqual(["add-login: auth:Login", "add-theme: ui:Theme"]);
    // A delta file for a new capability makes an overlap through it at once.
    await s.specs.update({
      id: id("fix-login"),
      file: "specs/ui/spec.md",
      content: delta({ REMOVED: ["Theme"] }),
      baseHash: null,
    });
    expect(await names("add-theme")).toEqual(["fix-login: ui:Theme", "tune-login: ui:Theme"]);
    expect(await names("fix-login")).toEqual(["add-theme: ui:Theme", "tune-login: ui:Theme"]);
    // The list's warning map (its own cache, by row) agrees.
    expect((await s.overlaps.map())[id("fix-login")]).toEqual(["add-theme", "tune-login"]);
  });

  it("next_work: priority then age, skips claimed, blocked and overlapping changes and says why; claim is atomic", async () => {
    const {
      services: s,
      id,
      project,
    } = await setup({
      "add-auth": { auth: delta({ ADDED: ["Login"] }) },
      "add-billing": { billing: delta({ ADDED: ["Invoice"] }) },
      "fix-auth": { auth: delta({ MODIFIED: ["Login"] }) },
      "add-ui": { ui: delta({ ADDED: ["Theme"] }) },
      "add-docs": { docs: delta({ ADDED: ["Guide"] }) },
    });
    for (const n of ["add-auth", "add-billing", "fix-auth", "add-ui", "add-docs"])
      await s.specs.setStatus({ id: id(n), status: "approved" });
    await s.specs.setPriority({ id: id("add-billing"), priority: "critical" });
    await s.specs.setPriority({ id: id("fix-auth"), priority: "high" });
    await s.specs.setPriority({ id: id("add-ui"), priority: "high" });
    await s.specs.setPriority({ id: id("add-auth"), priority: "medium" });
    await s.dependencies.add({ id: id("add-ui"), dependsOn: id("add-docs") });
    await s.claims.claim({ id: id("add-billing"), owner: "bob" });
    await s.claims.claim({ id: id("add-auth"), owner: "carol" });

    const next = await s.workQueue.next({ projectId: project.id, owner: "alice", explain: true });
    expect(next.change?.name).toBe("add-docs");
    // Everything ahead of add-docs (priority none) is skipped, each for its reason (equal
    // priorities go by age).
    expect(next.skipped).toHaveLength(4);
    expect(next.skipped![0]).toEqual({
      name: "add-billing",
      reason: expect.stringMatching(/^claimed by bob until /),
    });
    expect(next.skipped).toEqual(
      expect.arrayContaining([
        { name: "add-ui", reason: "blocked by add-docs (not archived)" },
        { name: "fix-auth", reason: "overlaps add-auth (claimed by carol) on auth: Login" },
        { name: "add-auth", reason: expect.stringMatching(/^claimed by carol/) },
      ]),
    );
    // Not claimed: asking twice gives the same answer; claiming takes it off the queue.
    expect((await s.workQueue.next({ projectId: project.id, owner: "dave" })).change?.name).toBe(
      "add-docs",
    );
    const mine = await s.workQueue.next({ projectId: project.id, owner: "alice", claim: true });
    expect(mine).toMatchObject({ change: { name: "add-docs" }, claim: { owner: "alice" } });
    expect(
      (await s.workQueue.next({ projectId: project.id, owner: "dave", claim: true })).change,
    ).toBeNull();
    // The owner asking again gets its own claim back first.
    expect((await s.workQueue.next({ projectId: project.id, owner: "alice" })).reason).toMatch(
      /you already hold it/,
    );
    await expect(s.workQueue.next({ claim: true })).rejects.toThrow(/claim: true needs an owner/);
  });

  it("next_work explain: past the first 20 skipped changes, says how many more were passed over", async () => {
    const names = Array.from({ length: 24 }, (_, i) => `add-c${i}`);
    const { services: s, id, project } = await setup(Object.fromEntries(names.map((n) => [n, {}])));
    for (const n of names) {
      await s.specs.setStatus({ id: id(n), status: "approved" });
      await s.claims.claim({ id: id(n), owner: "bob" });
    }
    const next = await s.workQueue.next({ projectId: project.id, owner: "alice", explain: true });
    expect(next.change).toBeNull();
    expect(next.skipped).toHaveLength(20);
    expect(next.skippedMore).toBe(4);
    const few = await s.workQueue.next({ projectId: project.id, owner: "bob", explain: true });
    expect(few.skippedMore).toBeUndefined();
  });

  it("delta_stamp (stored) is the md5 of the delta files' hashes in code-point order, and follows them", async () => {
    const { id } = await setup({
      "add-a": { zeta: delta({ ADDED: ["Z"] }), Beta: delta({ ADDED: ["B"] }) },
      "add-b": {},
    });
    const stampOf = (hashes: Record<string, string>) => {
      const joined = Object.entries(hashes)
        .filter(([f]) => f.startsWith("specs/") && f.endsWith("/spec.md"))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([f, h]) => `${f}:${h}`)
        .join("|");
      return joined ? createHash("md5").update(joined).digest("hex") : null;
    };
    const read = async (specId: string) =>
      (
        await db().database.query<{ hashes: Record<string, string>; stamp: string | null }>(
          `select content_hashes as hashes, delta_stamp as stamp from openspec_specs where id = $1`,
          [specId],
        )
      )[0]!;
    const a = await read(id("add-a"));
    expect(Object.keys(a.hashes).filter((f) => f.startsWith("specs/"))).toHaveLength(2);
    expect(a.stamp).toMatch(/^[0-9a-f]{32}$/);
    expect(a.stamp).toBe(stampOf(a.hashes));
    expect((await read(id("add-b"))).stamp).toBeNull();
    await db().database.query(
      `update openspec_specs set content_hashes = content_hashes || '{"specs/zeta/spec.md": "x1"}'
       where id = $1`,
      [id("add-a")],
    );
    const after = await read(id("add-a"));
    expect(after.stamp).not.toBe(a.stamp);
    expect(after.stamp).toBe(stampOf(after.hashes));
  });

  it("claiming your own live claim again renews it (start kept), as next_work with claim does", async () => {
    const { services: s, id, project } = await setup({ "add-a": {} });
    const a = id("add-a");
    await s.specs.setStatus({ id: a, status: "approved" });
    const first = await s.workQueue.next({ projectId: project.id, owner: "agent-1", claim: true });
    expect(first).toMatchObject({ change: { name: "add-a" }, claim: { owner: "agent-1" } });
    const again = await s.claims.claim({ id: a, owner: "agent-1", leaseSeconds: 900 });
    expect(again.renewed).toBe(true);
    expect(again.claim.claimedAt.getTime()).toBe(first.claim!.claimedAt.getTime());
    expect(again.claim.expiresAt.getTime()).toBeGreaterThan(first.claim!.expiresAt.getTime());
    const resumed = await s.workQueue.next({
      projectId: project.id,
      owner: "agent-1",
      claim: true,
    });
    expect(resumed.reason).toMatch(/your claim, renewed/);
    expect(resumed.claim!.claimedAt.getTime()).toBe(first.claim!.claimedAt.getTime());
    expect((await s.claims.history(a)).events.map((h) => [h.event, h.owner])).toEqual([
      ["renewed", "agent-1"],
      ["renewed", "agent-1"],
      ["claimed", "agent-1"],
    ]);
  });

  it("a claim made outside the queue while next_work claims the same change: next_work takes the next one", async () => {
    const url = db().url;
    if (!url) return; // one connection on PGlite: no claim can come in between
    const { services: s, id, project } = await setup({ "add-a": {}, "add-b": {} });
    for (const n of ["add-a", "add-b"]) await s.specs.setStatus({ id: id(n), status: "approved" });
    await s.specs.setPriority({ id: id("add-a"), priority: "high" });
    // Another session claims add-a and has not committed: next_work does not see it, picks add-a,
    // and its claim waits on that row; once the other commits, the claim finds it taken.
    const other = postgres(url, { max: 2, onnotice: () => {} });
    try {
      const reserved = await other.reserve();
      await reserved`begin`;
      await reserved`insert into change_claims (spec_id, owner, expires_at)
        values (${id("add-a")}, 'outsider', now() + interval '10 minutes')`;
      const next = s.workQueue.next({ projectId: project.id, owner: "agent-1", claim: true });
      // Commit only once next_work's claim is waiting on the row (so the retry is what is tested).
      const waitingOnRow = async () =>
        (
          await other`select 1 from pg_stat_activity where datname = current_database()
            and wait_event_type = 'Lock' and query like '%insert into change_claims%'`
        ).length > 0;
      for (let i = 0; i < 200 && !(await waitingOnRow()); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await waitingOnRow()).toBe(true);
      await reserved`commit`;
      reserved.release();
      expect(await next).toMatchObject({ change: { name: "add-b" }, claim: { owner: "agent-1" } });
      expect((await s.claims.get(id("add-a")))?.owner).toBe("outsider");
      expect((await s.claims.history(id("add-a"))).events).toEqual([]);
    } finally {
      await other.end();
    }
  });

  it("concurrent next_work claims never hand out the same change, nor two overlapping ones", async () => {
    const folders: Record<string, Record<string, string>> = {};
    for (let i = 0; i < 12; i++)
      folders[`add-free-${i}`] = { [`cap-${i}`]: delta({ ADDED: ["Thing"] }) };
    folders["add-x"] = { shared: delta({ ADDED: ["Clash"] }) };
    folders["add-y"] = { shared: delta({ MODIFIED: ["Clash"] }) };
    const { services: s, id, project } = await setup(folders);
    for (const n of Object.keys(folders))
      await s.specs.setStatus({ id: id(n), status: "approved" });
    const got = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        s.workQueue.next({ projectId: project.id, owner: `agent-${i}`, claim: true }),
      ),
    );
    const names = got.map((g) => g.change?.name).filter(Boolean);
    expect(names).toHaveLength(13); // 12 free ones plus one of add-x / add-y
    expect(new Set(names).size).toBe(13);
    expect(names.filter((n) => n === "add-x" || n === "add-y")).toHaveLength(1);
  });
});
