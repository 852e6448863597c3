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
  const value: unknown = parseYaml(content.replace(/^\uFEFF/, ""));
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new Error(".openspec.yaml must be a YAML mapping");
  const meta = value as ChangeMeta;
  // YAML reads `created: 2025-01-01` as a string under the core schema; keep it a plain string.
  if (meta.created !== undefined) meta.created = String(meta.created);
  return meta;
}
