"use client";
import { type ChangeEvent, useCallback, useEffect, useRef } from "react";

const inUrl = (param: string) => new URLSearchParams(window.location.search).get(param) ?? "";

/**
 * An uncontrolled text box (typing must not wait for the URL) whose value is also a URL parameter,
 * written on each keystroke: the first keystroke of a search pushes one history entry (Back undoes
 * the search), the following ones replace it.
 *
 * The router applies those writes asynchronously, one after another, and while it catches up it
 * re-renders — and writes the address — with older values (seen: "?q=p" after "paged 1" was
 * typed). So the box never follows a value it wrote itself earlier: such a stale echo only makes
 * it say its latest value again, until the router has caught up. It follows Back/Forward
 * (popstate) at once, even while focused, and any other change of the parameter (a link, a
 * "clear" button). Text typed before the page hydrated is written to the URL, not dropped.
 */
export function useUrlSyncedInput(
  param: string,
  value: string | undefined,
  write: (value: string, opts: { replace: boolean }) => void,
) {
  const ref = useRef<HTMLInputElement>(null);
  /** Values this box wrote that the router has not caught up with yet, oldest first. */
  const sent = useRef<string[]>([]);
  const hydrated = useRef(false);
  const send = useCallback(
    (v: string) => {
      const replace =
        sent.current.length > 0 || new URLSearchParams(window.location.search).has(param);
      sent.current.push(v);
      write(v, { replace });
    },
    [param, write],
  );

  useEffect(() => {
    const onPopState = () => {
      sent.current = [];
      if (ref.current) ref.current.value = inUrl(param);
    };
    window.addEventListener("popstate", onPopState);
    return () => window.removeEventListener("popstate", onPopState);
  }, [param]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the router's value moves
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const first = !hydrated.current;
    hydrated.current = true;
    const now = (value ?? "").trim();
    const mine = sent.current;
    const latest = mine.at(-1);
    if (latest !== undefined && latest.trim() === now) sent.current = [];
    else if (latest !== undefined && mine.some((v) => v.trim() === now)) {
      // A stale echo: the address may have been set back too. Say the latest value again.
      sent.current = [latest];
      write(latest, { replace: true });
    } else if (box.value.trim() !== now) {
      // On the first run the box differs only if the person typed before hydration.
      if (first) send(box.value);
      else box.value = value ?? "";
    }
  }, [value]);

  const onChange = useCallback((e: ChangeEvent<HTMLInputElement>) => send(e.target.value), [send]);
  return { ref, onChange };
}
