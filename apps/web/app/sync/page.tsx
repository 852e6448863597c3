import { SyncPanel } from "~/components/sync-panel";
import { getQueryClient, HydrateClient, serverTrpc } from "~/lib/trpc-server";
import { syncHistoryInput } from "~/lib/view-input";

/**
 * Totals, projects, conflicts and the latest history are fetched here, so they are in the first
 * HTML.
 */
export default async function SyncPage() {
  const trpc = serverTrpc();
  const qc = getQueryClient();
  await Promise.all([
    qc.prefetchQuery(trpc.sync.status.queryOptions()),
    qc.prefetchQuery(trpc.sync.conflicts.queryOptions()),
    qc.prefetchQuery(trpc.sync.history.queryOptions(syncHistoryInput("", false))),
    qc.prefetchQuery(trpc.projects.list.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <SyncPanel />
    </HydrateClient>
  );
}
