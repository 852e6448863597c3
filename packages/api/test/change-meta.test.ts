// `.openspec.yaml`: the plain files a bulk import meets are read without the YAML library; every
// input must give exactly what the YAML parse gives (or throw as it throws).
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseChangeMeta } from "../src/utils/openspec/meta";

/** The reference: the YAML library's reading, as parseChangeMeta always did it. */
function viaYaml(content: string): unknown {
  const value: unknown = parseYaml(content.replace(/^\uFEFF/, ""));
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new Error("not a mapping");
  const meta = value as Record<string, unknown>;
  if (meta.created !== undefined) meta.created = String(meta.created);
  return meta;
}

const values = [
  "spec-driven",
  "2025-01-01",
  "2025-13-45",
  "true",
  "false",
  "null",
  "yes",
  "no",
  "on",
  "inf",
  "nan",
  "a",
  "x-",
  "1",
  "12",
  "0x1f",
  "1e3",
  ".inf",
  "~",
  '"quoted"',
  "'single'",
  "two words",
  "spec-driven # comment",
  "",
];
const keys = ["schema", "created", "goal", "my_key", "k2", "constructor", "__proto__", "Schema"];

function cases(): string[] {
  const out = ["", "\n", "\uFEFFschema: spec-driven\n", "schema: spec-driven"];
  for (const k of keys) for (const v of values) out.push(`${k}: ${v}\n`);
  for (const v of values) {
    out.push(`schema: spec-driven\ncreated: ${v}\n`);
    out.push(`schema: ${v}\r\ncreated: 2025-01-01\r\n`);
    out.push(`created: ${v}\ncreated: 2025-01-01\n`);
    out.push(`# note\nschema: ${v}\n`);
    out.push(`schema:  ${v}\n`);
    out.push(`schema: ${v}\n\n`);
    out.push(`schema: ${v}\ngoal: Ship it\n`);
  }
  return out;
}

describe(".openspec.yaml", () => {
  it("reads every input as the YAML library does", () => {
    for (const content of cases()) {
      let expected: unknown;
      let error = false;
      try {
        expected = viaYaml(content);
      } catch {
        error = true;
      }
      if (error) expect(() => parseChangeMeta(content), JSON.stringify(content)).toThrow();
      else expect(parseChangeMeta(content), JSON.stringify(content)).toStrictEqual(expected);
    }
  });
});
