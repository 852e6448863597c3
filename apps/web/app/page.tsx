import { Suspense } from "react";
import { ChangesList } from "~/components/changes-list";

export default function ChangesPage() {
  return (
    <Suspense fallback={<p className="text-sm text-zinc-500">Loading…</p>}>
      <ChangesList />
    </Suspense>
  );
}
