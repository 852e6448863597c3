import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The real OpenSpec corpus in shared/ (read-only; tests copy it). */
export const CORPUS_DIR =
  process.env.SPECSYNC_CORPUS ??
  path.resolve(fileURLToPath(import.meta.url), "../../../../../shared/corpora/openspec-repo");

/**
 * Whether the real corpus is there. Suites that need it skip with a note when it is absent (a fresh
 * clone has no ../shared); in CI (CI=true) its absence is a failure, so a misconfigured CI cannot
 * pass by skipping.
 */
export function corpusAvailable(): boolean {
  if (existsSync(path.join(CORPUS_DIR, "changes"))) return true;
  if (process.env.CI)
    throw new Error(
      `the real OpenSpec corpus is missing at ${CORPUS_DIR} and CI must test against it (set SPECSYNC_CORPUS)`,
    );
  console.warn(
    `\n⚠ no real OpenSpec corpus at ${CORPUS_DIR} (SPECSYNC_CORPUS): the tests on it are SKIPPED; generated workspaces still run\n`,
  );
  return false;
}

const made: string[] = [];

/** A temp repository root with an `openspec/` folder (empty, or a copy of the corpus). */
export function tempRepo(opts: { corpus?: boolean } = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), "specsync-"));
  made.push(root);
  const openspec = path.join(root, "openspec");
  if (opts.corpus) {
    cpSync(CORPUS_DIR, openspec, { recursive: true });
    chmodRecursive(openspec);
  } else {
    mkdirSync(path.join(openspec, "changes", "archive"), { recursive: true });
    mkdirSync(path.join(openspec, "specs"), { recursive: true });
    writeFileSync(path.join(openspec, "config.yaml"), "schema: spec-driven\n");
  }
  return root;
}

function chmodRecursive(dir: string) {
  // The corpus is read-only on disk; the copy must be writable.
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chmodRecursive(p);
    else chmodSync(p, 0o644);
  }
}

export function cleanupTempRepos() {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Write files under `<root>/openspec/`, creating folders. */
export function writeTree(root: string, files: Record<string, string | Buffer>) {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, "openspec", rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

export const PROPOSAL = (title: string, extra = "") => `# Change: ${title}

## Why
Because it matters.

## What Changes
- Something changes.
${extra}
## Impact
- Affected specs: demo
`;

export const TASKS = `## 1. Build
- [ ] 1.1 First task
- [x] 1.2 Second task
- [ ] 1.3 Third task
`;

export const DELTA = `## ADDED Requirements
### Requirement: Demo behaviour
The system SHALL demo.

#### Scenario: Demo works
- **WHEN** a user demos
- **THEN** it works
`;

export const MAIN_SPEC = `# demo Specification

## Purpose
Demonstrates things.

## Requirements
### Requirement: Demo behaviour
The system SHALL demo.

#### Scenario: Demo works
- **WHEN** a user demos
- **THEN** it works
`;

/** A complete active change folder. */
export function changeFiles(name: string, title = name): Record<string, string> {
  return {
    [`changes/${name}/proposal.md`]: PROPOSAL(title),
    [`changes/${name}/tasks.md`]: TASKS,
    [`changes/${name}/specs/demo/spec.md`]: DELTA,
    [`changes/${name}/.openspec.yaml`]: "schema: spec-driven\ncreated: 2026-01-02\n",
  };
}
