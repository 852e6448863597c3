"use client";
import type { EditorView } from "@codemirror/view";
import type { ValidationFinding } from "@specsync/validators";
import { useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { Archive, Copy, GitMerge, Pencil, Save, X } from "lucide-react";
import { type ReactNode, useEffect, useRef, useState } from "react";
import { ChunkedMarkdown } from "~/components/chunked-markdown";
import { Button } from "~/components/ui/button";
import { useToast } from "~/components/ui/toaster";
import { humanError } from "~/lib/human-error";
import { restoreLineEndings, toEditorText } from "~/lib/line-endings";
import { useTRPC, useTRPCClient } from "~/lib/trpc";
import { timeAgo } from "~/lib/utils";
import { ConflictDialog } from "./conflict-dialog";
import {
  clearDraft,
  type Draft,
  loadDrafts,
  loadOwnDraft,
  ownDraftKey,
  storeDraft,
} from "./drafts";
import { MarkdownEditor } from "./markdown-editor";
import { useUnsavedGuard } from "./use-unsaved-guard";
import { validationLint } from "./validation-lint";

type Conflict = {
  merged: string;
  conflicts: number;
  currentHash: string | null;
  n: number;
  /** The save that met the conflict was "save & close": settling it closes the editor too. */
  close: boolean;
};
type ConflictDetails = {
  merged?: string;
  conflicts?: unknown[];
  currentHash?: string | null;
  /** The save reached the database, only the file write failed: it is the new version. */
  kept?: boolean;
};

/**
 * Replace the editor's text by the smallest change (common start and end kept): the cursor and
 * the undo history survive, and the update listener reports the new text as any edit would.
 */
function replaceDoc(v: EditorView, next: string) {
  const cur = v.state.doc.toString();
  if (cur === next) return;
  const max = Math.min(cur.length, next.length);
  let a = 0;
  while (a < max && cur.charCodeAt(a) === next.charCodeAt(a)) a++;
  let b = 0;
  while (b < max - a && cur.charCodeAt(cur.length - 1 - b) === next.charCodeAt(next.length - 1 - b))
    b++;
  v.dispatch({ changes: { from: a, to: cur.length - b, insert: next.slice(a, next.length - b) } });
}

const actorName = () =>
  typeof window === "undefined" ? "web" : (window.localStorage.getItem("specsync.actor") ?? "web");

/**
 * One file of a change: rendered Markdown, or the editor. Nothing typed is lost: the text is kept
 * as a local draft while typed; saves merge three-way on the server with what changed since the
 * version the edit started from; overlapping edits open the conflict dialog; text a person discards
 * is kept in history.
 */
export function FilePanel({
  specId,
  file,
  content,
  hash,
  emptyHint,
  view: customView,
  findings = [],
  startWith,
  removed = false,
}: {
  specId: string;
  /** The row is gone (its folder removed on disk): the text can be copied or kept, not saved. */
  removed?: boolean;
  file: string;
  content: string | undefined;
  hash: string | undefined;
  emptyHint?: string;
  view?: ReactNode;
  findings?: ValidationFinding[];
  startWith?: string;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [seed, setSeed] = useState({ text: "", n: 0 });
  // The version the user started from: a save must not silently adopt a newer one that arrived
  // live.
  const [baseHash, setBaseHash] = useState<string | null>(null);
  // The same, for code that runs between renders (a queued save, a keystroke during a save).
  const baseRef = useRef<string | null>(null);
  const setBase = (h: string | null) => {
    baseRef.current = h;
    setBaseHash(h);
  };
  /**
   * Versions the editor's text is known to be ahead of (replaced by its own saves): the page may
   * show one of them until its refetch lands, which is not "changed on disk".
   */
  const behind = useRef(new Set<string>());
  /** Ctrl+S pressed while a save was running: saved again as soon as that save is done. */
  const queued = useRef(false);
  const [queuedShown, setQueuedShown] = useState(false);
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const [dirty, setDirty] = useState(false);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [offered, setOffered] = useState<Draft[]>([]);
  const [busy, setBusy] = useState(false);
  const [storageFailed, setStorageFailed] = useState(false);
  const text = useRef("");
  /** The text of the base version; null when the editor started from a draft (always unsaved). */
  const pristine = useRef<string | null>(null);
  /**
   * The file as it was when editing started: its line endings (CRLF, LF, CR, mixed) are put
   * back on save.
   */
  const eolSource = useRef("");
  const view = useRef<EditorView | null>(null);
  const viewBox = useRef<HTMLDivElement>(null);
  const focusEditButton = useRef(false);
  const currentHash = hash ?? null;
  const shownHash = useRef(currentHash);
  shownHash.current = currentHash;

  useUnsavedGuard(
    editing && dirty
      ? `You have unsaved changes to ${file}. Leave this page? (They stay as a draft in this browser.)`
      : null,
  );

  // A draft left by a closed tab, a navigation or a crash is offered back when the file is opened
  // again.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the file opens (see below)
  useEffect(() => {
    const drafts = loadDrafts(specId, file);
    // A draft equal to the file says nothing new; every other one (this tab's or another's) is
    // offered.
    const same = (d: Draft) =>
      content !== undefined && toEditorText(d.content) === toEditorText(content);
    for (const d of drafts) if (same(d)) clearDraft(specId, file, d.key);
    setOffered(drafts.filter((d) => !same(d)));
    // Only when the panel opens: later live updates must not re-offer a draft that is being edited.
  }, [specId, file]);

  useEffect(() => {
    if (!editing && focusEditButton.current) {
      focusEditButton.current = false;
      viewBox.current?.querySelector<HTMLButtonElement>('[data-testid="edit-button"]')?.focus();
    }
  }, [editing]);

  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.specs.pathKey() });

  /** Keep a draft server-side before its slot is reused: text in a draft never just vanishes. */
  const keepSuperseded = async (d: Draft | null, next: string) => {
    if (!d || d.content === next) return;
    try {
      await client.specs.discardDraft.mutate({
        id: specId,
        file,
        content: d.content,
        baseHash: d.baseHash,
      });
    } catch {
      // Not kept server-side: keep it locally under a slot of its own; it is offered again later.
      try {
        window.localStorage.setItem(`${d.key}:${d.savedAt}`, JSON.stringify(d));
      } catch {
        /* storage refused: nothing more can be done here */
      }
    }
  };

  const startEditing = (
    raw: string,
    base: string | null,
    pristineRaw: string | null,
    from?: Draft,
  ) => {
    // CodeMirror holds "\n" only; the file's own line endings are restored on save.
    eolSource.current = pristineRaw ?? content ?? raw;
    const initial = toEditorText(raw);
    const pristineText = pristineRaw === null ? null : toEditorText(pristineRaw);
    const own = loadOwnDraft(specId, file);
    if (own && own.key !== from?.key) void keepSuperseded(own, initial);
    // A draft restored from another tab's slot (or an older one) moves into this tab's slot.
    if (from && from.key !== ownDraftKey(specId, file)) clearDraft(specId, file, from.key);
    text.current = initial;
    pristine.current = pristineText;
    setDirty(pristineText === null || initial !== pristineText);
    setBase(base);
    behind.current = new Set();
    queued.current = false;
    setQueuedShown(false);
    setSavedAt(null);
    setSeed((s) => ({ text: initial, n: s.n + 1 }));
    setOffered((o) => o.filter((d) => d.key !== from?.key && d.key !== own?.key));
    setConflict(null);
    setEditing(true);
    if (pristineText === null || initial !== pristineText)
      setStorageFailed(!storeDraft(specId, file, { content: initial, baseHash: base }));
  };
  /** What is sent to the server: the editor's text with the file's line endings put back. */
  const withEols = (t: string) => restoreLineEndings(eolSource.current, t);

  // `startWith`: open straight in the editor with this text (a new change's first proposal; unsaved
  // until saved).
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the panel opens (see below)
  useEffect(() => {
    if (startWith !== undefined) startEditing(startWith, currentHash, null);
    // Only when the panel opens.
  }, []);

  const onChange = (v: string) => {
    text.current = v;
    const isDirty = pristine.current === null || v !== pristine.current;
    setDirty(isDirty);
    if (isDirty)
      setStorageFailed(!storeDraft(specId, file, { content: v, baseHash: baseRef.current }));
    else clearDraft(specId, file);
  };

  const finish = () => {
    clearDraft(specId, file);
    setConflict(null);
    setDirty(false);
    focusEditButton.current = true;
    setEditing(false);
  };

  // A dialog closed (conflict settled or Esc): the keyboard goes back to the editor, unless the
  // person has put the focus somewhere on purpose meanwhile.
  useEffect(() => {
    const a = document.activeElement;
    if (editing && !conflict && (!a || a === document.body)) view.current?.focus();
  }, [editing, conflict]);

  const saving = useRef(false);
  type Saved = { hash: string; content: string; outcome: string };
  /**
   * A save's answer: the editor stays open on what was saved (a save never takes the keyboard
   * away), unless `close` (Save & close) and nothing was typed meanwhile. Returns whether a
   * queued Ctrl+S has text to save.
   */
  const afterSave = (r: Saved, base: string | null, typedAtStart: string, close: boolean) => {
    eolSource.current = r.content;
    setConflict(null);
    setSavedAt(Date.now());
    const again = queued.current;
    queued.current = false;
    setQueuedShown(false);
    if (text.current !== typedAtStart) {
      // Typed during the save: that text stays in the editor, unsaved and kept as a draft. A
      // clean save becomes the new base; after a merge the old base stays, so the next save
      // merges again (the editor's text lacks the lines the merge brought in).
      const nextBase = r.outcome === "merged" ? base : r.hash;
      if (r.outcome !== "merged") pristine.current = toEditorText(r.content);
      setBase(nextBase);
      setDirty(true);
      setStorageFailed(!storeDraft(specId, file, { content: text.current, baseHash: nextBase }));
      toast({
        tone: "info",
        title: `Saved ${file}`,
        body: again
          ? "Now saving what you typed while it was saving."
          : "What you typed while it was saving is not saved yet: it stays in the editor.",
      });
      return again;
    }
    // The editor now holds exactly what was saved (a merge's or the dialog's text put in).
    const saved = toEditorText(r.content);
    pristine.current = saved;
    setBase(r.hash);
    if (view.current) replaceDoc(view.current, saved);
    text.current = saved;
    setDirty(false);
    clearDraft(specId, file);
    if (close && !again) finish();
    toast(
      r.outcome === "merged"
        ? {
            tone: "info",
            title: `Saved ${file}, merged`,
            body: "Changes made to other lines since you opened it were kept too.",
          }
        : { tone: "info", title: `Saved ${file}`, body: "Written to the database and to disk." },
    );
    return false;
  };

  /** `replaced`: the versions a save that reached the database (kept) replaced. */
  const saveFailed = (err: unknown, close: boolean, replaced: (string | null)[]) => {
    // A queued Ctrl+S waits for the person: the dialog or the error comes first.
    queued.current = false;
    setQueuedShown(false);
    const details =
      err instanceof TRPCClientError
        ? ((err.data as { details?: ConflictDetails } | undefined)?.details ?? null)
        : null;
    const merged = details?.merged;
    if (
      err instanceof TRPCClientError &&
      err.data?.code === "CONFLICT" &&
      typeof merged === "string"
    ) {
      setConflict((c) => ({
        merged,
        conflicts: details?.conflicts?.length ?? 1,
        currentHash: details?.currentHash ?? null,
        n: (c?.n ?? 0) + 1,
        close,
      }));
    } else {
      // Kept in the database: the next save (a retry) is made on that version, not merged with it.
      if (details?.kept && details.currentHash) {
        for (const h of replaced) if (h) behind.current.add(h);
        setBase(details.currentHash);
      }
      toast({
        tone: "error",
        title: `Could not save ${file}`,
        body: `${humanError(err)} Your text is still in the editor and kept as a draft.`,
      });
    }
  };

  const save = async (content: string, base: string | null, close = false) => {
    if (removed) {
      toast({
        tone: "error",
        title: `Could not save ${file}`,
        body: "This change was removed on disk. Your text is still in the editor: copy it, or keep it in History.",
      });
      return;
    }
    if (saving.current) {
      // Ctrl+S again during a save: saved as soon as this one is done, on the version it wrote.
      queued.current = true;
      setQueuedShown(true);
      return;
    }
    saving.current = true;
    setBusy(true);
    // The editor's text when the save started: anything typed while it runs must survive it.
    const typedAtStart = text.current;
    const shown = shownHash.current;
    let again = false;
    try {
      const r = await client.specs.update.mutate({
        id: specId,
        file,
        content: withEols(content),
        baseHash: base,
      });
      if (base) behind.current.add(base);
      if (shown) behind.current.add(shown);
      again = afterSave(r, base, typedAtStart, close);
    } catch (err) {
      saveFailed(err, close, [base, shown]);
    } finally {
      saving.current = false;
      setBusy(false);
    }
    void invalidate();
    if (again) await save(text.current, baseRef.current);
  };

  /** Keep the text server-side (a "draft discarded" history entry), then let it go here. */
  const discard = async (content: string, base: string | null, title: string, fromKey?: string) => {
    setBusy(true);
    try {
      const r = await client.specs.discardDraft.mutate({
        id: specId,
        file,
        content,
        baseHash: base,
      });
      if (fromKey) clearDraft(specId, file, fromKey);
      else clearDraft(specId, file);
      setOffered((o) => o.filter((d) => d.key !== fromKey));
      toast({
        tone: "info",
        title,
        body: `Your text is kept in History as “draft discarded by ${actorName()}” (entry #${r.historyId}); restore it from there.`,
        href: `${window.location.pathname}?tab=history`,
      });
      return true;
    } catch (err) {
      toast({
        tone: "error",
        title: "Your text could not be kept in history, so it was not discarded",
        body: humanError(err),
      });
      return false;
    } finally {
      setBusy(false);
    }
  };

  /** The file's folder is gone: put the text on the clipboard, else select it for Ctrl+C. */
  const copyText = async () => {
    try {
      await navigator.clipboard.writeText(withEols(text.current));
      toast({ tone: "info", title: `Copied your ${file} text`, body: "Paste it where you like." });
    } catch {
      const v = view.current;
      v?.dispatch({ selection: { anchor: 0, head: v.state.doc.length } });
      v?.focus();
      toast({ tone: "info", title: "Text selected", body: "Press Ctrl/Cmd+C to copy it." });
    }
  };

  const keepDisk = async () => {
    if (await discard(text.current, baseRef.current, "Kept the disk version")) finish();
  };

  const cancel = async () => {
    if (!dirty) return finish();
    if (!window.confirm(`Discard your unsaved changes to ${file}? They will be kept in History.`))
      return;
    if (await discard(text.current, baseRef.current, `Discarded your changes to ${file}`)) finish();
  };

  /** Bring the disk's newer version into the editor now: merged with the user's text, not saved. */
  const mergeNow = async () => {
    setBusy(true);
    try {
      const p = await client.specs.previewMerge.mutate({
        id: specId,
        file,
        content: withEols(text.current),
        baseHash: baseRef.current,
      });
      if (p.clean) {
        startEditing(p.text, p.currentHash, p.currentContent);
        toast({
          tone: "info",
          title: `Merged the newer ${file} into your text`,
          body: "Not saved yet: review it, then save.",
        });
      } else {
        setConflict((c) => ({
          merged: p.text,
          conflicts: p.conflicts.length,
          currentHash: p.currentHash,
          n: (c?.n ?? 0) + 1,
          close: false,
        }));
      }
    } catch (err) {
      toast({ tone: "error", title: "Could not merge", body: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  if (!editing) {
    return (
      <div>
        {offered.map((d, i) => (
          <div
            key={d.key}
            className="mb-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-800 dark:bg-amber-950"
            role="status"
            data-testid="draft-offer"
          >
            <strong>You have unsaved changes to {file}</strong> from {timeAgo(new Date(d.savedAt))}
            {d.key === ownDraftKey(specId, file)
              ? ""
              : offered.length > 1
                ? ` (draft ${i + 1} of ${offered.length}, newest first, from another tab)`
                : " (from another tab)"}
            {d.baseHash === currentHash
              ? "."
              : ", made on an earlier version: saving merges them with what changed since."}
            <pre
              className="mt-2 max-h-24 overflow-auto text-xs whitespace-pre-wrap text-zinc-600 dark:text-zinc-400"
              data-testid="draft-preview"
            >
              {d.content.slice(0, 400)}
            </pre>
            <div className="mt-2 flex gap-2">
              <Button
                size="sm"
                onClick={() => startEditing(d.content, d.baseHash, null, d)}
                data-testid="draft-restore"
              >
                Restore draft
              </Button>
              <Button
                size="sm"
                variant="outline"
                disabled={busy}
                onClick={() => void discard(d.content, d.baseHash, "Draft discarded", d.key)}
                data-testid="draft-discard"
              >
                Discard draft
              </Button>
            </div>
          </div>
        ))}
        <div className="mb-3 flex justify-end" ref={viewBox}>
          <Button
            variant="outline"
            size="sm"
            disabled={removed}
            onClick={() => startEditing(content ?? "", currentHash, content ?? "")}
            data-testid="edit-button"
          >
            <Pencil className="h-3.5 w-3.5" aria-hidden />{" "}
            {content === undefined ? `Create ${file}` : "Edit"}
          </Button>
        </div>
        {content === undefined ? (
          <p className="py-8 text-center text-sm text-zinc-500 dark:text-zinc-400">
            {emptyHint ?? `No ${file} yet.`}
          </p>
        ) : customView ? (
          customView
        ) : (
          <article className="prose-spec max-w-none" data-testid="rendered">
            <ChunkedMarkdown text={content.replace(/^\uFEFF/, "")} />
          </article>
        )}
      </div>
    );
  }
  const changedOnDisk =
    !removed &&
    currentHash !== baseHash &&
    !conflict &&
    !(currentHash && behind.current.has(currentHash));
  return (
    <div>
      {/* Sticky under the site header: Save and Cancel stay reachable in long documents. */}
      <div
        className="sticky top-14 z-30 -mx-2 mb-3 flex flex-wrap items-center justify-between gap-2 rounded-md border border-zinc-200 bg-white/95 px-2 py-1.5 shadow-sm backdrop-blur dark:border-zinc-800 dark:bg-zinc-900/95"
        data-testid="editor-toolbar"
      >
        <span
          className="text-xs text-zinc-500 dark:text-zinc-400"
          aria-live="polite"
          data-testid="editor-status"
          data-state={busy ? "saving" : dirty ? "unsaved" : savedAt !== null ? "saved" : "clean"}
        >
          Editing {file} · Ctrl/Cmd+S saves and keeps editing
          {dirty
            ? " · unsaved (kept as a draft in this browser)"
            : savedAt !== null && !busy
              ? " · saved"
              : ""}
          {busy ? " · saving…" : ""}
          {queuedShown ? " · saves again when done" : ""}
          {storageFailed ? (
            <span className="text-red-600 dark:text-red-400">
              {" "}
              · this browser refused to keep a draft
            </span>
          ) : null}
        </span>
        <div className="flex gap-2">
          <Button
            variant="ghost"
            size="sm"
            onClick={() => void cancel()}
            disabled={busy}
            data-testid="cancel-button"
          >
            <X className="h-3.5 w-3.5" aria-hidden /> {dirty ? "Cancel" : "Close"}
          </Button>
          <Button
            size="sm"
            onClick={() => void save(text.current, baseRef.current, true)}
            disabled={busy}
            data-testid="save-button"
          >
            <Save className="h-3.5 w-3.5" aria-hidden /> {busy ? "Saving…" : "Save & close"}
          </Button>
        </div>
      </div>
      {removed ? (
        <div
          className="mb-3 flex flex-wrap items-center justify-between gap-2 rounded-md border border-red-300 bg-red-50 p-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-300"
          role="alert"
          data-testid="editor-removed"
        >
          <span className="min-w-0">
            This change was removed on disk, so {file} cannot be saved to it. Your text is here:
            copy it, or keep it in History (in the database).
          </span>
          <div className="flex flex-wrap gap-2">
            <Button
              size="sm"
              variant="outline"
              onClick={() => void copyText()}
              data-testid="removed-copy"
            >
              <Copy className="h-3.5 w-3.5" aria-hidden /> Copy text
            </Button>
            <Button
              size="sm"
              variant="outline"
              disabled={busy}
              onClick={() =>
                void discard(text.current, baseRef.current, "Kept your text in History")
              }
              data-testid="removed-keep"
            >
              <Archive className="h-3.5 w-3.5" aria-hidden /> Keep in History
            </Button>
          </div>
        </div>
      ) : null}
      {changedOnDisk ? (
        <div
          className="mb-3 flex flex-wrap items-center justify-between gap-2 rounded-md border border-sky-300 bg-sky-50 p-2 text-sm dark:border-sky-800 dark:bg-sky-950"
          role="status"
          aria-live="polite"
          data-testid="changed-on-disk"
        >
          <span>{file} was changed on disk while you were editing. Your text is untouched.</span>
          <Button
            size="sm"
            variant="outline"
            onClick={() => void mergeNow()}
            disabled={busy}
            data-testid="merge-now"
          >
            <GitMerge className="h-3.5 w-3.5" aria-hidden /> Merge now
          </Button>
        </div>
      ) : null}
      <MarkdownEditor
        key={`${specId}:${file}:${seed.n}`}
        initial={seed.text}
        onChange={onChange}
        onSave={() => void save(text.current, baseRef.current)}
        onView={(v) => (view.current = v)}
        label={`Edit ${file}`}
        extensions={validationLint(findings)}
      />
      {conflict ? (
        <ConflictDialog
          key={conflict.n}
          file={file}
          merged={conflict.merged}
          conflicts={conflict.conflicts}
          busy={busy}
          onSaveMerged={(merged) =>
            void save(toEditorText(merged), conflict.currentHash, conflict.close)
          }
          onKeepMine={() => void save(text.current, conflict.currentHash, conflict.close)}
          onKeepDisk={() => void keepDisk()}
          onClose={() => setConflict(null)}
        />
      ) : null}
    </div>
  );
}
