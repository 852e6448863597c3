"use client";
import { rowIdSchema } from "@specsync/validators";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { InlineMarkdown } from "~/components/inline-markdown";
import { SafeMarkdown } from "~/components/safe-markdown";
import { refetchWhileCatchingUp, SearchCatchingUp } from "~/components/search-catching-up";
import { StatusBadge } from "~/components/spec-badges";
import { Card } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { useSpecHref } from "~/components/use-spec-href";
import { useUrlSyncedInput } from "~/components/use-url-input";
import { useViewParams } from "~/components/use-view-params";
import { useTRPC } from "~/lib/trpc";
import { cn } from "~/lib/utils";
import { specsListInput } from "~/lib/view-input";

const specLink = (q: string, spec: string) =>
  `/specs?${new URLSearchParams(q ? { q, spec } : { spec })}`;

/** Main capability specs: requirements, scenarios, and the changes that touch each capability. */
export function SpecsBrowser() {
  const trpc = useTRPC();
  const view = useViewParams();
  const q = view.get("q") ?? "";
  const list = useQuery(
    trpc.specs.list.queryOptions(specsListInput(q), { refetchInterval: refetchWhileCatchingUp }),
  );
  // Back/Forward show the URL's filter in the box too.
  const filterBox = useUrlSyncedInput("q", q, view.setQuery);
  const asked = view.get("spec");
  // A malformed ?spec= falls back to the first spec instead of an error.
  const selectedId =
    (asked && rowIdSchema.safeParse(asked).success ? asked : undefined) ?? list.data?.items[0]?.id;
  const selected = useQuery({
    ...trpc.specs.get.queryOptions({ id: selectedId ?? "00000000-0000-4000-8000-000000000000" }),
    enabled: !!selectedId,
  });
  const touching = useQuery({
    ...trpc.specs.touching.queryOptions({
      projectId: selected.data?.projectId ?? "00000000-0000-4000-8000-000000000000",
      capability: selected.data?.name ?? "x",
    }),
    enabled: !!selected.data,
  });
  const show = selected.data?.parsed?.show as { overview?: string } | null | undefined;
  const hrefOf = useSpecHref();
  return (
    <div className="grid min-w-0 gap-4 lg:grid-cols-[18rem_minmax(0,1fr)]">
      <div className="min-w-0 space-y-2">
        <h1 className="text-2xl font-semibold">Specs</h1>
        <Input
          ref={filterBox.ref}
          data-testid="spec-filter"
          className="w-full"
          placeholder="Filter specs…"
          defaultValue={q}
          onChange={filterBox.onChange}
          aria-label="Filter specs"
        />
        <SearchCatchingUp pending={list.data?.searchPending} noun="spec" />
        <Card className="max-h-[40vh] overflow-auto p-1 lg:max-h-[70vh]" data-testid="spec-list">
          {list.data?.items.map((s) => (
            // A link, not a button: a click before the page has hydrated (a slow phone) still opens
            // the spec, and a middle click opens it in a new tab. Next's Link, not our own
            // pushState: a pushState made while Next's router was still starting was written back
            // to /specs by the router (a loaded CI run lost the click that way).
            <Link
              key={s.id}
              href={specLink(q, s.id)}
              scroll={false}
              // Dozens of links on screen: no RSC prefetch burst for each.
              prefetch={false}
              aria-current={s.id === selectedId ? "true" : undefined}
              className={cn(
                "flex w-full justify-between rounded px-2 py-1.5 text-left text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800",
                s.id === selectedId && "bg-zinc-100 font-medium dark:bg-zinc-800",
              )}
            >
              <span className="truncate">{s.name}</span>
              <span className="text-xs text-zinc-600 dark:text-zinc-400">{s.requirementCount}</span>
            </Link>
          ))}
          {list.data?.items.length === 0 ? (
            <p className="p-3 text-sm text-zinc-500 dark:text-zinc-400">No specs.</p>
          ) : null}
        </Card>
      </div>
      <div className="min-w-0 space-y-4" id="content" tabIndex={-1}>
        {selected.data ? (
          <>
            <div className="flex flex-wrap items-start justify-between gap-2">
              <div className="min-w-0">
                <h2 className="text-xl font-semibold break-words">{selected.data.name}</h2>
                <p className="font-mono text-xs break-all text-zinc-500 dark:text-zinc-400">
                  openspec/{selected.data.path}/spec.md
                </p>
              </div>
              <Link
                className="text-sm text-indigo-600 underline dark:text-indigo-400"
                href={hrefOf(selected.data)}
                data-testid="open-spec"
              >
                Open / edit
              </Link>
            </div>
            {show?.overview ? (
              <p className="text-sm text-zinc-700 dark:text-zinc-300">{show.overview}</p>
            ) : null}
            {selected.data.parseError ? (
              <p className="text-sm text-amber-700 dark:text-amber-400">
                {selected.data.parseError}
              </p>
            ) : null}
            <Card className="p-3">
              <h3 className="mb-2 text-sm font-semibold">Changes touching this capability</h3>
              {touching.data?.length ? (
                <ul className="space-y-1 text-sm">
                  {touching.data.map((c) => (
                    <li key={c.id} className="flex items-center gap-2">
                      <Link href={hrefOf(c)} className="hover:underline">
                        {c.title}
                      </Link>
                      <StatusBadge status={c.status} />
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="text-sm text-zinc-500 dark:text-zinc-400">None.</p>
              )}
            </Card>
            <div className="space-y-3" data-testid="requirements">
              {selected.data.requirements.map((r, i) => (
                <Card
                  // biome-ignore lint/suspicious/noArrayIndexKey: requirements have no id; the list is replaced whole
                  key={i}
                  className="space-y-2 p-3"
                  data-testid="requirement"
                >
                  <h3 className="font-semibold break-words" data-testid="requirement-name">
                    <InlineMarkdown text={r.name} />
                  </h3>
                  <div className="prose-spec text-sm">
                    <SafeMarkdown text={r.text} />
                  </div>
                  {r.scenarios.map((sc, j) => (
                    <section
                      // biome-ignore lint/suspicious/noArrayIndexKey: scenarios have no id; the list is replaced whole
                      key={j}
                      className="rounded-md bg-zinc-50 p-2 dark:bg-zinc-950"
                      data-testid="scenario"
                    >
                      <h4 className="text-sm font-medium break-words" data-testid="scenario-name">
                        Scenario: <InlineMarkdown text={sc.name} />
                      </h4>
                      <div className="prose-spec text-sm">
                        <SafeMarkdown text={sc.content} />
                      </div>
                    </section>
                  ))}
                </Card>
              ))}
            </div>
          </>
        ) : (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">
            {list.isPending ? "Loading…" : "Select a spec."}
          </p>
        )}
      </div>
    </div>
  );
}
