"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "~/lib/trpc";
import { useToast } from "~/components/ui/toaster";
import { useEffect, useState } from "react";

/** Keeps every open page fresh: each sync event invalidates the queries it can affect. */
export function LiveEvents() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [status, setStatus] = useState<string>("connecting");
  const sub = useSubscription(
    trpc.sync.events.subscriptionOptions(undefined, {
      onData: ({ data }) => {
        void queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.sync.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.projects.pathKey() });
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
  // Changes made between the server render and the stream's opening send no event to this page: once
  // connected, fetch again (a draft offered back must know the file changed since its base).
  useEffect(() => {
    if (sub.status !== "pending") return;
    void queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
  }, [sub.status, queryClient, trpc]);
  // With SPECSYNC_TOKEN the stream opens with a ticket valid a few minutes: once a dropped connection
  // outlives it, the stream errors. Start over, which fetches a fresh ticket (missed events are replayed).
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
