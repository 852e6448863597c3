"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "~/lib/trpc";
import { useToast } from "~/components/ui/toaster";
import { InlineMarkdown } from "~/components/inline-markdown";

type Task = { id: string; text: string; done: boolean; line: number; group: string | null };

/** Checkboxes that toggle one task (one byte on disk), optimistically, rolled back on error. */
export function TasksPanel({ specId, tasks, hash }: { specId: string; tasks: Task[]; hash: string | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const key = trpc.specs.get.queryKey({ id: specId });
  const toggle = useMutation(
    trpc.specs.toggleTask.mutationOptions({
      onMutate: async (vars) => {
        await queryClient.cancelQueries({ queryKey: key });
        const previous = queryClient.getQueryData(key);
        queryClient.setQueryData(key, (old) => (old ? { ...old, tasks: old.tasks.map((t) => (t.id === vars.taskId ? { ...t, done: vars.done } : t)) } : old));
        return { previous };
      },
      onError: (err, _vars, ctx) => {
        if (ctx?.previous) queryClient.setQueryData(key, ctx.previous);
        toast({ tone: "error", title: "Task not updated", body: err.message });
      },
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() }),
    }),
  );
  if (tasks.length === 0) return <p className="py-8 text-center text-sm text-zinc-500">No tasks in tasks.md.</p>;
  const groups: { name: string | null; tasks: Task[] }[] = [];
  for (const t of tasks) {
    const last = groups[groups.length - 1];
    if (last && last.name === t.group) last.tasks.push(t);
    else groups.push({ name: t.group, tasks: [t] });
  }
  return (
    <div className="space-y-4" data-testid="tasks-panel">
      {groups.map((g, i) => (
        <section key={i}>
          {g.name ? <h3 className="mb-1 text-sm font-semibold">{g.name}</h3> : null}
          <ul className="space-y-1">
            {g.tasks.map((t) => (
              <li key={t.id}>
                <label className="flex cursor-pointer items-start gap-2 rounded px-1 py-0.5 hover:bg-zinc-50 dark:hover:bg-zinc-800/50">
                  <input
                    type="checkbox"
                    className="mt-1 h-4 w-4 accent-indigo-600"
                    checked={t.done}
                    disabled={!hash}
                    data-testid={`task-${t.id}`}
                    onChange={(e) => hash && toggle.mutate({ id: specId, taskId: t.id, done: e.target.checked, baseHash: hash })}
                  />
                  <span className={t.done ? "text-zinc-500 line-through" : ""} data-testid="task-label"><InlineMarkdown text={t.text} /></span>
                </label>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
