import { Suspense } from "react";
import { SpecsBrowser } from "~/components/specs-browser";

export default function SpecsPage() {
  return (
    <Suspense fallback={<p className="text-sm text-zinc-500">Loading…</p>}>
      <SpecsBrowser />
    </Suspense>
  );
}
