/**
 * Task counts of a tasks.md over the content limit, as `openspec list` gives them: one pass over
 * the lines in chunks, nothing but the current line kept (the sync never parses such a file).
 */
import { closeSync, readSync } from "node:fs";
import { openConfined, relativeInside } from "../fs/safe-open";
import { matchTaskLine } from "./line-scan";

const CHUNK = 1024 * 1024;
/** Past this the file is not scanned (0 tasks, as before): a bound on the time a list takes. */
const SCAN_LIMIT = 64 * 1024 * 1024;

export type TaskCount = { total: number; completed: number };

/** Count the task lines of `abs` (inside `root`); null when it cannot be opened or is too big. */
export function countTasksInFile(root: string, abs: string): TaskCount | null {
  let fd: number;
  try {
    fd = openConfined(root, relativeInside(root, abs));
  } catch {
    return null;
  }
  try {
    // Not fatal: the CLI reads a bad byte as U+FFFD and counts the lines around it.
    const decoder = new TextDecoder("utf-8");
    const buf = Buffer.allocUnsafe(CHUNK);
    const count = { total: 0, completed: 0 };
    // The start of a line that spans chunks, in pieces: joined once, when the line ends.
    let open: string[] = [];
    for (let pos = 0, n = 1; n > 0; pos += n) {
      if (pos > SCAN_LIMIT) return null;
      n = readSync(fd, buf, 0, CHUNK, pos);
      const lines = decoder.decode(buf.subarray(0, n), { stream: n > 0 }).split("\n");
      const last = lines.pop() ?? "";
      if (lines.length) {
        lines[0] = open.join("") + lines[0];
        open = [];
      }
      for (const line of lines) countLine(line, count);
      open.push(last);
    }
    countLine(open.join(""), count);
    return count;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function countLine(line: string, count: TaskCount) {
  const m = matchTaskLine(line);
  if (!m) return;
  count.total++;
  if ((m.mark ?? "").toLowerCase() === "x") count.completed++;
}
