// A derive job's reply leaves the proposal's big sections out and the event loop slices them from
// the proposal it sent (services/derive-reply.ts). What must hold: the fields are exactly what an
// inline derive gives, whatever the proposal (CRLF, a fenced heading first, a BOM), and a big
// section does travel as a slice (else the bench row's largest delay is back).
import { adversarialCases } from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { deriveFields, ParsePool } from "../src";
import {
  SLICE_MIN_CHARS,
  sliceDeriveReply,
  unsliceDeriveReply,
} from "../src/services/derive-reply";

const big = (word: string) =>
  `- ${word} `.repeat(Math.ceil(SLICE_MIN_CHARS / (word.length + 3)) + 1);
const proposals: Record<string, string> = {
  plain: `# Change: x\n\n## Why\n${big("because")}\n\n## What Changes\n${big("this")}\n\n## Impact\nsmall\n`,
  crlf: `# Change: x\r\n\r\n## Why\r\n${big("because").replaceAll(" - ", "\r\n- ")}\r\n`,
  "fenced heading first": `# x\n\n\`\`\`\n## What Changes\nnot this\n\`\`\`\n\n## What Changes\n${big("real")}\n`,
  "BOM, heading case, U+2028 around": `\uFEFF## WHAT changes  \n\u2028 ${big("wide\u2028")}\u2028\n## Why\nw\n`,
  "nested, heading in a list": `# C\n\n### Impact\n${big("nested")}\n- ## Impact\n`,
  small: "# Change: x\n\n## Why\nshort\n\n## What Changes\n- a\n",
};

function roundTrip(files: Record<string, string>) {
  const fields = deriveFields("change", "x", files);
  const reply = structuredClone(sliceDeriveReply(files, deriveFields("change", "x", files)));
  const back = unsliceDeriveReply(files, structuredClone(reply.value), reply.slices ?? []);
  return { fields, reply, back };
}

describe("a derive reply without the proposal's big sections", () => {
  for (const [name, proposal] of Object.entries(proposals))
    it(`${name}: the fields come back exactly`, () => {
      const { fields, back } = roundTrip({ "proposal.md": proposal, "tasks.md": "- [ ] a\n" });
      expect(back).toStrictEqual(fields);
    });

  it("big sections travel as slices, small ones as text", () => {
    const { fields, reply } = roundTrip({ "proposal.md": proposals.plain as string });
    expect(reply.slices?.map((s) => s.field)).toEqual(["why", "whatChanges"]);
    expect(reply.value.why).toBe("");
    expect(reply.value.impact).toBe("small");
    expect(fields.whatChanges?.length).toBeGreaterThan(SLICE_MIN_CHARS);
    const wide = roundTrip({
      "proposal.md": proposals["BOM, heading case, U+2028 around"] as string,
    });
    expect(wide.reply.slices?.map((s) => s.field)).toEqual(["whatChanges"]);
  });

  it("a guess that is not the section's text is never used (CRLF: the parser's lines differ)", () => {
    expect(roundTrip({ "proposal.md": proposals.crlf as string }).reply.slices).toBeUndefined();
  });

  it("every adversarial change folder: the same fields as inline", () => {
    for (const c of adversarialCases().filter((c) => c.kind === "change")) {
      const { fields, back } = roundTrip(c.files);
      expect(back, c.name).toStrictEqual(fields);
    }
  });
});

describe("through the worker pool", () => {
  const pool = new ParsePool({ size: 1 });
  afterAll(() => pool.close());

  it("a big proposal's derive on a worker equals the inline one", async () => {
    for (const proposal of Object.values(proposals)) {
      const files = { "proposal.md": proposal, "tasks.md": "- [x] done\n" };
      const job = { op: "derive" as const, kind: "change" as const, name: "x", files };
      expect(await pool.run(job)).toStrictEqual(deriveFields("change", "x", files));
    }
  }, 60_000);
});
