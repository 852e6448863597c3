"use client";
import { useQuery } from "@tanstack/react-query";
import { specHref } from "~/lib/hrefs";
import { useTRPC } from "~/lib/trpc";

/**
 * Readable links need the project list (prefetched by the server with every page that shows
 * links).
 */
export function useSpecHref() {
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.list.queryOptions());
  return (spec: Parameters<typeof specHref>[0], query = "") => specHref(spec, projects.data, query);
}
