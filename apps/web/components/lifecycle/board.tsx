"use client";
import {
  type LifecycleStatus,
  PICKABLE_STATUSES,
  type PickableStatus,
  PRIORITIES,
  type Priority,
} from "@specsync/validators";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { StageBadge, ValidationBadge } from "~/components/lifecycle/stage-badges";
import { PriorityBadge } from "~/components/spec-badges";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { Select } from "~/components/ui/input";
import { Progress } from "~/components/ui/progress";
import { useToast } from "~/components/ui/toaster";
import { useSpecHref } from "~/components/use-spec-href";
import { useTRPC } from "~/lib/trpc";
import { cn, STATUS_LABEL } from "~/lib/utils";
import { BOARD_INPUT } from "~/lib/view-input";

const COLUMNS = PICKABLE_STATUSES;

/**
 * Active changes by status. Cards move by drag and drop, or from the keyboard (focus a card,
 * Shift+←/→); Space or the checkbox selects several for a bulk status or priority change. Every
 * move is in history.
 */
export function Board() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const hrefOf = useSpecHref();
  // The same input as the server's prefetch, so the first render is the hydrated board.
  const list = useQuery(trpc.specs.list.queryOptions(BOARD_INPUT));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dragOver, setDragOver] = useState<PickableStatus | null>(null);
  const [announce, setAnnounce] = useState("");
  const [bulkStatus, setBulkStatus] = useState("");
  const [bulkPriority, setBulkPriority] = useState("");
  const bulk = useMutation(
    trpc.changes.bulkUpdate.mutationOptions({
      onSuccess: (r, input) => {
        const what = [
          input.status ? `status ${STATUS_LABEL[input.status]}` : "",
          input.priority ? `priority ${input.priority}` : "",
        ]
          .filter(Boolean)
          .join(", ");
        setAnnounce(`${r.updated} changed to ${what}`);
        if (r.failed.length)
          toast({
            tone: "error",
            title: `${r.failed.length} not changed`,
            body: r.failed.map((f) => f.error).join("\n"),
          });
      },
      onError: (err) => toast({ tone: "error", title: "Not changed", body: err.message }),
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() }),
    }),
  );
  const items = list.data?.items ?? [];
  /**
   * The card last moved from the keyboard: it is re-rendered in its new column only when the
   * move has landed and the list is refetched, which drops the focus to <body>; it gets it back
   * then, so Shift+←/→ can be pressed again.
   */
  const refocus = useRef<string | null>(null);
  useEffect(() => {
    if (!list.data || !refocus.current) return;
    const card = document.querySelector<HTMLElement>(`[data-card-id="${refocus.current}"]`);
    const active = document.activeElement;
    if (card && active !== card && (!active || active === document.body)) card.focus();
  }, [list.data]);
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  /** The card itself, or every selected card when it is one of them. */
  const movingWith = (id: string) => (selected.has(id) ? [...selected] : [id]);
  const move = (ids: string[], status: PickableStatus) => {
    const changed = ids.filter((id) => items.find((i) => i.id === id)?.status !== status);
    if (changed.length) bulk.mutate({ ids: changed, status });
  };
  const onKey = (e: React.KeyboardEvent, id: string, status: LifecycleStatus) => {
    if (e.target !== e.currentTarget) return;
    if (e.key === " ") {
      e.preventDefault();
      toggle(id);
    } else if (e.shiftKey && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
      e.preventDefault();
      const to =
        COLUMNS[COLUMNS.indexOf(status as PickableStatus) + (e.key === "ArrowRight" ? 1 : -1)];
      if (to) move(movingWith(id), to);
      refocus.current = id;
      // Keep the focus on the card once it has moved to its new column.
      requestAnimationFrame(() =>
        document.querySelector<HTMLElement>(`[data-card-id="${id}"]`)?.focus(),
      );
    } else if (e.key === "Escape") setSelected(new Set());
  };

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <h1 className="text-2xl font-semibold">Board</h1>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          Drag cards between columns, or focus a card and press Shift+← / Shift+→. Space selects.
        </p>
      </div>
      <p aria-live="polite" className="sr-only" data-testid="board-announce">
        {announce}
      </p>
      {selected.size ? (
        <Card
          className="sticky top-16 z-30 flex flex-wrap items-center gap-2 p-2 text-sm"
          data-testid="bulk-bar"
        >
          <strong>{selected.size} selected</strong>
          <Select
            aria-label="Set status of selected"
            value={bulkStatus}
            onChange={(e) => setBulkStatus(e.target.value)}
            data-testid="bulk-status"
          >
            <option value="">Status…</option>
            {COLUMNS.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </Select>
          <Select
            aria-label="Set priority of selected"
            value={bulkPriority}
            onChange={(e) => setBulkPriority(e.target.value)}
            data-testid="bulk-priority"
          >
            <option value="">Priority…</option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </Select>
          <Button
            size="sm"
            disabled={(!bulkStatus && !bulkPriority) || bulk.isPending}
            data-testid="bulk-apply"
            onClick={() =>
              bulk.mutate(
                {
                  ids: [...selected],
                  status: (bulkStatus || undefined) as PickableStatus | undefined,
                  priority: (bulkPriority || undefined) as Priority | undefined,
                },
                {
                  onSuccess: () => (setSelected(new Set()), setBulkStatus(""), setBulkPriority("")),
                },
              )
            }
          >
            Apply
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setSelected(new Set())}>
            Clear
          </Button>
        </Card>
      ) : null}
      {list.isPending ? <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading…</p> : null}
      <div className="grid gap-3 md:grid-cols-3 xl:grid-cols-6">
        {COLUMNS.map((status) => {
          const cards = items.filter((i) => i.status === status);
          return (
            <section
              key={status}
              aria-label={STATUS_LABEL[status]}
              data-testid={`column-${status}`}
              onDragOver={(e) => (e.preventDefault(), setDragOver(status))}
              onDragLeave={() => setDragOver((s) => (s === status ? null : s))}
              onDrop={(e) => {
                e.preventDefault();
                setDragOver(null);
                const ids = (e.dataTransfer.getData("application/x-specsync-ids") || "")
                  .split(",")
                  .filter(Boolean);
                if (ids.length) move(ids, status);
              }}
              className={cn(
                "min-w-0 rounded-lg bg-zinc-100 p-2 dark:bg-zinc-900/60",
                dragOver === status && "ring-2 ring-indigo-400",
              )}
            >
              <h2 className="mb-2 flex justify-between px-1 text-xs font-semibold text-zinc-600 dark:text-zinc-400 uppercase">
                {STATUS_LABEL[status]} <span>{cards.length}</span>
              </h2>
              <ul className="space-y-2">
                {cards.map((c) => (
                  // biome-ignore lint/a11y/useAriaPropsSupportedByRole: the card's selection, also in its label
                  <li
                    key={c.id}
                    // biome-ignore lint/a11y/noNoninteractiveTabindex: a card is focused to move and select it with the keyboard (onKey)
                    tabIndex={0}
                    draggable
                    aria-selected={selected.has(c.id)}
                    aria-label={`${c.title}, ${STATUS_LABEL[c.status]}${selected.has(c.id) ? ", selected" : ""}`}
                    data-card-id={c.id}
                    data-testid="board-card"
                    data-name={c.name}
                    onDragStart={(e) => {
                      e.dataTransfer.setData(
                        "application/x-specsync-ids",
                        movingWith(c.id).join(","),
                      );
                      e.dataTransfer.effectAllowed = "move";
                    }}
                    onKeyDown={(e) => onKey(e, c.id, c.status)}
                    className={cn(
                      "rounded-lg outline-none focus-visible:ring-2 focus-visible:ring-indigo-500",
                      selected.has(c.id) && "ring-2 ring-indigo-500",
                    )}
                  >
                    <Card className="min-w-0 space-y-2 p-2.5 text-sm">
                      <div className="flex items-start gap-2">
                        <input
                          type="checkbox"
                          className="mt-1"
                          checked={selected.has(c.id)}
                          onChange={() => toggle(c.id)}
                          aria-label={`Select ${c.title}`}
                          tabIndex={-1}
                          data-testid="card-select"
                        />
                        <Link
                          href={hrefOf(c)}
                          className="min-w-0 font-medium break-words hover:underline"
                          draggable={false}
                        >
                          {c.title}
                        </Link>
                      </div>
                      <div className="flex flex-wrap items-center gap-1">
                        <StageBadge {...c} />
                        <ValidationBadge errors={c.validationErrors} />
                      </div>
                      {/* Wraps in a narrow column: the progress label never spills out of its card. */}
                      <div className="flex min-w-0 flex-wrap items-center justify-between gap-x-2 gap-y-1">
                        <PriorityBadge priority={c.priority} />
                        {c.tasksTotal ? (
                          <Progress
                            value={c.completion}
                            label={`${c.tasksCompleted}/${c.tasksTotal}`}
                          />
                        ) : null}
                      </div>
                    </Card>
                  </li>
                ))}
                {cards.length === 0 ? (
                  <li className="px-1 py-4 text-center text-xs text-zinc-600 dark:text-zinc-400">
                    Empty
                  </li>
                ) : null}
              </ul>
            </section>
          );
        })}
      </div>
    </div>
  );
}
