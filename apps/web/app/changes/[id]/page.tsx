import { rowIdSchema } from "@specsync/validators";
import { notFound, redirect } from "next/navigation";
import { specHref } from "~/lib/hrefs";
import { isNotFound, serverClient } from "~/lib/trpc-server";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * The old `/changes/<uuid>` address: a permanent home at the readable one, query kept. Bad or
 * unknown id: 404.
 */
export default async function Page({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: SearchParams;
}) {
  const { id } = await params;
  if (!rowIdSchema.safeParse(id).success) notFound();
  const client = serverClient();
  let target: string;
  try {
    const [spec, projects] = await Promise.all([
      client.specs.get.query({ id }),
      client.projects.list.query(),
    ]);
    const qs = new URLSearchParams(
      Object.entries(await searchParams).flatMap(([k, v]) =>
        v === undefined ? [] : [[k, Array.isArray(v) ? (v[0] ?? "") : v]],
      ),
    ).toString();
    target = specHref(spec, projects, qs ? `?${qs}` : "");
  } catch (err) {
    if (isNotFound(err)) notFound();
    throw err;
  }
  redirect(target);
}
