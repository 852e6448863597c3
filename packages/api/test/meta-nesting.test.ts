// A crafted `.openspec.yaml` must not take the process down: `[` × 2,000 (2 KB) made the YAML
// parser overflow the stack and V8 then abort the whole process ("RegExpCompiler Allocation
// failed"), which no try/catch sees. So the parse runs in a child process here, as it would in
// the server or its parse worker, and the child must exit normally with a parse error.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseChangeMeta } from "../src/utils/openspec/meta";

const meta = path.resolve(import.meta.dirname, "../src/utils/openspec/meta.ts");
const script = `
import { parseChangeMeta } from ${JSON.stringify(meta)};
const out = [];
for (const unit of ["[", "{", "- ", "? ", "[a, "]) {
  for (const n of [500, 2000, 4000, 16000, 65536]) {
    try { parseChangeMeta(unit.repeat(n)); out.push("parsed"); }
    catch (e) { out.push(String(e.message).slice(0, 60)); }
  }
}
console.log(JSON.stringify(out));
`;

describe(".openspec.yaml nesting", () => {
  it("deeply nested files are a parse error, never a crash of the process", () => {
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(run.stderr).not.toContain("FATAL ERROR");
    expect(run.status).toBe(0);
    const results = JSON.parse(run.stdout) as string[];
    expect(results).toHaveLength(25);
    for (const r of results) expect(r).toMatch(/nests deeper than 64 levels/);
  }, 90_000);

  it("real files still parse, nested a little", () => {
    expect(parseChangeMeta("schema: spec-driven\ncreated: 2025-01-01\n")).toEqual({
      schema: "spec-driven",
      created: "2025-01-01",
    });
    const nested = "schema: spec-driven\nextra:\n  - [a, {b: [c]}]\n  - k: v\n";
    expect(parseChangeMeta(nested)).toMatchObject({ extra: [["a", { b: ["c"] }], { k: "v" }] });
    expect(parseChangeMeta(`a: ${"[".repeat(60)}${"]".repeat(60)}\n`)).toBeTruthy();
    expect(() => parseChangeMeta(`a: ${"[".repeat(65)}${"]".repeat(65)}\n`)).toThrow(/deeper/);
  });
});
