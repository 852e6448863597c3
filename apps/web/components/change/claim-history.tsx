"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Badge, type Tone } from "~/components/ui/badge";
import { BareButton } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { LocalTime, RelativeTime } from "~/components/ui/time";
import { useTRPC } from "~/lib/trpc";

const PAGE = 50;
/** The API's bound on one answer (claimHistoryInputSchema). */
const MAX = 500;
const TONE: Record<string, Tone> = {
  claimed: "violet",
  renewed: "blue",
  released: "green",
  expired: "amber",
  archived: "gray",
};

/**
 * Who claimed, renewed, released, lost (expiry) or had archived this change, newest first. Live
 * like the rest of the page: sync events refetch every `agents` query. Heartbeats publish no
 * event (each would refetch every open page), so renewals also arrive on a slow poll.
 */
export function ClaimHistory({ id }: { id: string }) {
  const trpc = useTRPC();
  const [limit, setLimit] = useState(PAGE);
  const history = useQuery(
    trpc.agents.claimHistory.queryOptions(
      { id, limit },
      { refetchInterval: 60_000, placeholderData: keepPreviousData },
    ),
  );
  const data = history.data;
  if (!data?.total) return null;
  const hidden = data.total - data.events.length;
  return (
    <Card className="min-w-0 p-0 text-sm" data-testid="claim-history">
      <details open className="group">
        <summary className="cursor-pointer rounded-lg px-4 py-2 text-xs font-medium text-zinc-500 uppercase dark:text-zinc-400">
          <h2 className="inline">Claim history</h2>{" "}
          <span className="font-normal normal-case" data-testid="claim-history-count">
            ({data.total} {data.total === 1 ? "event" : "events"})
          </span>
        </summary>
        <ol className="space-y-1.5 px-4 pb-3" aria-label="Claim events, newest first">
          {data.events.map((e) => (
            <li
              key={e.id}
              className="flex min-w-0 flex-wrap items-baseline gap-x-2 gap-y-0.5"
              data-testid="claim-event"
              data-event={e.event}
            >
              <Badge tone={TONE[e.event] ?? "gray"}>{e.event}</Badge>
              <span className="min-w-0 font-medium break-all" data-testid="claim-event-owner">
                {e.owner}
              </span>
              <span className="text-xs text-zinc-500 dark:text-zinc-400">
                <RelativeTime at={e.at} />
              </span>
              {e.expiresAt && (e.event === "claimed" || e.event === "renewed") ? (
                <span className="text-xs text-zinc-500 dark:text-zinc-400">
                  lease until <LocalTime at={e.expiresAt} />
                </span>
              ) : null}
              {e.note ? (
                <span
                  className="basis-full text-xs break-words text-zinc-600 dark:text-zinc-400"
                  data-testid="claim-event-note"
                >
                  {e.note}
                </span>
              ) : null}
            </li>
          ))}
        </ol>
        {hidden > 0 ? (
          <p
            className="px-4 pb-3 text-xs text-zinc-500 dark:text-zinc-400"
            data-testid="claim-history-more"
          >
            {hidden} more older {hidden === 1 ? "event" : "events"}.{" "}
            {limit < MAX ? (
              <BareButton
                type="button"
                className="underline hover:text-zinc-800 dark:hover:text-zinc-200"
                onClick={() => setLimit(Math.min(MAX, limit + PAGE))}
                data-testid="claim-history-show-more"
              >
                Show {Math.min(PAGE, hidden)} more
              </BareButton>
            ) : null}
          </p>
        ) : null}
      </details>
    </Card>
  );
}
