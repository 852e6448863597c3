import { rowIdSchema } from "@specsync/validators";
import { SpecsBrowser } from "~/components/specs-browser";
import { getQueryClient, HydrateClient, serverTrpc } from "~/lib/trpc-server";
import { specsListInput } from "~/lib/view-input";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function SpecsPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const q = first(params.q)?.slice(0, 200);
  const trpc = serverTrpc();
  const qc = getQueryClient();
  const [list] = await Promise.all([
    qc.fetchQuery(trpc.specs.list.queryOptions(specsListInput(q))).catch(() => null),
    qc.prefetchQuery(trpc.projects.list.queryOptions()),
  ]);
  const asked = first(params.spec);
  const selected =
    (asked && rowIdSchema.safeParse(asked).success ? asked : undefined) ?? list?.items[0]?.id;
  if (selected) await qc.prefetchQuery(trpc.specs.get.queryOptions({ id: selected }));
  return (
    <HydrateClient>
      <SpecsBrowser />
    </HydrateClient>
  );
}
