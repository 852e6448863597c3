"use client";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { markdown } from "@codemirror/lang-markdown";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { useEffect, useRef } from "react";
import { conflictRegions, darkEditorTheme, isDarkPage, lightEditorTheme } from "./editor-theme";

/**
 * CodeMirror 6 in Markdown mode; Ctrl/Cmd+S calls onSave. Uncontrolled: the initial value seeds it
 * (remount with a key to load another text). Follows the page's dark mode live. `tabMovesFocus`
 * leaves Tab to the browser (inside a dialog, where Tab must cycle through the dialog's controls).
 */
export function MarkdownEditor({
  initial,
  onChange,
  onSave,
  onView,
  autoFocus = true,
  tabMovesFocus = false,
  label,
  testId = "editor",
  extensions = [],
}: {
  initial: string;
  onChange: (v: string) => void;
  onSave: () => void;
  onView?: (view: EditorView | null) => void;
  autoFocus?: boolean;
  tabMovesFocus?: boolean;
  label?: string;
  testId?: string;
  /** Extra behaviour, e.g. the validation findings at their lines. */
  extensions?: Extension[];
}) {
  const host = useRef<HTMLDivElement>(null);
  const save = useRef(onSave);
  const change = useRef(onChange);
  const viewRef = useRef(onView);
  save.current = onSave;
  change.current = onChange;
  viewRef.current = onView;
  // biome-ignore lint/correctness/useExhaustiveDependencies: seeded once per mount (see the end)
  useEffect(() => {
    if (!host.current) return;
    const theme = new Compartment();
    const view = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(),
          highlightActiveLine(),
          history(),
          markdown(),
          theme.of(isDarkPage() ? darkEditorTheme : lightEditorTheme),
          conflictRegions,
          EditorView.lineWrapping,
          keymap.of([
            { key: "Mod-s", preventDefault: true, run: () => (save.current(), true) },
            ...(tabMovesFocus ? [] : [indentWithTab]),
            ...defaultKeymap,
            ...historyKeymap,
          ]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) change.current(u.state.doc.toString());
          }),
          EditorView.contentAttributes.of({ "aria-label": label ?? "Markdown editor" }),
          EditorView.theme({
            "&": { minHeight: "24rem" },
            ".cm-scroller": { fontFamily: "var(--font-mono)" },
          }),
          // Extra behaviour from the caller, e.g. the validation findings at their lines.
          ...extensions,
        ],
      }),
    });
    // The theme toggle flips a class on <html>: follow it without remounting (the text and undo
    // stay).
    const observer = new MutationObserver(() =>
      view.dispatch({
        effects: theme.reconfigure(isDarkPage() ? darkEditorTheme : lightEditorTheme),
      }),
    );
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    viewRef.current?.(view);
    if (autoFocus) view.focus();
    return () => {
      observer.disconnect();
      viewRef.current?.(null);
      view.destroy();
    };
    // Seeded once per mount; the parent remounts with a key to load another text.
  }, []);
  return <div ref={host} data-testid={testId} />;
}
