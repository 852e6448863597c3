/**
 * Pathological OpenSpec files (≈1 MiB each) aimed at the backtracking regexes the OpenSpec CLI
 * uses: long runs of whitespace that a `\s*…\s*` or `\s+(.+)$` pair can split in quadratically many
 * ways, a line terminator (U+2028) or stray character at the end so that every split has to be
 * tried. Shared by the parser regression test and `pnpm -F @specsync/bench bench:parsers`.
 */
export type AdversarialCase = {
  name: string;
  kind: "change" | "spec";
  files: Record<string, string>;
};

export const MiB = 1024 * 1024;
const proposal = "# Change: x\n\n## Why\nw\n\n## What Changes\n- x\n";
const delta = (section: string, line: string) => `## ${section} Requirements\n${line}\n`;

/**
 * Every case at about `size` characters (the CLI itself is quadratic on them: differential tests
 * use a few KB).
 */
export function adversarialCases(size = MiB): AdversarialCase[] {
  const pad = (prefix: string, suffix: string, fill = " ") =>
    prefix +
    fill.repeat(Math.max(0, Math.floor((size - prefix.length - suffix.length) / fill.length))) +
    suffix;
  return [
    {
      name: "task box opened, then spaces",
      kind: "change",
      files: { "proposal.md": proposal, "tasks.md": pad("- [", "") },
    },
    {
      name: "task box, spaces, mark, spaces, no close",
      kind: "change",
      files: { "proposal.md": proposal, "tasks.md": pad("- [ x", "(") },
    },
    {
      name: "task-file heading with inner spaces",
      kind: "change",
      files: { "proposal.md": proposal, "tasks.md": pad("# a", "b") },
    },
    {
      name: "long ordered-list number",
      kind: "change",
      files: { "proposal.md": proposal, "tasks.md": pad("", ". [ ] x", "1") },
    },
    {
      name: "requirement header, spaces, U+2028",
      kind: "change",
      files: {
        "proposal.md": proposal,
        "specs/a/spec.md": delta("ADDED", pad("### Requirement: a", "\u2028x")),
      },
    },
    {
      name: "heading, spaces, U+2028 at the end",
      kind: "spec",
      files: { "spec.md": pad("## ", "x\u2028") },
    },
    {
      name: "delta section heading, spaces, U+2028",
      kind: "change",
      files: { "proposal.md": proposal, "specs/a/spec.md": pad("## ", "x\u2028") },
    },
    {
      name: "REMOVED bullet, spaces, U+2028",
      kind: "change",
      files: {
        "proposal.md": proposal,
        "specs/a/spec.md": delta("REMOVED", pad("- `### Requirement: a", "\u2028x")),
      },
    },
    {
      name: "RENAMED line: leading spaces",
      kind: "change",
      files: { "proposal.md": proposal, "specs/a/spec.md": delta("RENAMED", pad("", "x")) },
    },
    {
      name: "requirement name: spaces between words (closing-# rule)",
      kind: "change",
      files: {
        "proposal.md": proposal,
        "specs/a/spec.md": delta("ADDED", pad("### Requirement: a", "b\nThe system SHALL x.")),
      },
    },
    {
      name: "What Changes bullet, spaces, U+2028",
      kind: "change",
      files: {
        "proposal.md": `# Change: x\n\n## Why\nw\n\n## What Changes\n${pad("- **a:** ", "x\u2028y")}`,
      },
    },
    {
      name: "title: '#', spaces, U+2028",
      kind: "change",
      files: { "proposal.md": pad("#", "\u2028") },
    },
    {
      name: "title: '# Change:', spaces, U+2028",
      kind: "change",
      files: { "proposal.md": pad("# Change:", "\u2028") },
    },
    {
      name: "fence opener, spaces, junk",
      kind: "spec",
      files: { "spec.md": `\`\`\`\n${pad("```", "x")}` },
    },
    {
      name: "metadata line without closing stars",
      kind: "spec",
      files: {
        "spec.md": `## Purpose\np\n## Requirements\n### Requirement: a\n${pad("**", "", "a")}`,
      },
    },
  ];
}

/** Whitespace the CLI's `\s` takes, one of each kind: ASCII, tab, CR, NBSP, U+2028, ideographic. */
const WHITESPACE = [" ", "\t", "\r", "\u00a0", "\u2028", "\u3000"];
/**
 * Task-file, proposal and delta-spec line kinds the CLI's validator reads with a regex, and their
 * file. A requirement name with a blank run *inside* it is not here: the CLI's closing-`#` rule is
 * quadratic on it and the name is in its messages, so it is left to the validation time limit.
 */
const VALIDATED_LINES: { file: string; head: string; prefix: string }[] = [
  { file: "tasks.md", head: "", prefix: "- [" },
  { file: "tasks.md", head: "", prefix: "- [ x" },
  { file: "tasks.md", head: "", prefix: "1. [" },
  { file: "tasks.md", head: "", prefix: "* [x" },
  { file: "tasks.md", head: "", prefix: "- " },
  { file: "tasks.md", head: "## 1. G\n", prefix: "- [ ] 1.1" },
  { file: "tasks.md", head: "", prefix: "##" },
  { file: "tasks.md", head: "", prefix: "```" },
  { file: "proposal.md", head: "## Why\nw\n\n## What Changes\n", prefix: "- **a:**" },
  { file: "proposal.md", head: "", prefix: "## Why" },
];

const REQ = "### Requirement: r\nThe system SHALL r.\n\n#### Scenario: s\n- **WHEN** a\n";
/** Header lines of delta and main specs, read by the CLI's validator (runs at the line's end). */
const HEADER_LINES: { file: string; head: string; prefix: string }[] = [
  { file: "specs/a/spec.md", head: "## ADDED Requirements\n", prefix: "### Requirement: a" },
  { file: "specs/a/spec.md", head: "## ADDED Requirements\n", prefix: "### Requirement: a ##" },
  { file: "specs/a/spec.md", head: "## ADDED Requirements\n", prefix: "###" },
  { file: "specs/a/spec.md", head: `## ADDED Requirements\n${REQ}`, prefix: "#### Scenario: t" },
  { file: "specs/a/spec.md", head: "", prefix: "## ADDED Requirements" },
  { file: "specs/a/spec.md", head: "## REMOVED Requirements\n", prefix: "### Requirement: a" },
  {
    file: "specs/a/spec.md",
    head: `## MODIFIED Requirements\n${REQ}`,
    prefix: "### Requirement: a",
  },
  { file: "specs/a/spec.md", head: "## Notes\n", prefix: "### Requirement: a" },
];

/**
 * What `openspec validate --strict` reads, at about `size` characters: every line kind above ×
 * every whitespace kind, the run closed by nothing or by a character that fails the match late.
 */
export function validatorCases(size = MiB): AdversarialCase[] {
  const cases: AdversarialCase[] = [];
  for (const line of VALIDATED_LINES)
    for (const ws of WHITESPACE)
      for (const end of ["", "x("]) {
        const fill = ws.repeat(Math.max(0, size - line.head.length - line.prefix.length - 2));
        // The line's own file replaces the default proposal when it is the proposal.
        const files = {
          "proposal.md": proposal,
          [line.file]: line.head + line.prefix + fill + end,
        };
        const name = `${line.file} '${line.prefix}' + U+${ws.charCodeAt(0).toString(16)}… + '${end}'`;
        cases.push({ name, kind: "change", files });
      }
  for (const line of HEADER_LINES)
    for (const ws of [" ", "\t", " \t"])
      for (const end of ["", "\r"]) {
        const fill = ws.repeat(
          Math.max(0, (size - line.head.length - line.prefix.length) / ws.length),
        );
        const name = `${line.file} '${line.prefix}' + ${JSON.stringify(ws)}… + ${JSON.stringify(end)}`;
        cases.push({
          name,
          kind: "change",
          files: { "proposal.md": proposal, [line.file]: line.head + line.prefix + fill + end },
        });
      }
  return cases;
}
