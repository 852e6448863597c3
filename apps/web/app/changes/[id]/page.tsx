import { Suspense } from "react";
import { ChangePage } from "~/components/change/change-page";

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <Suspense fallback={<p className="text-sm text-zinc-500">Loading…</p>}>
      <ChangePage id={id} />
    </Suspense>
  );
}
