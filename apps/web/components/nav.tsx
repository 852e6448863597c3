"use client";
import { LogOut, Moon, RefreshCcw, Sun } from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect } from "react";
import { BareButton } from "~/components/ui/button";
import { cn } from "~/lib/utils";

const LINKS = [
  { href: "/", label: "Changes", section: "changes" },
  { href: "/board", label: "Board", section: "board" },
  { href: "/summary", label: "Summary", section: "summary" },
  { href: "/specs", label: "Specs", section: "specs" },
  { href: "/sync", label: "Sync", section: "sync" },
] as const;

/**
 * Which nav entry a path belongs to: `/p/<project>/specs/…` is under Specs,
 * `/p/<project>/changes/…` under Changes.
 */
export function sectionOf(pathname: string): string {
  const m = pathname.match(/^\/p\/[^/]+\/(changes|specs)(\/|$)/);
  if (m?.[1]) return m[1];
  if (pathname === "/" || pathname.startsWith("/changes")) return "changes";
  return pathname.split("/")[1] ?? "";
}

/** Forget the token the sign-in page saved for the browser's own API calls (sign-in-page.ts). */
const forgetToken = () => {
  try {
    localStorage.removeItem("specsync.token");
  } catch {
    // storage blocked: nothing was saved there either
  }
};

/** `signOut`: the server has a token, so this browser signed in and may sign out. */
export function Nav({ signOut = false }: { signOut?: boolean }) {
  const pathname = usePathname();
  // Re-apply the theme after hydration: a client re-render of <html> (the 404 page's is one) must
  // not drop it — the saved choice, else the system's, as the head script decides.
  useEffect(() => {
    const saved = localStorage.getItem("specsync.theme");
    document.documentElement.classList.toggle(
      "dark",
      saved ? saved === "dark" : matchMedia("(prefers-color-scheme: dark)").matches,
    );
  }, []);
  const toggle = () => {
    const dark = !document.documentElement.classList.contains("dark");
    document.documentElement.classList.toggle("dark", dark);
    localStorage.setItem("specsync.theme", dark ? "dark" : "light");
  };
  return (
    <header className="sticky top-0 z-40 border-b border-zinc-200 bg-white/80 backdrop-blur dark:border-zinc-800 dark:bg-zinc-950/80">
      <nav
        className="mx-auto flex h-14 max-w-7xl items-center gap-0.5 px-2 sm:gap-1 sm:px-4"
        aria-label="Main"
      >
        <Link
          href="/"
          // Below sm the logo gives way (Changes is home too): the links, theme and sign-out fit 375 px.
          className="mr-1 hidden items-center gap-2 font-semibold sm:mr-4 sm:flex"
          aria-label="specsync home"
        >
          <RefreshCcw className="h-4 w-4 text-indigo-600" aria-hidden />{" "}
          <span className="hidden sm:inline">specsync</span>
        </Link>
        {LINKS.map((l) => {
          const active = sectionOf(pathname) === l.section;
          return (
            <Link
              key={l.href}
              href={l.href}
              aria-current={active ? "page" : undefined}
              className={cn(
                // px-1 below sm: five links, the logo and the theme button fit in 375 px.
                "rounded-md px-1 py-1.5 text-sm sm:px-3",
                active
                  ? "bg-zinc-100 font-medium dark:bg-zinc-800"
                  : "text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100",
              )}
            >
              {l.label}
            </Link>
          );
        })}
        <BareButton
          type="button"
          onClick={toggle}
          className="ml-auto shrink-0 rounded-md p-2 hover:bg-zinc-100 dark:hover:bg-zinc-800"
          aria-label="Toggle dark mode"
        >
          <Sun className="hidden h-4 w-4 dark:block" aria-hidden />
          <Moon className="h-4 w-4 dark:hidden" aria-hidden />
        </BareButton>
        {signOut ? (
          // A plain form post: the route clears the HttpOnly cookie, which no script can.
          <form method="post" action="/sign-out" onSubmit={forgetToken} className="shrink-0">
            <button
              type="submit"
              data-testid="sign-out"
              className="flex items-center gap-1.5 rounded-md p-2 text-sm text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
              aria-label="Sign out"
            >
              <LogOut className="h-4 w-4" aria-hidden />
              <span className="hidden md:inline">Sign out</span>
            </button>
          </form>
        ) : null}
      </nav>
    </header>
  );
}
