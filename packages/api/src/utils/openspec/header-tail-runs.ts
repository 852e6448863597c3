/**
 * The OpenSpec CLI's validator reads a requirement or scenario name with
 * `name.replace(/[ \t]+#+[ \t]*$/, '')` (the ATX closing run), which restarts at every blank of
 * a run that no `#` follows: `### Requirement: a` + 20,000 trailing spaces took 3 s, 1 MiB would
 * take hours. Blanks at the end of a header line mean nothing to any of its rules (each one
 * trims them, or ends in `\s*$`), as long as a few remain for the rules that need one or two
 * (`^###\s+(.+?)\s*$` on `###` + blanks), so such runs are cut to `KEEP` characters: the same
 * matches, names, messages and line numbers, in linear time.
 */
const KEEP = 4;

/** Where the run of spaces and tabs that ends `line` (before a final CR) starts. */
function tailStart(line: string, end: number): number {
  let i = end;
  while (i > 0 && (line[i - 1] === " " || line[i - 1] === "\t")) i--;
  return i;
}

function shortenLine(line: string): string {
  if (!line.startsWith("#")) return line;
  const end = line.endsWith("\r") ? line.length - 1 : line.length;
  const start = tailStart(line, end);
  return end - start > KEEP ? line.slice(0, start + KEEP) + line.slice(end) : line;
}

/** Delta or main spec content with the blank runs that end its header lines shortened. */
export function shortenHeaderTails(content: string): string {
  if (!content.includes("#")) return content;
  return content.split("\n").map(shortenLine).join("\n");
}
