"use client";
import { useState } from "react";
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { Pencil, Save, X } from "lucide-react";
import { useTRPC } from "~/lib/trpc";
import { Button } from "~/components/ui/button";
import { useToast } from "~/components/ui/toaster";
import { MarkdownEditor } from "./markdown-editor";
import { ConflictDialog } from "./conflict-dialog";
import type { ValidationFinding } from "@specsync/validators";
import { validationLint } from "./validation-lint";

type Conflict = { disk: string | null; hash: string | null };

/** One file of a change: rendered Markdown, or the editor. Saves send the base hash; CONFLICT opens the diff. */
export function FilePanel({ specId, file, content, hash, emptyHint, findings = [], startWith }: { specId: string; file: string; content: string | undefined; hash: string | undefined; emptyHint?: string; findings?: ValidationFinding[]; startWith?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  // `startWith`: open straight in the editor with this text (a new change's first proposal).
  const [editing, setEditing] = useState(startWith !== undefined);
  const [draft, setDraft] = useState(content ?? startWith ?? "");
  const [conflict, setConflict] = useState<Conflict | null>(null);
  // The version the user started from: a save must not silently adopt a newer one that arrived live.
  const [baseHash, setBaseHash] = useState<string | null>(null);
  const update = useMutation(trpc.specs.update.mutationOptions());

  const save = async (baseHash: string | null) => {
    try {
      await update.mutateAsync({ id: specId, file, content: draft, baseHash });
      setConflict(null);
      setEditing(false);
      toast({ tone: "info", title: `Saved ${file}`, body: "Written to the database and to disk." });
      await queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
    } catch (err) {
      if (err instanceof TRPCClientError && err.data?.code === "CONFLICT") {
        const details = (err.data as { details?: { currentContent?: string | null; currentHash?: string | null } }).details;
        setConflict({ disk: details?.currentContent ?? null, hash: details?.currentHash ?? null });
        await queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });
      } else {
        toast({ tone: "error", title: `Could not save ${file}`, body: (err as Error).message });
      }
    }
  };

  if (!editing) {
    return (
      <div>
        <div className="mb-3 flex justify-end">
          <Button variant="outline" size="sm" onClick={() => (setDraft(content ?? ""), setBaseHash(hash ?? null), setEditing(true))} data-testid="edit-button">
            <Pencil className="h-3.5 w-3.5" aria-hidden /> {content === undefined ? `Create ${file}` : "Edit"}
          </Button>
        </div>
        {content === undefined ? (
          <p className="py-8 text-center text-sm text-zinc-500">{emptyHint ?? `No ${file} yet.`}</p>
        ) : (
          <article className="prose-spec max-w-none" data-testid="rendered">
            <ReactMarkdown remarkPlugins={[remarkGfm]}>{content.replace(/^\uFEFF/, "")}</ReactMarkdown>
          </article>
        )}
      </div>
    );
  }
  return (
    <div>
      <div className="mb-3 flex items-center justify-between gap-2">
        <span className="text-xs text-zinc-500">Editing {file} · Ctrl/Cmd+S saves</span>
        <div className="flex gap-2">
          <Button variant="ghost" size="sm" onClick={() => setEditing(false)}>
            <X className="h-3.5 w-3.5" aria-hidden /> Cancel
          </Button>
          <Button size="sm" onClick={() => save(baseHash)} disabled={update.isPending} data-testid="save-button">
            <Save className="h-3.5 w-3.5" aria-hidden /> {update.isPending ? "Saving…" : "Save"}
          </Button>
        </div>
      </div>
      <MarkdownEditor key={`${specId}:${file}`} initial={draft} onChange={setDraft} onSave={() => save(baseHash)} extensions={validationLint(findings)} />
      {conflict ? (
        <ConflictDialog
          file={file}
          disk={conflict.disk}
          mine={draft}
          busy={update.isPending}
          onKeepDisk={() => {
            setConflict(null);
            setEditing(false);
            toast({ tone: "info", title: "Kept the disk version", body: "Your text was not saved." });
          }}
          onOverwrite={() => {
            setBaseHash(conflict.hash);
            void save(conflict.hash);
          }}
        />
      ) : null}
    </div>
  );
}
