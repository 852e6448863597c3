"use client";
import { useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useEffect, useRef, useState } from "react";
import { InlineMarkdown } from "~/components/inline-markdown";
import { useToast } from "~/components/ui/toaster";
import { useTRPC, useTRPCClient } from "~/lib/trpc";

type Task = { id: string; text: string; done: boolean; line: number; group: string | null };

/**
 * Checkboxes that toggle one task (one byte on disk). Clicks are queued and sent one after another,
 * each an operation on its task (the server applies it while that task's line is unchanged), so
 * fast clicks are neither lost nor refused; the boxes show the clicked state until the queue has
 * drained.
 */
export function TasksPanel({
  specId,
  tasks,
  hash,
}: {
  specId: string;
  tasks: Task[];
  hash: string | undefined;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [pending, setPending] = useState<Record<string, boolean>>({});
  const queue = useRef<Promise<void>>(Promise.resolve());
  const inFlight = useRef(0);
  /** Clicks saved in the database whose write to tasks.md failed: one message for the lot. */
  const diskPending = useRef(new Set<string>());
  // The newest version known: the previous click's result, or what the page loaded when idle.
  const latest = useRef(hash);
  useEffect(() => {
    if (inFlight.current === 0) latest.current = hash;
  }, [hash]);

  // What the person asked for last, per task, while clicks are queued. A click flips this, not the
  // checkbox's DOM state: two clicks landing before React has re-rendered the first would both
  // read the old DOM state and ask for the same thing (a double click that unticks and stays so).
  const wanted = useRef<Record<string, boolean>>({});
  // Renders are numbered by the drains they have seen. A click handled by a render from before the
  // last drain holds a `task` from before the refetch (React had not committed the new data yet),
  // so it must build on `wanted`, not on that stale `task.done`; a render after it knows better.
  const [drainsSeen, setDrainsSeen] = useState(0);
  const drains = useRef(0);

  const click = (task: Task, seen: number) => {
    if (inFlight.current === 0 && seen === drains.current) wanted.current = {};
    const done = !(wanted.current[task.id] ?? task.done);
    wanted.current[task.id] = done;
    setPending((p) => ({ ...p, [task.id]: done }));
    inFlight.current++;
    queue.current = queue.current.then(async () => {
      try {
        if (!latest.current) throw new Error("this change has no tasks.md");
        const r = await client.specs.toggleTask.mutate({
          id: specId,
          taskId: task.id,
          done,
          baseHash: latest.current,
        });
        latest.current = r.hash;
      } catch (err) {
        const details =
          err instanceof TRPCClientError
            ? ((
                err.data as
                  | { details?: { kept?: boolean; currentHash?: string | null } | null }
                  | undefined
              )?.details ?? null)
            : null;
        if (details?.kept) {
          // Saved in the database; only writing tasks.md failed (a read-only file or folder). The
          // click stands: later clicks build on it (not a conflict with ourselves), and the message
          // says so.
          if (details.currentHash) latest.current = details.currentHash;
          diskPending.current.add(task.id);
          return;
        }
        if (wanted.current[task.id] === done) delete wanted.current[task.id];
        setPending((p) => {
          if (p[task.id] !== done) return p;
          const { [task.id]: _dropped, ...rest } = p;
          return rest;
        });
        toast({
          tone: "error",
          title: `Task ${task.id} not updated`,
          body: (err as Error).message,
        });
      } finally {
        if (--inFlight.current === 0) {
          if (diskPending.current.size > 0) {
            const ids = [...diskPending.current].join(", ");
            diskPending.current.clear();
            toast({
              tone: "warn",
              title: `Task ${ids} saved; will be written to disk when possible`,
              body: "tasks.md cannot be written right now (read-only?). The change is kept in the database and written to the file once it can be (sync this change to retry).",
            });
          }
          await queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
          if (inFlight.current === 0) {
            drains.current++;
            setDrainsSeen(drains.current);
            setPending({});
          }
        }
      }
    });
  };

  if (tasks.length === 0)
    return (
      <p className="py-8 text-center text-sm text-zinc-500 dark:text-zinc-400">
        No tasks in tasks.md.
      </p>
    );
  const groups: { name: string | null; tasks: Task[] }[] = [];
  for (const t of tasks) {
    const last = groups[groups.length - 1];
    if (last && last.name === t.group) last.tasks.push(t);
    else groups.push({ name: t.group, tasks: [t] });
  }
  const saving = Object.keys(pending).length > 0;
  return (
    <div className="space-y-4" data-testid="tasks-panel" data-saving={saving ? "true" : "false"}>
      {groups.map((g, i) => (
        <section
          // biome-ignore lint/suspicious/noArrayIndexKey: groups have no id; the list is parsed anew from tasks.md
          key={i}
        >
          {g.name ? <h3 className="mb-1 text-sm font-semibold">{g.name}</h3> : null}
          <ul className="space-y-1">
            {g.tasks.map((t) => {
              const done = pending[t.id] ?? t.done;
              return (
                <li key={t.id}>
                  <label className="flex cursor-pointer items-start gap-2 rounded px-1 py-0.5 hover:bg-zinc-50 dark:hover:bg-zinc-800/50">
                    <input
                      type="checkbox"
                      className="mt-1 h-4 w-4 accent-indigo-600"
                      checked={done}
                      disabled={!hash}
                      data-testid={`task-${t.id}`}
                      onChange={() => click(t, drainsSeen)}
                    />
                    <span
                      className={`min-w-0 [overflow-wrap:anywhere] ${done ? "text-zinc-600 dark:text-zinc-400 line-through" : ""}`}
                      data-testid="task-label"
                    >
                      <InlineMarkdown text={t.text} />
                    </span>
                  </label>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
      {saving ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400" role="status">
          Saving…
        </p>
      ) : null}
    </div>
  );
}
