import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { locateOpenSpecCli } from "../src";
import { previewArchive } from "../src/services/delta-preview";
import { loadArchiveRules } from "../src/utils/openspec-internals";
import { openspecRaw } from "../testing/openspec-cli";
import { CORPUS_DIR, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

const corpus = existsSync(path.join(CORPUS_DIR, "changes"));
if (!corpus)
  console.warn(
    `\n⚠ ${CORPUS_DIR} is absent: the archive-preview differential test is SKIPPED (set SPECSYNC_CORPUS)\n`,
  );

/**
 * The oracle: on a copy of OpenSpec's own workspace, every active change is previewed and then
 * archived for real with `openspec archive <id> --yes`, one after the other (each preview sees the
 * specs the previous archives wrote). Each main spec must then be byte for byte what the preview
 * said.
 */
describe.skipIf(!corpus)("archive preview = what `openspec archive` writes (shared corpus)", () => {
  it("every main spec after a real archive equals the preview, byte for byte; refused archives change nothing", async () => {
    const root = tempRepo({ corpus: true });
    const openspecDir = path.join(root, "openspec");
    const rules = await loadArchiveRules(locateOpenSpecCli());
    const changes = readdirSync(path.join(openspecDir, "changes"), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== "archive")
      .map((e) => e.name)
      .sort();
    let compared = 0;
    let archived = 0;
    let refused = 0;
    const kinds = new Set<string>();
    for (const name of changes) {
      const preview = await previewArchive(rules, openspecDir, `changes/${name}`, name);
      const result = await openspecRaw(root, ["archive", name, "--yes", "--json"]);
      for (const spec of preview.specs) {
        const target = path.join(openspecDir, spec.file);
        const now = existsSync(target) ? readFileSync(target, "utf8") : null;
        if (result.code !== 0) {
          // Refused (validation, a delta that does not apply): the main specs are untouched.
          expect(now, `${name}: ${spec.file} changed although archive failed`).toBe(spec.before);
          continue;
        }
        expect(
          spec.error,
          `${name}: archive succeeded but the preview predicted: ${spec.error}`,
        ).toBeNull();
        if (now === null) {
          // A capability retired by the archive (every requirement removed, retirement declared).
          expect(spec.counts.removed, `${name}: ${spec.file} vanished`).toBeGreaterThan(0);
          continue;
        }
        expect(now, `${name}: ${spec.file}`).toBe(spec.after);
        for (const r of spec.requirements) kinds.add(r.op);
        compared++;
      }
      if (result.code === 0) archived++;
      else refused++;
    }
    console.log(
      `archive preview differential: ${changes.length} changes, ${archived} archived, ${refused} refused, ${compared} main specs compared byte for byte (ops: ${[...kinds].sort().join(", ")})`,
    );
    expect(archived).toBeGreaterThan(5);
    expect(compared).toBeGreaterThan(10);
  }, 300_000);
});

const REQ = (name: string, body = `The system SHALL ${name.toLowerCase()}.`) =>
  `### Requirement: ${name}\n${body}\n\n#### Scenario: ${name} works\n- **WHEN** it runs\n- **THEN** it works\n`;

describe("archive preview = what `openspec archive` writes (RENAMED, REMOVED, CRLF, new spec)", () => {
  it("each operation and line ending, previewed then archived for real, byte for byte", async () => {
    const root = tempRepo();
    const main = `# auth Specification\n\n## Purpose\nAuthentication for everyone who signs in.\n\n## Requirements\n${REQ("Login")}\n${REQ("Logout")}\n${REQ("Session timeout")}\n${REQ("Remember me")}`;
    writeTree(root, {
      "specs/auth/spec.md": main,
      "specs/billing/spec.md": `# billing Specification\r\n\r\n## Purpose\r\nBilling of every customer account.\r\n\r\n## Requirements\r\n${REQ("Invoices").replace(/\n/g, "\r\n")}`,
      "changes/rework-auth/proposal.md":
        "# Change: Rework auth\n\n## Why\nSessions are confusing our users a lot.\n\n## What Changes\n- Rename, remove, modify\n",
      "changes/rework-auth/tasks.md": "- [x] 1.1 done\n",
      "changes/rework-auth/specs/auth/spec.md": `## RENAMED Requirements\n- FROM: \`### Requirement: Logout\`\n- TO: \`### Requirement: Sign out\`\n\n## MODIFIED Requirements\n### Requirement: Sign out\nThe system SHALL sign the user out everywhere.\n\n#### Scenario: Logout works\n- **WHEN** it runs\n- **THEN** every session ends\n\n${REQ("Login", "The system SHALL log in with a passkey.")}\n## REMOVED Requirements\n### Requirement: Remember me\n**Reason**: insecure\n**Migration**: none\n\n## ADDED Requirements\n${REQ("Audit trail")}`,
      "changes/rework-auth/specs/billing/spec.md": `## ADDED Requirements\n${REQ("Refunds")}`,
      "changes/rework-auth/specs/payments/spec.md": `## ADDED Requirements\n${REQ("Card payments")}`,
    });
    const openspecDir = path.join(root, "openspec");
    const preview = await previewArchive(
      await loadArchiveRules(locateOpenSpecCli()),
      openspecDir,
      "changes/rework-auth",
      "rework-auth",
    );
    const auth = preview.specs.find((s) => s.capability === "auth")!;
    expect(auth.requirements.map((r) => [r.op, r.from ?? null, r.name])).toEqual([
      ["RENAMED", "Logout", "Sign out"],
      ["MODIFIED", null, "Sign out"],
      ["MODIFIED", null, "Login"],
      ["REMOVED", null, "Remember me"],
      ["ADDED", null, "Audit trail"],
    ]);
    expect(auth.error).toBeNull();
    expect(auth.requirements[1]).toMatchObject({
      before: expect.stringContaining("### Requirement: Logout"),
      after: expect.stringContaining("everywhere"),
    });
    expect(preview.specs.find((s) => s.capability === "payments")).toMatchObject({
      isNew: true,
      before: null,
    });
    const result = await openspecRaw(root, ["archive", "rework-auth", "--yes", "--json"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    for (const spec of preview.specs)
      expect(readFileSync(path.join(openspecDir, spec.file), "utf8"), spec.file).toBe(spec.after);
    expect(preview.specs.find((s) => s.capability === "billing")!.after).toContain(
      "\r\n### Requirement: Refunds\r\n",
    );
  });
});
