"use client";
import { createSpecsyncClient } from "@specsync/api/client";
import { QueryClientProvider } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { installBackGuard } from "~/components/change/use-unsaved-guard";
import { LiveEvents } from "~/components/live-events";
import { Toaster } from "~/components/ui/toaster";
import { createQueryClient } from "~/lib/query-client";
import { TRPCProvider } from "~/lib/trpc";

// Before the router adds its own popstate listener (see installBackGuard).
installBackGuard();

export const TOKEN_KEY = "specsync.token";

export function Providers({ apiUrl, children }: { apiUrl: string; children: ReactNode }) {
  const [queryClient] = useState(createQueryClient);
  const [trpcClient] = useState(() =>
    createSpecsyncClient({
      url: apiUrl,
      token:
        typeof window !== "undefined"
          ? (window.localStorage.getItem(TOKEN_KEY) ?? undefined)
          : undefined,
      actor:
        typeof window !== "undefined"
          ? (window.localStorage.getItem("specsync.actor") ?? "web")
          : "web",
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Toaster>
          <LiveEvents />
          {children}
        </Toaster>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
