"use client";
import { type KeyboardEvent as ReactKeyboardEvent, useEffect, useRef, useState } from "react";
import { Button } from "~/components/ui/button";
import { MarkdownEditor } from "./markdown-editor";

const FOCUSABLE =
  'button:not([disabled]), [href], input:not([disabled]), select, textarea, [contenteditable="true"], [tabindex]:not([tabindex="-1"])';
const hasMarkers = (text: string) => /^<<<<<<< /m.test(text) || /^>>>>>>> /m.test(text);

/**
 * Overlapping edits: the merged text with its conflict regions, editable; or one side entirely.
 * Whatever is not kept stays in history. Esc closes (back to editing); focus stays inside while
 * open.
 */
export function ConflictDialog(props: {
  file: string;
  merged: string;
  conflicts: number;
  busy?: boolean;
  onSaveMerged: (text: string) => void;
  onKeepDisk: () => void;
  onKeepMine: () => void;
  onClose: () => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [text, setText] = useState(props.merged);
  const [error, setError] = useState<string | null>(null);
  const close = useRef(props.onClose);
  close.current = props.onClose;

  useEffect(() => {
    // Esc closes even while the editor inside has focus (capture: before CodeMirror sees it).
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close.current();
      }
    };
    // Focus that escapes (a click on the backdrop, a programmatic focus) is brought back in.
    const onFocus = (e: FocusEvent) => {
      if (box.current && e.target instanceof Node && !box.current.contains(e.target))
        box.current.querySelector<HTMLElement>(FOCUSABLE)?.focus();
    };
    document.addEventListener("keydown", onKey, true);
    document.addEventListener("focusin", onFocus);
    return () => {
      document.removeEventListener("keydown", onKey, true);
      document.removeEventListener("focusin", onFocus);
    };
  }, []);

  const trap = (e: ReactKeyboardEvent) => {
    if (e.key !== "Tab" || !box.current) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.offsetParent !== null || el === document.activeElement,
    );
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return;
    const inside = box.current.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  };

  const saveMerged = () => {
    if (hasMarkers(text)) {
      setError(
        "The text still has conflict markers (<<<<<<< / ======= / >>>>>>>). Keep the lines you want, delete the markers, then save.",
      );
      return;
    }
    props.onSaveMerged(text);
  };

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/50 p-4">
      <div
        ref={box}
        role="dialog"
        aria-modal="true"
        aria-labelledby="conflict-title"
        aria-describedby="conflict-help"
        data-testid="conflict-dialog"
        onKeyDown={trap}
        className="flex max-h-[92vh] w-full max-w-5xl flex-col rounded-lg bg-white shadow-xl dark:bg-zinc-900"
      >
        <div className="border-b border-zinc-200 p-4 dark:border-zinc-800">
          <h2 id="conflict-title" className="text-lg font-semibold">
            {props.file} changed on the lines you edited
          </h2>
          <p id="conflict-help" className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Someone (an editor, an agent, the CLI) saved this file after you opened it. Changes to
            other lines are already merged below. In the{" "}
            {props.conflicts === 1
              ? "highlighted region"
              : `${props.conflicts} highlighted regions`}
            , the disk&apos;s lines are above <code>=======</code> and yours below: keep what you
            want and delete the marker lines, then save. Whichever version is not kept stays in the
            History tab.
          </p>
        </div>
        <div className="min-h-0 flex-1 overflow-auto p-3">
          <MarkdownEditor
            initial={props.merged}
            onChange={(v) => (setText(v), setError(null))}
            onSave={saveMerged}
            tabMovesFocus
            label={`Merged ${props.file}`}
            testId="merge-editor"
          />
        </div>
        {error ? (
          <p
            className="px-4 text-sm text-red-700 dark:text-red-400"
            role="alert"
            data-testid="merge-error"
          >
            {error}
          </p>
        ) : null}
        <div className="flex flex-wrap justify-end gap-2 border-t border-zinc-200 p-3 dark:border-zinc-800">
          <Button variant="ghost" onClick={props.onClose} data-testid="conflict-close">
            Back to editing (Esc)
          </Button>
          <Button
            variant="outline"
            onClick={props.onKeepDisk}
            disabled={props.busy}
            data-testid="keep-disk"
          >
            Keep disk version
          </Button>
          <Button
            variant="outline"
            onClick={props.onKeepMine}
            disabled={props.busy}
            data-testid="overwrite-mine"
          >
            Keep mine
          </Button>
          <Button onClick={saveMerged} disabled={props.busy} data-testid="save-merged">
            Save merged
          </Button>
        </div>
      </div>
    </div>
  );
}
