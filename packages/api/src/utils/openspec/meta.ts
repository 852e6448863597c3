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
  assertShallow(text);
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

/** Real `.openspec.yaml` files are flat; the corpus' deepest nests 2 levels. */
export const MAX_META_NESTING = 64;

/**
 * The YAML parser recurses once per nesting level: `[` × 2,000 (a 2 KB file) made V8 abort the
 * whole process ("RegExpCompiler Allocation failed") while building the stack-overflow error.
 * One linear pass bounds the depth from above (brackets and braces still open, plus a line's
 * indentation and `- `/`? `/`: ` markers; quotes are not skipped, so it can only over-count).
 */
function assertShallow(text: string): void {
  let flow = 0;
  let line = 0;
  let atStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line = 0;
      atStart = true;
      continue;
    }
    if (c === 91 || c === 123) flow++;
    else if ((c === 93 || c === 125) && flow > 0) flow--;
    else if (c === 32 && atStart) line++;
    else if (c === 32 || c === 9) {
      const prev = text.charCodeAt(i - 1);
      if (prev === 45 || prev === 63 || prev === 58) line += 2;
    } else atStart = false;
    if (flow + line / 2 > MAX_META_NESTING)
      throw new Error(`.openspec.yaml nests deeper than ${MAX_META_NESTING} levels`);
  }
}
