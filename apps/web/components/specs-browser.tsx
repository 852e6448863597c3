"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/lib/trpc";
import { Card } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { StatusBadge } from "~/components/spec-badges";
import { useViewParams } from "~/components/use-view-params";
import { cn } from "~/lib/utils";

type Requirement = { text: string; scenarios: { rawText: string }[] };

/** Main capability specs: requirements, scenarios, and the changes that touch each capability. */
export function SpecsBrowser() {
  const trpc = useTRPC();
  const view = useViewParams();
  const q = view.get("q") ?? "";
  const list = useQuery(trpc.specs.list.queryOptions({ kind: "spec", sort: "name", limit: 200, search: q || undefined }));
  const selectedId = view.get("spec") ?? list.data?.items[0]?.id;
  const selected = useQuery({ ...trpc.specs.get.queryOptions({ id: selectedId ?? "00000000-0000-4000-8000-000000000000" }), enabled: !!selectedId });
  const touching = useQuery({
    ...trpc.specs.touching.queryOptions({ projectId: selected.data?.projectId ?? "00000000-0000-4000-8000-000000000000", capability: selected.data?.name ?? "x" }),
    enabled: !!selected.data,
  });
  const show = selected.data?.parsed?.show as { overview?: string; requirements?: Requirement[] } | null | undefined;
  return (
    <div className="grid gap-4 lg:grid-cols-[18rem_1fr]">
      <div className="space-y-2">
        <h1 className="text-2xl font-semibold">Specs</h1>
        <Input className="w-full" placeholder="Filter specs…" defaultValue={q} onChange={(e) => view.set({ q: e.target.value })} aria-label="Filter specs" />
        <Card className="max-h-[70vh] overflow-auto p-1" data-testid="spec-list">
          {list.data?.items.map((s) => (
            <button key={s.id} type="button" onClick={() => view.set({ spec: s.id })} className={cn("flex w-full justify-between rounded px-2 py-1.5 text-left text-sm hover:bg-zinc-100 dark:hover:bg-zinc-800", s.id === selectedId && "bg-zinc-100 font-medium dark:bg-zinc-800")}>
              <span className="truncate">{s.name}</span>
              <span className="text-xs text-zinc-500">{s.requirementCount}</span>
            </button>
          ))}
          {list.data?.items.length === 0 ? <p className="p-3 text-sm text-zinc-500">No specs.</p> : null}
        </Card>
      </div>
      <div className="space-y-4">
        {selected.data ? (
          <>
            <div className="flex items-start justify-between gap-2">
              <div>
                <h2 className="text-xl font-semibold">{selected.data.name}</h2>
                <p className="font-mono text-xs text-zinc-500">openspec/{selected.data.path}/spec.md</p>
              </div>
              <Link className="text-sm text-indigo-600 underline dark:text-indigo-400" href={`/changes/${selected.data.id}`}>Open / edit</Link>
            </div>
            {show?.overview ? <p className="text-sm text-zinc-700 dark:text-zinc-300">{show.overview}</p> : null}
            {selected.data.parseError ? <p className="text-sm text-amber-700">{selected.data.parseError}</p> : null}
            <Card className="p-3">
              <h3 className="mb-2 text-sm font-semibold">Changes touching this capability</h3>
              {touching.data?.length ? (
                <ul className="space-y-1 text-sm">
                  {touching.data.map((c) => (
                    <li key={c.id} className="flex items-center gap-2">
                      <Link href={`/changes/${c.id}`} className="hover:underline">{c.title}</Link>
                      <StatusBadge status={c.status} />
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="text-sm text-zinc-500">None.</p>
              )}
            </Card>
            <div className="space-y-3" data-testid="requirements">
              {show?.requirements?.map((r, i) => (
                <Card key={i} className="p-3">
                  <p className="text-sm whitespace-pre-wrap">{r.text}</p>
                  {r.scenarios.map((sc, j) => (
                    <pre key={j} className="mt-2 rounded bg-zinc-50 p-2 text-xs whitespace-pre-wrap dark:bg-zinc-950">{sc.rawText}</pre>
                  ))}
                </Card>
              ))}
            </div>
          </>
        ) : (
          <p className="text-sm text-zinc-500">{list.isPending ? "Loading…" : "Select a spec."}</p>
        )}
      </div>
    </div>
  );
}
