import { createHash } from "node:crypto";
import { matchTaskGroupHeading, matchTaskLine } from "./line-scan";

export type TaskItem = {
  /**
   * Stable across line moves: the task's own number (`1.2`) when unique, else a hash of its
   * text.
   */
  id: string;
  text: string;
  done: boolean;
  /** 1-based line number in the file. */
  line: number;
  /**
   * UTF-16 offset of the checkbox mark (or of the first space inside `[ ]`), for one-character
   * toggles.
   */
  markOffset: number;
  /** True when the box is `[]`: toggling inserts a character instead of replacing one. */
  emptyBox: boolean;
  /** The `## N. Group` heading the task sits under, if any. */
  group: string | null;
};

export type TaskSummary = { total: number; completed: number; percent: number };

export function parseTasks(content: string): TaskItem[] {
  const items: Omit<TaskItem, "id">[] = [];
  let group: string | null = null;
  let offset = 0;
  let lineNo = 0;
  // Split on \n only, like the CLI; a trailing \r stays on the line and is trimmed from the text.
  for (const line of content.split("\n")) {
    lineNo++;
    // OpenSpec 1.13's task rule (`- [ ]`, `* [x]`, `1. [ ]`, `2) [x]`, fences included), scanned in
    // linear time.
    const heading = matchTaskGroupHeading(line);
    if (heading !== null) group = heading;
    const m = matchTaskLine(line);
    if (m) {
      const open = m.open;
      const markIdx = m.mark ? m.markIndex : firstSpaceInside(line, open);
      items.push({
        text: m.text.trim(),
        done: (m.mark ?? "").toLowerCase() === "x",
        line: lineNo,
        markOffset: offset + (markIdx ?? open + 1),
        emptyBox: markIdx === null,
        group,
      });
    }
    offset += line.length + 1;
  }
  return assignIds(items);
}

function firstSpaceInside(line: string, open: number): number | null {
  const close = line.indexOf("]", open);
  for (let i = open + 1; i < close; i++) if (/\s/.test(line[i] ?? "")) return i;
  return null;
}

function assignIds(items: Omit<TaskItem, "id">[]): TaskItem[] {
  const numbered = items.map((t) => t.text.match(/^(\d+(?:\.\d+)*)\.?\s/)?.[1] ?? null);
  const counts = new Map<string, number>();
  for (const n of numbered) if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
  const seen = new Map<string, number>();
  return items.map((t, i) => {
    const n = numbered[i];
    if (n && counts.get(n) === 1) return { id: n, ...t };
    const h = `t${createHash("sha1").update(t.text).digest("hex").slice(0, 10)}`;
    const k = (seen.get(h) ?? 0) + 1;
    seen.set(h, k);
    return { id: k === 1 ? h : `${h}-${k}`, ...t };
  });
}

export function summarizeTasks(tasks: readonly TaskItem[]): TaskSummary {
  const completed = tasks.filter((t) => t.done).length;
  return {
    total: tasks.length,
    completed,
    percent: tasks.length === 0 ? 0 : Math.round((completed / tasks.length) * 10000) / 100,
  };
}

/**
 * Set one task's box; every other byte of the file is unchanged. Returns null if the task is
 * unknown.
 */
export function toggleTask(content: string, taskId: string, done: boolean): string | null {
  const task = parseTasks(content).find((t) => t.id === taskId);
  return task ? setTaskBox(content, task, done) : null;
}

/** Set the box of `task` (parsed from `content`); every other byte is unchanged. */
export function setTaskBox(content: string, task: TaskItem, done: boolean): string {
  if (task.done === done) return content;
  const at = task.markOffset;
  if (task.emptyBox) return done ? `${content.slice(0, at)}x${content.slice(at)}` : content;
  return content.slice(0, at) + (done ? "x" : " ") + content.slice(at + 1);
}
