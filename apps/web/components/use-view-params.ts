"use client";
import { usePathname, useSearchParams } from "next/navigation";
import { useCallback } from "react";

/**
 * The view lives in the URL so it can be shared and survives reloads. Each change is a history
 * entry (Back undoes a filter or a page turn instead of leaving the app); typing in a search box
 * replaces the entry instead (`{ replace: true }`). The native History API keeps it a client-side
 * change: Next syncs useSearchParams with it and does not re-render the server page.
 */
export function useViewParams() {
  const params = useSearchParams();
  const pathname = usePathname();
  const set = useCallback(
    (
      patch: Record<string, string | null>,
      opts: { replace?: boolean; scrollTop?: boolean } = {},
    ) => {
      // The address, not the router's search params: those lag behind fast typing.
      const next = new URLSearchParams(window.location.search);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === "") next.delete(k);
        else next.set(k, v);
      }
      if (!("page" in patch)) next.delete("page");
      const qs = next.toString();
      const url = qs ? `${pathname}?${qs}` : pathname;
      if (opts.replace) window.history.replaceState(null, "", url);
      else window.history.pushState(null, "", url);
      if (opts.scrollTop) window.scrollTo({ top: 0 });
    },
    [pathname],
  );
  const setQuery = useCallback((q: string, opts: { replace: boolean }) => set({ q }, opts), [set]);
  return { get: (k: string) => params.get(k), set, setQuery };
}
