import "server-only";
import { lookupInputSchema } from "@specsync/validators";
import { notFound } from "next/navigation";
import { ChangePage } from "~/components/change/change-page";
import { getQueryClient, HydrateClient, isNotFound, serverClient, serverTrpc } from "./trpc-server";

/**
 * A change or spec page at its readable address. The row is looked up and fetched here, so the
 * first HTML has the content; an unknown project, name or malformed id answers a real 404.
 */
export async function SpecPage({
  project,
  kind,
  name,
}: {
  project: string;
  kind: "change" | "spec";
  name: string;
}) {
  const input = lookupInputSchema.safeParse({
    project: safeDecode(project),
    kind,
    name: safeDecode(name),
  });
  if (!input.success) notFound();
  let id: string;
  try {
    ({ id } = await serverClient().specs.lookup.query(input.data));
  } catch (err) {
    if (isNotFound(err)) notFound();
    throw err;
  }
  const trpc = serverTrpc();
  const qc = getQueryClient();
  await Promise.all([
    qc.prefetchQuery(trpc.specs.get.queryOptions({ id })),
    qc.prefetchQuery(trpc.projects.list.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <ChangePage id={id} />
    </HydrateClient>
  );
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
