import { parse as parseYaml } from "yaml";

export type ChangeMeta = {
  schema?: string;
  created?: string;
  goal?: string;
  [key: string]: unknown;
};

/**
 * `.openspec.yaml`: unknown keys are kept (the CLI ignores them); malformed YAML is an error the
 * caller records.
 */
export function parseChangeMeta(content: string): ChangeMeta {
  const text = content.replace(/^\uFEFF/, "");
  const simple = plainMeta(text);
  if (simple) return simple;
  const value: unknown = parseYaml(text);
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new Error(".openspec.yaml must be a YAML mapping");
  const meta = value as ChangeMeta;
  // YAML reads `created: 2025-01-01` as a string under the core schema; keep it a plain string.
  if (meta.created !== undefined) meta.created = String(meta.created);
  return meta;
}

/**
 * `key: value` whose value YAML's core schema reads as this very string: a lowercase word with
 * dashes, or a date (the core schema has no timestamps). `true`, `false` and `null` are typed.
 */
const PLAIN_LINE = /^([a-z][a-z0-9_]*): ([a-z][a-z0-9-]*|\d{4}-\d{2}-\d{2})$/;
const TYPED = new Set(["true", "false", "null"]);

/**
 * The usual file (`schema: spec-driven`, `created: 2025-01-01`) without the YAML library, which
 * cost a bulk import ~0.5 ms a change in its parse worker; the same object `parseYaml` gives, or
 * null for anything else (comments, quotes, CRLF, a repeated key…), which takes the full parse.
 */
function plainMeta(text: string): ChangeMeta | null {
  if (!text.endsWith("\n")) return null;
  const meta: ChangeMeta = {};
  for (const line of text.slice(0, -1).split("\n")) {
    const m = PLAIN_LINE.exec(line);
    const [key, value] = [m?.[1], m?.[2]];
    if (key === undefined || value === undefined || key in meta || TYPED.has(value)) return null;
    meta[key] = value;
  }
  return meta;
}
