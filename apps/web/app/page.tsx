import { redirect } from "next/navigation";
import { ChangesList } from "~/components/changes-list";
import { getQueryClient, HydrateClient, serverTrpc } from "~/lib/trpc-server";
import { changesListInput, changesView, lastPage } from "~/lib/view-input";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * The first page of rows is fetched here, so it is in the first HTML (no "Loading…" on a fresh
 * visit).
 */
export default async function ChangesPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const view = changesView((k) => first(params[k]));
  const trpc = serverTrpc();
  const qc = getQueryClient();
  await Promise.all([
    qc.prefetchQuery(trpc.specs.list.queryOptions(changesListInput(view))),
    qc.prefetchQuery(trpc.projects.list.queryOptions()),
    qc.prefetchQuery(trpc.specs.next.queryOptions({ projectId: view.projectId })),
  ]);
  // A page past the end goes to the last page (a stale link, rows archived meanwhile).
  const total = qc.getQueryData(trpc.specs.list.queryKey(changesListInput(view)))?.facets?.total;
  if (total !== undefined && view.page > lastPage(total)) {
    const qs = new URLSearchParams(
      Object.entries(params).flatMap(([k, v]) =>
        k === "page" || v === undefined ? [] : [[k, first(v) ?? ""]],
      ),
    );
    if (lastPage(total) > 0) qs.set("page", String(lastPage(total) + 1)); // the URL counts pages from 1
    redirect(qs.size ? `/?${qs}` : "/");
  }
  return (
    <HydrateClient>
      <ChangesList />
    </HydrateClient>
  );
}
