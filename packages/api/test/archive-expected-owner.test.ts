import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices, SpecsyncError } from "../src";
import { forcedNote } from "../src/services/claims-service";
import { describeEachDb } from "../testing/each-db";
import {
  changeFiles,
  cleanupTempRepos,
  MAIN_SPEC,
  tempRepo,
  writeTree,
} from "../testing/workspace";

// A force-archive carries the owner the person confirmed (`expectedOwner`): the archive checks it
// as it starts, so a claim that changed hands after the person's check is refused, naming the new
// holder, instead of being ended unseen (the web UI used to compare claimOf itself, then force).

afterAll(cleanupTempRepos);

it("forcedNote: the confirmed claim is 'forced'; another owner's was taken while the archive ran", () => {
  const live = (owner: string) => ({ owner, live: true });
  expect(forcedNote(live("carol"), "web", true, "carol")).toBe(" (forced)");
  expect(forcedNote(live("carol"), "web", true, undefined)).toBe(" (forced)");
  expect(forcedNote(live("dave"), "web", true, "carol")).toBe(" (claimed while the archive ran)");
  expect(forcedNote(live("web"), "web", true, "carol")).toBe("");
  expect(forcedNote({ owner: "carol", live: false }, "web", true, "carol")).toBe("");
  expect(forcedNote(live("carol"), "web", false, undefined)).toBe("");
});

describeEachDb("force-archive with the owner the person confirmed", (db) => {
  async function setup() {
    const root = tempRepo();
    writeTree(root, {
      "specs/demo/spec.md": MAIN_SPEC,
      ...changeFiles("add-one"),
      ...changeFiles("add-two"),
    });
    const services = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const idOf = async (name: string) =>
      (
        await services.specs.list({ projectId: project.id, kind: "change", search: name })
      ).items.find((i) => i.name === name)?.id ?? "";
    const active = (name: string) => existsSync(path.join(root, "openspec/changes", name));
    return { services, idOf, active };
  }

  it("a claim that changed hands since the confirmation refuses the force, naming the new holder; the confirmed one is ended", async () => {
    const { services, idOf, active } = await setup();
    const id = await idOf("add-one");
    await services.claims.claim({ id, owner: "carol", leaseSeconds: 600 });
    // The person confirmed ending carol's claim; meanwhile it went to dave.
    await services.claims.release({ id, owner: "carol" });
    await services.claims.claim({ id, owner: "dave", leaseSeconds: 300 });
    const err = await services.lifecycle
      .archive({ id, actor: "web", force: true, expectedOwner: "carol" })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(SpecsyncError);
    const e = err as SpecsyncError;
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toMatch(
      /^add-one is now claimed by dave until \S+Z, not by carol whose claim the force confirmed; nothing was archived\. Force it again to end dave's claim$/,
    );
    expect(e.details).toMatchObject({ owner: "dave", expectedOwner: "carol" });
    // Nothing moved, dave's claim stands, no archive in its claim history.
    expect(active("add-one")).toBe(true);
    expect((await services.claims.get(id))?.owner).toBe("dave");
    const { events } = await services.claims.history(id);
    expect(events.map((ev) => `${ev.event} ${ev.owner}`)).toEqual([
      "claimed dave",
      "released carol",
      "claimed carol",
    ]);

    // Confirmed again for dave: archived, dave's claim ended as forced.
    const out = await services.lifecycle.archive({
      id,
      actor: "web",
      force: true,
      expectedOwner: "dave",
    });
    expect(out.archivedAs).toMatch(/-add-one$/);
    expect(active("add-one")).toBe(false);
    expect(await services.claims.get(id)).toBeNull();
    const [last] = (await services.claims.history(id)).events;
    expect(last).toMatchObject({
      event: "archived",
      owner: "dave",
      note: "archived by web (forced)",
    });
  });

  it("a force naming an owner whose claim has ended archives with nothing to end; a force without expectedOwner (CLI, MCP) is as before", async () => {
    const { services, idOf, active } = await setup();
    const one = await idOf("add-one");
    await services.claims.claim({ id: one, owner: "carol", leaseSeconds: 600 });
    await services.claims.release({ id: one, owner: "carol" });
    await services.lifecycle.archive({
      id: one,
      actor: "web",
      force: true,
      expectedOwner: "carol",
    });
    expect(active("add-one")).toBe(false);
    expect((await services.claims.history(one)).events[0]?.event).toBe("released");

    const two = await idOf("add-two");
    await services.claims.claim({ id: two, owner: "bob", leaseSeconds: 600 });
    await services.lifecycle.archive({ id: two, actor: "cli", force: true });
    expect(active("add-two")).toBe(false);
    expect((await services.claims.history(two)).events[0]).toMatchObject({
      event: "archived",
      owner: "bob",
      note: "archived by cli (forced)",
    });
  });
});
