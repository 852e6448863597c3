import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generatedPool, type Pool, prng } from "./generated-workspace";
import { CORPUS_DIR } from "./workspace";

/** An entry of a non-empty pool (the generator's pools are constants; an empty one is a bug here). */
function pickOneOf<T>(xs: T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error("generate-workspace: pick from an empty pool");
  return x;
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** The corpus documents a pool takes, by kind (the same files `loadPool` reads). */
function corpusFiles(corpus: string) {
  const files = walk(corpus);
  return {
    proposals: files.filter((f) => f.endsWith("/proposal.md")),
    tasks: files.filter((f) => f.endsWith("/tasks.md")),
    designs: files.filter((f) => f.endsWith("/design.md")),
    deltas: files.filter((f) => /\/changes\/.*\/specs\/.*\/spec\.md$/.test(f)),
    specs: files.filter((f) => /\/specs\/[^/]+\/spec\.md$/.test(f) && !f.includes("/changes/")),
  };
}

/**
 * Documents to build workspaces from: this repository's generated ones (its own words, always
 * there), plus the real OpenSpec corpus when present (SPECSYNC_CORPUS), so sizes and shapes stay
 * realistic.
 */
export function loadPool(corpus = CORPUS_DIR): Pool {
  const pool = generatedPool(7, 60);
  const read = (f: string) => readFileSync(f, "utf8");
  const c = corpusFiles(corpus);
  pool.proposals.push(...c.proposals.map(read));
  pool.tasks.push(...c.tasks.map(read));
  pool.designs.push(...c.designs.map(read));
  pool.deltas.push(...c.deltas.map(read));
  pool.specs.push(...c.specs.map(read));
  return pool;
}

/** Which pool `loadPool(corpus)` builds: bench rows are comparable only between equal pools. */
export type PoolSource = { corpus: string | null; corpusDocuments: number; label: string };

export function poolSource(corpus = CORPUS_DIR): PoolSource {
  const n = Object.values(corpusFiles(corpus)).reduce((sum, xs) => sum + xs.length, 0);
  if (n === 0) {
    return { corpus: null, corpusDocuments: 0, label: `generated only (no corpus at ${corpus})` };
  }
  return { corpus, corpusDocuments: n, label: `generated + corpus (${n} documents, ${corpus})` };
}

export type GenerateOptions = {
  changes: number;
  archivedShare?: number;
  specs?: number;
  seed?: number;
};
export type Generated = {
  root: string;
  active: string[];
  archived: string[];
  specs: string[];
  bytes: number;
  files: number;
};

/**
 * Write a workspace with `changes` changes (a realistic share archived), their tasks, designs
 * (about half) and delta specs, plus main specs — deterministic from the seed.
 */
export function generateWorkspace(
  root: string,
  opts: GenerateOptions,
  pool = loadPool(),
): Generated {
  const rand = prng(opts.seed ?? 42);
  const pick = <T>(xs: T[]) => pickOneOf(xs, Math.floor(rand() * xs.length));
  const os = path.join(root, "openspec");
  mkdirSync(path.join(os, "changes", "archive"), { recursive: true });
  writeFileSync(path.join(os, "config.yaml"), "schema: spec-driven\n");
  const out: Generated = { root, active: [], archived: [], specs: [], bytes: 0, files: 0 };
  const write = (rel: string, content: string) => {
    const abs = path.join(os, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    out.bytes += Buffer.byteLength(content);
    out.files++;
  };
  const nSpecs = opts.specs ?? Math.max(5, Math.round(opts.changes / 30));
  const caps: string[] = [];
  for (let i = 0; i < nSpecs; i++) {
    const cap = i % 7 === 6 ? `area-${i % 5}/cap-${i}` : `cap-${i}`;
    caps.push(cap);
    write(`specs/${cap}/spec.md`, pick(pool.specs));
    out.specs.push(cap);
  }
  for (let i = 0; i < opts.changes; i++) {
    const name = `change-${String(i).padStart(5, "0")}-${pick(["add", "fix", "update", "remove", "refactor"])}`;
    const archived = rand() < (opts.archivedShare ?? 0.8);
    const day = `2025-${String(1 + Math.floor(rand() * 12)).padStart(2, "0")}-${String(1 + Math.floor(rand() * 28)).padStart(2, "0")}`;
    const dir = archived ? `changes/archive/${day}-${name}` : `changes/${name}`;
    write(
      `${dir}/proposal.md`,
      pick(pool.proposals).replace(/^# .*$/m, `# Change: ${name.replace(/-/g, " ")}`),
    );
    write(`${dir}/tasks.md`, pick(pool.tasks));
    if (rand() < 0.5 && pool.designs.length) write(`${dir}/design.md`, pick(pool.designs));
    write(`${dir}/.openspec.yaml`, `schema: spec-driven\ncreated: ${day}\n`);
    const nDeltas = 1 + Math.floor(rand() * 3);
    for (let d = 0; d < nDeltas; d++)
      write(`${dir}/specs/${pick(caps)}/spec.md`, pick(pool.deltas));
    (archived ? out.archived : out.active).push(archived ? dir : name);
  }
  return out;
}
