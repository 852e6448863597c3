"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useState } from "react";
import { useToast } from "~/components/ui/toaster";
import { useTRPC } from "~/lib/trpc";

/** Keeps every open page fresh: each sync event invalidates the queries it can affect. */
export function LiveEvents() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [status, setStatus] = useState<string>("connecting");
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.sync.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.changes.summary.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.agents.pathKey() });
  };
  const sub = useSubscription(
    trpc.sync.events.subscriptionOptions(undefined, {
      onData: ({ data }) => {
        refresh();
        if (data.type === "conflict_detected") {
          toast({
            tone: "warn",
            title: `Conflict on ${data.name ?? "a change"}: the file on disk won`,
            body: "Your database edit was not lost — it is kept in history and can be restored.",
            href: data.specId ? `/changes/${data.specId}?tab=history` : undefined,
          });
        }
      },
    }),
  );
  useEffect(() => setStatus(sub.status), [sub.status]);
  // Once the stream is open, refetch what is shown: the page's data may have been fetched (by the
  // server render, or before a dropped connection) before a change whose event was sent while no
  // stream listened.
  // biome-ignore lint/correctness/useExhaustiveDependencies: on the stream state only (see above)
  useEffect(() => {
    if (sub.status === "pending") refresh();
  }, [sub.status]);
  // With SPECSYNC_TOKEN the stream opens with a ticket valid a few minutes: once a dropped
  // connection outlives it, the stream errors. Start over, which fetches a fresh ticket (missed
  // events are replayed).
  const { reset } = sub;
  useEffect(() => {
    if (sub.status !== "error") return;
    const timer = setTimeout(reset, 2000);
    return () => clearTimeout(timer);
  }, [sub.status, reset]);
  return (
    <span className="sr-only" data-testid="live-status" data-status={status}>
      live updates: {status}
    </span>
  );
}
