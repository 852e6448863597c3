import {
  type HistoryQuery,
  LIFECYCLE_STATUSES,
  LIST_SORTS,
  type ListSpecsInput,
  PRIORITIES,
  SYNC_TRIGGERS,
} from "@specsync/validators";
import { z } from "zod";

export const PAGE_SIZE = 50;
type Get = (key: string) => string | null | undefined;

const pick = <T>(schema: z.ZodType<T>, value: string | null | undefined, fallback: T): T => {
  const r = schema.safeParse(value ?? undefined);
  return r.success && r.data !== undefined ? r.data : fallback;
};

/**
 * The changes list's view from the URL. Anything malformed falls back to its default instead of
 * an error.
 */
export function changesView(get: Get) {
  const archived = pick(z.enum(["active", "archived", "all"]), get("archived"), "active" as const);
  const min = pick(z.coerce.number().int().min(0).max(100).optional(), get("min"), undefined);
  const q = pick(z.string().trim().max(200).optional(), get("q"), undefined);
  return {
    // The URL counts pages from 1, as the page label does ("page=1" is the first); the list counts
    // from 0. An old "page=0" still means the first page.
    page: Math.max(0, pick(z.coerce.number().int().min(0).max(100_000), get("page"), 1) - 1),
    archived,
    projectId: pick(z.uuid().optional(), get("project"), undefined),
    status: pick(z.enum(LIFECYCLE_STATUSES).optional(), get("status"), undefined),
    priority: pick(z.enum(PRIORITIES).optional(), get("priority"), undefined),
    min,
    q: q || undefined,
    sort: pick(z.enum(LIST_SORTS), get("sort"), "updated" as const),
    /** `invalid=1`: only changes with validation errors. */
    invalid: get("invalid") === "1",
    claimed: pick(z.enum(["yes", "no"]).optional(), get("claimed"), undefined),
  };
}
export type ChangesView = ReturnType<typeof changesView>;

/**
 * The exact specs.list input for a view: the server's prefetch and the browser's query must
 * agree on it.
 */
export function changesListInput(v: ChangesView, page = v.page) {
  return {
    kind: "change" as const,
    projectId: v.projectId,
    status: v.status ? [v.status] : undefined,
    priority: v.priority ? [v.priority] : undefined,
    archived: v.archived === "all" ? undefined : v.archived === "archived",
    minCompletion: v.min,
    hasValidationErrors: v.invalid ? true : undefined,
    search: v.q,
    claimed: v.claimed === undefined ? undefined : v.claimed === "yes",
    sort: v.sort,
    limit: PAGE_SIZE,
    cursor: page * PAGE_SIZE,
    withFacets: true,
  } satisfies ListSpecsInput;
}

/** The last page that has rows (0 when nothing matches). */
export const lastPage = (total: number) => Math.max(0, Math.ceil(total / PAGE_SIZE) - 1);

export const BOARD_INPUT = {
  kind: "change",
  archived: false,
  sort: "priority",
  limit: 200,
} as const;
export const specsListInput = (q: string | undefined) => ({
  kind: "spec" as const,
  sort: "name" as const,
  limit: 200,
  search: q || undefined,
});

/** The sync panel's history query (the server prefetches the unfiltered one). */
export function syncHistoryInput(trigger: string, onlyFailures: boolean): HistoryQuery {
  return {
    limit: 50,
    ...((SYNC_TRIGGERS as readonly string[]).includes(trigger)
      ? { trigger: trigger as (typeof SYNC_TRIGGERS)[number] }
      : {}),
    ...(onlyFailures ? { success: false } : {}),
  };
}
