"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { Moon, Sun, RefreshCcw } from "lucide-react";
import { cn } from "~/lib/utils";

const LINKS = [
  { href: "/", label: "Changes" },
  { href: "/board", label: "Board" },
  { href: "/summary", label: "Summary" },
  { href: "/specs", label: "Specs" },
  { href: "/sync", label: "Sync" },
];

export function Nav() {
  const pathname = usePathname();
  const toggle = () => {
    const dark = !document.documentElement.classList.contains("dark");
    document.documentElement.classList.toggle("dark", dark);
    localStorage.setItem("specsync.theme", dark ? "dark" : "light");
  };
  return (
    <header className="sticky top-0 z-40 border-b border-zinc-200 bg-white/80 backdrop-blur dark:border-zinc-800 dark:bg-zinc-950/80">
      <nav className="mx-auto flex h-14 max-w-7xl items-center gap-1 px-4" aria-label="Main">
        <Link href="/" className="mr-4 flex items-center gap-2 font-semibold">
          <RefreshCcw className="h-4 w-4 text-indigo-600" aria-hidden /> specsync
        </Link>
        {LINKS.map((l) => {
          const active = l.href === "/" ? pathname === "/" || pathname.startsWith("/changes") : pathname.startsWith(l.href);
          return (
            <Link key={l.href} href={l.href} aria-current={active ? "page" : undefined} className={cn("rounded-md px-3 py-1.5 text-sm", active ? "bg-zinc-100 font-medium dark:bg-zinc-800" : "text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100")}>
              {l.label}
            </Link>
          );
        })}
        <button type="button" onClick={toggle} className="ml-auto rounded-md p-2 hover:bg-zinc-100 dark:hover:bg-zinc-800" aria-label="Toggle dark mode">
          <Sun className="hidden h-4 w-4 dark:block" aria-hidden />
          <Moon className="h-4 w-4 dark:hidden" aria-hidden />
        </button>
      </nav>
    </header>
  );
}
