"use client";
import { newChangeNameSchema } from "@specsync/validators";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Button } from "~/components/ui/button";
import { Input, Select } from "~/components/ui/input";
import { useSingleFlight } from "~/components/use-single-flight";
import { specHref } from "~/lib/hrefs";
import { useTRPC } from "~/lib/trpc";

/**
 * "New change": a kebab-case name (checked as you type) and an optional goal; runs `openspec new
 * change`, then opens the proposal in the editor.
 */
export function NewChangeButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button size="sm" onClick={() => setOpen(true)} data-testid="new-change">
        <Plus className="h-4 w-4" aria-hidden /> New change
      </Button>
      {open ? <NewChangeDialog onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function NewChangeDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const [name, setName] = useState("");
  const [goal, setGoal] = useState("");
  const [projectId, setProjectId] = useState("");
  const create = useMutation(
    trpc.changes.create.mutationOptions({
      onSuccess: async (c) => {
        await queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
        onClose();
        router.push(
          specHref({ ...c, kind: "change", archived: false }, projects.data, "?edit=proposal.md"),
        );
      },
    }),
  );
  // Enter pressed again before React renders `isPending` submits the form again (an outside
  // tester saw 2–3 `openspec new change` runs, each extra one a failed row in history).
  const createOnce = useSingleFlight(create);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const check = name ? newChangeNameSchema.safeParse(name) : null;
  const nameError = check && !check.success ? check.error.issues[0]?.message : null;
  const submit = () => {
    if (!name || nameError) return;
    createOnce({
      name: name.trim(),
      goal: goal.trim() || undefined,
      projectId: projectId || undefined,
    });
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a backdrop click is a mouse shortcut; Escape closes for the keyboard
    <div
      className="fixed inset-0 z-50 flex items-start justify-center bg-black/40 p-4"
      onClick={(e) => e.target === e.currentTarget && onClose()}
    >
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby="new-change-title"
        className="mt-16 w-full max-w-md space-y-3 rounded-lg bg-white p-5 shadow-xl dark:bg-zinc-950"
        onSubmit={(e) => (e.preventDefault(), submit())}
        data-testid="new-change-dialog"
      >
        <h2 id="new-change-title" className="text-lg font-semibold">
          New change
        </h2>
        <label className="block text-sm">
          Name{" "}
          <span className="text-xs text-zinc-500 dark:text-zinc-400">
            (kebab-case, e.g. add-dark-mode)
          </span>
          <Input
            autoFocus
            className="mt-1 w-full font-mono"
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={!!nameError}
            aria-describedby="new-change-name-error"
            data-testid="new-change-name"
          />
        </label>
        {nameError ? (
          <p
            id="new-change-name-error"
            className="text-xs text-red-600 dark:text-red-400"
            data-testid="new-change-name-error"
          >
            {nameError}
          </p>
        ) : null}
        <label className="block text-sm">
          Goal <span className="text-xs text-zinc-500 dark:text-zinc-400">(optional)</span>
          <Input
            className="mt-1 w-full"
            value={goal}
            onChange={(e) => setGoal(e.target.value)}
            data-testid="new-change-goal"
          />
        </label>
        {projects.data && projects.data.length > 1 ? (
          <label className="block text-sm">
            Project
            <Select
              className="mt-1 block w-full"
              value={projectId}
              onChange={(e) => setProjectId(e.target.value)}
            >
              <option value="">{projects.data[0]?.name}</option>
              {projects.data.slice(1).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </Select>
          </label>
        ) : null}
        {create.error ? (
          <p
            role="alert"
            className="text-sm wrap-anywhere text-red-600 dark:text-red-400"
            data-testid="new-change-error"
          >
            {create.error.message}
          </p>
        ) : null}
        <div className="flex justify-end gap-2">
          <Button type="button" variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button
            type="submit"
            disabled={!name || !!nameError || create.isPending}
            data-testid="new-change-submit"
          >
            {create.isPending ? "Creating…" : "Create"}
          </Button>
        </div>
      </form>
    </div>
  );
}
