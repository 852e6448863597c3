/**
 * OpenSpec documents written by this repository, in its own words, deterministic from a seed: what
 * the tests and the benchmark use, so a fresh clone needs nothing from outside (the real corpus in
 * ../shared is used in addition when present). The documents cover the grammar's corners: CRLF,
 * BOM, code fences hiding headings and tasks, nested headings, numbered and indented tasks,
 * unicode, empty and missing files, every delta operation (ADDED/MODIFIED/REMOVED/RENAMED), nested
 * capability ids.
 */
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same documents. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Pool = {
  proposals: string[];
  tasks: string[];
  designs: string[];
  deltas: string[];
  specs: string[];
};

const NOUNS = [
  "session",
  "token",
  "invoice",
  "report",
  "webhook",
  "cache",
  "profile",
  "export",
  "search index",
  "audit log",
  "quota",
  "notification",
  "schedule",
  "upload",
  "workspace",
];
const VERBS = [
  "validate",
  "expire",
  "retry",
  "archive",
  "render",
  "throttle",
  "sign",
  "rotate",
  "merge",
  "paginate",
  "encrypt",
  "notify",
];
const ACTORS = [
  "an administrator",
  "a signed-in user",
  "the scheduler",
  "an API client",
  "a reviewer",
  "the billing service",
];
const UNICODE = ["Ünïcödé", "日本語の見出し", "emoji ✓ 🎉", "naïve café", "Ελληνικά", "עברית"];

function words(rand: () => number) {
  const pick = <T>(xs: readonly T[]): T => {
    const x = xs[Math.floor(rand() * xs.length)];
    if (x === undefined) throw new Error("generated-workspace: pick from an empty list");
    return x;
  };
  return {
    pick,
    noun: () => pick(NOUNS),
    verb: () => pick(VERBS),
    actor: () => pick(ACTORS),
    sentence: () =>
      `The system SHALL ${pick(VERBS)} the ${pick(NOUNS)} when ${pick(ACTORS)} asks for it.`,
    para: (n: number) =>
      Array.from(
        { length: n },
        () =>
          `${pick(ACTORS).charAt(0).toUpperCase()}${pick(ACTORS).slice(1)} needs to ${pick(VERBS)} each ${pick(NOUNS)} without losing data.`,
      ).join(" "),
  };
}

const eol = (text: string, crlf: boolean) => (crlf ? text.replace(/\n/g, "\r\n") : text);
const bom = (text: string, on: boolean) => (on ? `\uFEFF${text}` : text);

function scenario(w: ReturnType<typeof words>, i: number) {
  return `#### Scenario: ${w.verb()} case ${i}\n- **WHEN** ${w.actor()} submits a ${w.noun()}\n- **THEN** the ${w.noun()} is ${w.verb()}d\n- **AND** nothing else changes\n`;
}

function requirement(w: ReturnType<typeof words>, name: string, scenarios: number) {
  let out = `### Requirement: ${name}\n${w.sentence()}\n\n`;
  for (let i = 1; i <= scenarios; i++) out += `${scenario(w, i)}\n`;
  return out;
}

function proposal(w: ReturnType<typeof words>, rand: () => number, i: number) {
  const title = rand() < 0.1 ? w.pick(UNICODE) : `${w.verb()} ${w.noun()}s`;
  const fence =
    rand() < 0.2 ? "\n```md\n## What Changes\n- not a real section, it is fenced\n```\n" : "";
  const nested =
    rand() < 0.3
      ? `\n### Details\n${w.para(1)}\n\n#### Deeper\n- a nested heading stays inside its section\n`
      : "";
  const body = `# Change: ${title} (${i})\n\n## Why\n${w.para(2)}${fence}\n\n## What Changes\n- **${w.noun().replace(/ /g, "-")}:** ${w.verb()} the ${w.noun()}\n- ${w.para(1)}\n${nested}\n## Impact\n- Affected specs: ${w.noun()}\n- Affected code: \`src/${w.noun().replace(/ /g, "_")}.ts\`\n`;
  return bom(eol(body, rand() < 0.15), rand() < 0.1);
}

function tasks(w: ReturnType<typeof words>, rand: () => number) {
  const groups = 1 + Math.floor(rand() * 3);
  let out = "";
  for (let g = 1; g <= groups; g++) {
    out += `## ${g}. ${w.verb()} ${w.noun()}s\n`;
    const n = 1 + Math.floor(rand() * 6);
    for (let t = 1; t <= n; t++) {
      const done = rand() < 0.5 ? "x" : " ";
      const style = rand();
      if (style < 0.6) out += `- [${done}] ${g}.${t} ${w.verb()} the ${w.noun()}\n`;
      else if (style < 0.75) out += `${t}. [${done}] numbered: ${w.verb()} the ${w.noun()}\n`;
      else if (style < 0.9) out += `  * [${done}] indented star task\n`;
      else out += `- [${done.toUpperCase()}] upper-case mark\n`;
    }
    if (rand() < 0.2) out += "```\n- [ ] a task inside a fence still counts for the CLI\n```\n";
    out += "\n";
  }
  return eol(out, rand() < 0.15);
}

function delta(w: ReturnType<typeof words>, rand: () => number) {
  let out = "";
  if (rand() < 0.8)
    out += `## ADDED Requirements\n${requirement(w, `${w.verb()} ${w.noun()}`, 1 + Math.floor(rand() * 3))}`;
  if (rand() < 0.4) out += `## MODIFIED Requirements\n${requirement(w, `Existing ${w.noun()}`, 1)}`;
  if (rand() < 0.3)
    out += `## REMOVED Requirements\n### Requirement: Legacy ${w.noun()}\n**Reason**: replaced\n**Migration**: none\n\n`;
  if (rand() < 0.2)
    out += `## RENAMED Requirements\n- FROM: \`### Requirement: Old ${w.noun()}\`\n- TO: \`### Requirement: New ${w.noun()}\`\n`;
  if (!out) out = `## ADDED Requirements\n${requirement(w, "Fallback", 1)}`;
  return eol(out, rand() < 0.1);
}

function mainSpec(w: ReturnType<typeof words>, rand: () => number, id: string) {
  let out = `# ${id} Specification\n\n## Purpose\n${w.para(2)}\n\n## Requirements\n`;
  const n = 1 + Math.floor(rand() * 6);
  for (let r = 0; r < n; r++)
    out += requirement(w, `${w.verb()} ${w.noun()} ${r}`, Math.floor(rand() * 3));
  if (rand() < 0.2) out += "```\n### Requirement: inside a fence, not a requirement\n```\n";
  return bom(eol(out, rand() < 0.1), rand() < 0.05);
}

function design(w: ReturnType<typeof words>) {
  return `## Context\n${w.para(2)}\n\n## Decisions\n- ${w.para(1)}\n\n## Risks / Trade-offs\n- ${w.para(1)}\n`;
}

/** A pool of generated documents, the same for the same seed. */
export function generatedPool(seed = 7, size = 40): Pool {
  const rand = prng(seed);
  const w = words(rand);
  const pool: Pool = { proposals: [], tasks: [], designs: [], deltas: [], specs: [] };
  for (let i = 0; i < size; i++) {
    pool.proposals.push(proposal(w, rand, i));
    pool.tasks.push(tasks(w, rand));
    pool.designs.push(design(w));
    pool.deltas.push(delta(w, rand));
    pool.specs.push(mainSpec(w, rand, `capability-${i}`));
  }
  return pool;
}

/** Write files under `<root>/openspec/`, creating folders. */
function write(root: string, files: Record<string, string>) {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, "openspec", rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

/**
 * A small workspace of hard cases for the differential tests: each entry is a corner of the grammar
 * or of the folder layout where a port of the CLI can go wrong. Times are set explicitly where the
 * list order depends on them (ties included: equal times keep directory order in the CLI).
 */
export function writeHardCases(root: string) {
  const b = "\uFEFF";
  write(root, {
    "config.yaml": "schema: spec-driven\n",
    "changes/crlf-change/proposal.md":
      "# Change: CRLF title\r\n\r\n## Why\r\nWindows line endings.\r\n\r\n## What Changes\r\n- stuff\r\n",
    "changes/crlf-change/tasks.md": "## 1. Group\r\n- [x] 1.1 done\r\n- [ ] 1.2 open\r\n",
    "changes/crlf-change/specs/cli/init/spec.md":
      "## ADDED Requirements\r\n### Requirement: Nested\r\nThe system SHALL nest.\r\n\r\n#### Scenario: nested\r\n- **WHEN** x\r\n- **THEN** y\r\n",
    "changes/bom-change/proposal.md": `${b}# Proposal\n\n## Why\nBOM first.\n\n## What Changes\n- **demo:** Add a new thing\n- **other:** Remove an old thing\n`,
    "changes/bom-change/tasks.md": `${b}- [X] upper X\n  * [ ] indented star\n+ [x] plus\n1. [ ] numbered\n2) [x] paren\n- [] empty box\n- [-] dash\n- [ x ] spaced\n`,
    "changes/fences/proposal.md":
      "# Change: Fences\n\n## Why\nReal why.\n\n```md\n## What Changes\nfake inside fence\n```\n\n## What Changes\n- real\n\n~~~\n# Not a title\n~~~\n",
    "changes/fences/tasks.md":
      "```\n- [ ] task in a fence still counts\n```\n<!-- - [x] task in a comment counts too -->\n",
    "changes/fences/specs/demo/spec.md":
      "## MODIFIED Requirements\n### Requirement: Demo\nThe system SHALL demo.\n\n```\n### Requirement: Fake in fence\n```\n\n#### Scenario: ok\n- **WHEN** a\n- **THEN** b\n\n## REMOVED Requirements\n- `### Requirement: Old one`\n### Requirement: Older one\n**Reason**: gone\n\n## RENAMED Requirements\n- FROM: `### Requirement: Before`\n- TO: `### Requirement: After`\n",
    "changes/all-ops/proposal.md":
      "# Change: Every delta operation\n\n## Why\nCover ADDED, MODIFIED, REMOVED and RENAMED in one change.\n\n## What Changes\n- everything\n",
    "changes/all-ops/specs/area/sub-cap/spec.md":
      "## ADDED Requirements\n### Requirement: Added one\nThe system SHALL add.\n\n#### Scenario: a\n- **WHEN** a\n- **THEN** b\n\n### Requirement: Added two\nThe system SHALL add again.\n\n## MODIFIED Requirements\n### Requirement: Changed\nThe system SHALL change.\n\n#### Scenario: c\n- **WHEN** c\n\n## REMOVED Requirements\n### Requirement: Gone\n**Reason**: obsolete\n\n## RENAMED Requirements\n- FROM: `### Requirement: Alpha`\n- TO: `### Requirement: Beta`\n",
    "changes/all-ops/tasks.md": "## 1. Numbered\n1. [x] first\n2. [x] second\n10. [x] tenth\n",
    "changes/no-proposal/tasks.md": "- [ ] orphan task\n",
    "changes/no-tasks/proposal.md":
      "# Change: No tasks\n\n## Why\nWhy not.\n\n## What Changes\n- nothing\n",
    "changes/empty-files/proposal.md": "",
    "changes/empty-files/tasks.md": "",
    "changes/unicode-ünï/proposal.md":
      "# Change: Ünïcödé ✓ 日本語\n\n## Why\nÉmojis 🎉 and CJK 漢字.\n\n## What Changes\n- ✓ works\n",
    "changes/unicode-ünï/tasks.md": "- [x] ✓ 完了\n- [ ] 🎉 pending\n",
    "changes/missing-why/proposal.md": "# Change: Missing why\n\n## What Changes\n- x\n",
    "changes/untracked-newest/proposal.md":
      "# Change: Untracked file is newest\n\n## Why\nlastModified counts every file.\n\n## What Changes\n- x\n",
    "changes/untracked-newest/notes/scratch.txt":
      "an untracked file, newer than the tracked ones\n",
    "changes/only-untracked/README.txt": "no tracked file at all\n",
    "changes/group/mobile/proposal.md":
      "# Change: Nested\n\n## Why\nNested folders are not changes.\n\n## What Changes\n- x\n",
    "changes/group/web/deep/specs/demo/spec.md":
      "## ADDED Requirements\n### Requirement: Deep\nThe system SHALL be deep.\n",
    "changes/cli-tools/proposal.md":
      "# Change: Same name as a spec\n\n## Why\nAmbiguous without --type.\n\n## What Changes\n- x\n",
    "changes/Zeta-upper/proposal.md":
      "# Change: Upper case sorts first by code unit\n\n## Why\nOrder.\n\n## What Changes\n- x\n",
    "changes/archive/2025-01-01-old-change/proposal.md":
      "# Change: Old\n\n## Why\nold\n\n## What Changes\n- old\n",
    "changes/archive/2025-02-03-old-two/tasks.md": "- [x] done\n",
    "specs/demo/spec.md":
      "# demo\n\n## Purpose\nDemo purpose.\n\n## Requirements\n### Requirement: Demo\nThe system SHALL demo.\n\n#### Scenario: ok\n- **WHEN** a\n- **THEN** b\n\n#### Scenario: empty\n\n### Requirement: Second\n**ID**: R2\n\n#### Scenario: s\nbody\n",
    "specs/cli/init/spec.md":
      "# cli/init\r\n\r\n## Purpose\r\nNested capability.\r\n\r\n## Requirements\r\n### Requirement: Init\r\nThe command SHALL init.\r\n",
    "specs/cli-tools/spec.md":
      "# cli-tools\n\n## Purpose\nSorts between cli and cli/init depending on the comparison.\n\n## Requirements\n### Requirement: Tools\nThe system SHALL tool.\n",
    "specs/Beta/spec.md": `${b}# Beta\n\n## Purpose\nCapital letters: localeCompare puts this after alpha, code units before.\n\n## Requirements\n### Requirement: B\nThe system SHALL b.\n`,
    "specs/alpha/spec.md": "# alpha\n\n## Purpose\nLower case.\n\n## Requirements\n",
    "specs/no-purpose/spec.md":
      "# no purpose\n\n## Requirements\n### Requirement: X\nThe system SHALL x.\n",
    "specs/empty/spec.md": "",
    "specs/.hidden/spec.md": "# hidden\n",
  });
  // A symlink to a change folder: not a change for the CLI (it lists real directories only).
  symlinkSync("fences", path.join(root, "openspec/changes/link-to-fences"));
  // An empty change folder: lastModified is the folder's own mtime.
  mkdirSync(path.join(root, "openspec/changes/empty-folder"), { recursive: true });
  // Times: a tie between two changes (directory order decides), an untracked file newest, a
  // fractional millisecond that Node rounds up (stat.mtime) where truncating would print 1 ms
  // early.
  const at = (rel: string, iso: string, fracMs = 0) => {
    const t = (Date.parse(iso) + fracMs) / 1000;
    utimesSync(path.join(root, "openspec", rel), t, t);
  };
  at("changes/no-tasks/proposal.md", "2026-01-05T10:00:00.000Z");
  at("changes/missing-why/proposal.md", "2026-01-05T10:00:00.000Z");
  at("changes/untracked-newest/proposal.md", "2026-01-01T00:00:00.000Z");
  at("changes/untracked-newest/notes/scratch.txt", "2026-01-09T00:00:00.000Z", 0.75);
  at("changes/fences/tasks.md", "2026-01-07T00:00:00.000Z", 0.6);
}
