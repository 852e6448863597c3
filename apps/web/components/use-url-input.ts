"use client";
import { useEffect, useRef } from "react";

/**
 * An uncontrolled text box (typing must not wait for the URL) that still shows the URL's value
 * after Back/Forward. While typing, the box and the address always agree (each keystroke writes the
 * URL at once), so comparing with `window.location` — not with the possibly lagging search params —
 * never overwrites a keystroke, focused or not.
 */
export function useUrlSyncedInput(param: string, value: string | undefined) {
  const ref = useRef<HTMLInputElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new value is when the URL may have changed
  useEffect(() => {
    const sync = () => {
      const box = ref.current;
      const inUrl = new URLSearchParams(window.location.search).get(param) ?? "";
      if (box && box.value.trim() !== inUrl.trim()) box.value = inUrl;
    };
    sync();
    window.addEventListener("popstate", sync);
    return () => window.removeEventListener("popstate", sync);
  }, [param, value]);
  return ref;
}

/**
 * Whether the address already has a search: the first keystroke of a search pushes one history
 * entry, the following ones replace it. Read from `window.location`, which is current at once (the
 * search params of the last render lag behind fast typing, which made every key a Back step).
 */
export const hasQuery = (param = "q") => new URLSearchParams(window.location.search).has(param);
