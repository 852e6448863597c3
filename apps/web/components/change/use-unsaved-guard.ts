"use client";
import { useEffect, useRef } from "react";

/**
 * While `message` is set (there is unsaved text): closing or reloading the tab asks the browser's
 * "leave site?" question, following an in-app link or going Back/Forward asks first. The text is
 * also kept as a draft, so even "leave" loses nothing.
 */
/** The unsaved-text messages of the editors open now (one per panel with unsaved text). */
const guards = new Set<() => string | null>();
let undoing = false;

/**
 * Back/Forward while there is unsaved text asks too. Installed once when the app loads (from the
 * providers), so it is on window before Next's router: at the target, listeners run in the order
 * they were added, and the router's own popstate handler unmounts the page (and would remove a
 * later listener) before it could ask. When the person stays, the router never hears of the step
 * and history.go(1) undoes it (Back is by far the common case; popstate does not say which way the
 * step went); that popstate is swallowed too.
 */
export function installBackGuard() {
  if (
    typeof window === "undefined" ||
    (window as { __specsyncBackGuard?: boolean }).__specsyncBackGuard
  )
    return;
  (window as { __specsyncBackGuard?: boolean }).__specsyncBackGuard = true;
  window.addEventListener(
    "popstate",
    (e) => {
      if (undoing) {
        undoing = false;
        e.stopImmediatePropagation();
        return;
      }
      const first = guards.values().next().value;
      if (!first || window.confirm(first() ?? "Leave this page?")) return;
      e.stopImmediatePropagation();
      undoing = true;
      window.history.go(1);
    },
    true,
  );
}

export function useUnsavedGuard(message: string | null) {
  const current = useRef(message);
  current.current = message;
  const active = message !== null;
  useEffect(() => {
    if (!active) return;
    const beforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    // Capture phase on document: runs before Next's <Link> handler, which skips prevented clicks.
    const click = (e: MouseEvent) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
        return;
      const a = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!a || a.target === "_blank" || a.hasAttribute("download")) return;
      const url = new URL(a.href, window.location.href);
      if (url.origin !== window.location.origin) return;
      if (url.pathname === window.location.pathname && url.search === window.location.search)
        return;
      if (!window.confirm(current.current ?? "Leave this page?")) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener("beforeunload", beforeUnload);
    const guard = () => current.current;
    guards.add(guard);
    document.addEventListener("click", click, true);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      guards.delete(guard);
      document.removeEventListener("click", click, true);
    };
  }, [active]);
}
