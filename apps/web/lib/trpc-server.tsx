import "server-only";
import { type AppRouter, createSpecsyncClient } from "@specsync/api/client";
import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { cache, type ReactNode } from "react";
import { createQueryClient } from "./query-client";
import { webSettings } from "./settings";

/** One QueryClient per request (React cache), as create-t3-turbo does. */
export const getQueryClient = cache(createQueryClient);

/**
 * The API client of this request: the API's own URL (so its Host), the token when one is
 * configured.
 */
export const serverClient = cache(() => {
  const { apiUrl, token } = webSettings();
  return createSpecsyncClient({ url: apiUrl, token, actor: "web" });
});

/**
 * Query options for server components: prefetch here, the client components find the data
 * hydrated.
 */
export const serverTrpc = () =>
  createTRPCOptionsProxy<AppRouter>({ client: serverClient(), queryClient: getQueryClient });

export function HydrateClient({ children }: { children: ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}

export function isNotFound(err: unknown): boolean {
  return (
    err instanceof TRPCClientError &&
    ["NOT_FOUND", "BAD_REQUEST"].includes((err.data as { code?: string } | undefined)?.code ?? "")
  );
}
