"use client";
import { diffLines } from "diff";
import { Button } from "~/components/ui/button";

/** Side-by-side view of the disk version and the user's text; nothing is discarded silently. */
export function ConflictDialog(props: { file: string; disk: string | null; mine: string; onKeepDisk: () => void; onOverwrite: () => void; busy?: boolean }) {
  const parts = diffLines(props.disk ?? "", props.mine);
  return (
    <div role="dialog" aria-modal="true" aria-labelledby="conflict-title" data-testid="conflict-dialog" className="fixed inset-0 z-50 flex items-center justify-center bg-black/40 p-4">
      <div className="flex max-h-[90vh] w-full max-w-6xl flex-col rounded-lg bg-white shadow-xl dark:bg-zinc-900">
        <div className="border-b border-zinc-200 p-4 dark:border-zinc-800">
          <h2 id="conflict-title" className="text-lg font-semibold">{props.file} changed while you were editing</h2>
          <p className="text-sm text-zinc-500">Someone (an editor, an agent, the CLI) saved this file after you opened it. Choose which version to keep; the other one stays in the history.</p>
        </div>
        <div className="grid min-h-0 flex-1 grid-cols-2 gap-px overflow-auto bg-zinc-200 font-mono text-xs dark:bg-zinc-800">
          <div className="bg-white p-2 dark:bg-zinc-900">
            <div className="mb-1 font-sans text-xs font-semibold text-zinc-500 uppercase">On disk now</div>
            {parts.filter((p) => !p.added).map((p, i) => (
              <pre key={i} className={`whitespace-pre-wrap ${p.removed ? "bg-red-100 dark:bg-red-950" : ""}`}>{p.value}</pre>
            ))}
          </div>
          <div className="bg-white p-2 dark:bg-zinc-900">
            <div className="mb-1 font-sans text-xs font-semibold text-zinc-500 uppercase">Your version</div>
            {parts.filter((p) => !p.removed).map((p, i) => (
              <pre key={i} className={`whitespace-pre-wrap ${p.added ? "bg-emerald-100 dark:bg-emerald-950" : ""}`}>{p.value}</pre>
            ))}
          </div>
        </div>
        <div className="flex justify-end gap-2 border-t border-zinc-200 p-3 dark:border-zinc-800">
          <Button variant="outline" onClick={props.onKeepDisk} disabled={props.busy} data-testid="keep-disk">Keep disk version</Button>
          <Button variant="destructive" onClick={props.onOverwrite} disabled={props.busy} data-testid="overwrite-mine">Overwrite with mine</Button>
        </div>
      </div>
    </div>
  );
}
