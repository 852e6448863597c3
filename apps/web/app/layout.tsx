import type { Metadata } from "next";
import type { ReactNode } from "react";
import { readWebSettings } from "@specsync/settings";
import { Nav } from "~/components/nav";
import { Providers } from "./providers";
import "./globals.css";

export const metadata: Metadata = { title: "specsync", description: "OpenSpec changes and specs, in sync with your files" };
// The API address is read at request time, so one build serves any deployment.
export const dynamic = "force-dynamic";

const themeScript = `try{if(localStorage.getItem("specsync.theme")==="dark"||(!localStorage.getItem("specsync.theme")&&matchMedia("(prefers-color-scheme: dark)").matches))document.documentElement.classList.add("dark")}catch{}`;

export default function RootLayout({ children }: { children: ReactNode }) {
  // Validated by the settings module (SPECSYNC_API_URL, else http://HOST:PORT of the API).
  const { apiUrl } = readWebSettings();
  return (
    <html lang="en" suppressHydrationWarning>
      <head>
        <script dangerouslySetInnerHTML={{ __html: themeScript }} />
      </head>
      <body className="min-h-screen">
        <Providers apiUrl={apiUrl}>
          <Nav />
          <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
        </Providers>
      </body>
    </html>
  );
}
