import { defaultShouldDehydrateQuery, QueryClient } from "@tanstack/react-query";
import superjson from "superjson";

/**
 * One QueryClient factory for the server render and the browser: superjson carries Dates through
 * hydration.
 */
export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchOnWindowFocus: false,
        retry: (n, err) =>
          n < 2 &&
          !/UNAUTHORIZED|NOT_FOUND|BAD_REQUEST/.test(
            String((err as { data?: { code?: string } })?.data?.code ?? ""),
          ),
      },
      dehydrate: {
        serializeData: superjson.serialize,
        // Only data the server really fetched: a failed prefetch is retried by the browser.
        shouldDehydrateQuery: (q) => defaultShouldDehydrateQuery(q) && q.state.status === "success",
      },
      hydrate: { deserializeData: superjson.deserialize },
    },
  });
}
