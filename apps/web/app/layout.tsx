import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Nav } from "~/components/nav";
import { webSettings } from "~/lib/settings";
import { Providers } from "./providers";
import "./globals.css";

export const metadata: Metadata = {
  title: "specsync",
  description: "OpenSpec changes and specs, in sync with your files",
};
// The API address is read at request time, so one build serves any deployment.
export const dynamic = "force-dynamic";

const themeScript = `try{if(localStorage.getItem("specsync.theme")==="dark"||(!localStorage.getItem("specsync.theme")&&matchMedia("(prefers-color-scheme: dark)").matches))document.documentElement.classList.add("dark")}catch{}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  const { apiUrl, token } = webSettings();
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: a constant script of ours (theme before paint), no user input */}
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body className="min-h-screen">
        {/* Keyboard users jump past the navigation and filters to the page's main content (#content). */}
        <a
          href="#content"
          data-testid="skip-link"
          className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:shadow dark:focus:bg-zinc-900"
        >
          Skip to content
        </a>
        <Providers apiUrl={apiUrl}>
          {/* With a token every page is for a signed-in browser (proxy.ts), so it may sign out. */}
          <Nav signOut={Boolean(token)} />
          <main className="mx-auto max-w-7xl px-3 py-6 sm:px-4">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
