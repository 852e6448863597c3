"use client";
import { useEffect, useRef } from "react";

/**
 * While `message` is set (there is unsaved text): closing or reloading the tab asks the browser's
 * "leave site?" question, following an in-app link or going Back/Forward asks first. The text is also kept as a draft,
 * so even "leave" loses nothing.
 */
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
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!a || a.target === "_blank" || a.hasAttribute("download")) return;
      const url = new URL(a.href, window.location.href);
      if (url.origin !== window.location.origin) return;
      if (url.pathname === window.location.pathname && url.search === window.location.search) return;
      if (!window.confirm(current.current ?? "Leave this page?")) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    // Back/Forward: a capture listener on window runs before Next's router (a bubble listener there). When the
    // person stays, the router never hears of it and history.go() undoes the step; that popstate is swallowed too.
    let undoing = false;
    const popstate = (e: PopStateEvent) => {
      if (undoing) {
        undoing = false;
        e.stopImmediatePropagation();
        return;
      }
      if (window.confirm(current.current ?? "Leave this page?")) return;
      e.stopImmediatePropagation();
      undoing = true;
      // popstate does not say which way the step went; Back is the common case, so step forward again.
      window.history.go(1);
    };
    window.addEventListener("beforeunload", beforeUnload);
    window.addEventListener("popstate", popstate, true);
    document.addEventListener("click", click, true);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      window.removeEventListener("popstate", popstate, true);
      document.removeEventListener("click", click, true);
    };
  }, [active]);
}
