"use client";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { markdown } from "@codemirror/lang-markdown";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { useEffect, useRef } from "react";
import { tooDenseForMarkdown } from "~/lib/markdown-density";
import { conflictRegions, darkEditorTheme, isDarkPage, lightEditorTheme } from "./editor-theme";

/**
 * CodeMirror 6 in Markdown mode; Ctrl/Cmd+S calls onSave. Uncontrolled: the initial value seeds it
 * (remount with a key to load another text). Follows the page's dark mode live. `tabMovesFocus`
 * leaves Tab to the browser (inside a dialog, where Tab must cycle through the dialog's controls).
 * A text too dense for Markdown (lib/markdown-density.ts) is edited without Markdown mode: its
 * parser overflowed the stack on 10,000 nested list markers, and the broken editor then dropped
 * every key typed (webattack, session 27).
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
    const language = new Compartment();
    let plain = tooDenseForMarkdown(initial);
    // Re-checked after each edit (one linear pass), outside the update that is running.
    const followDensity = (view: EditorView) => {
      const dense = tooDenseForMarkdown(view.state.doc.toString());
      if (dense === plain) return;
      plain = dense;
      view.dispatch({ effects: language.reconfigure(dense ? [] : markdown()) });
    };
    const view = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(),
          highlightActiveLine(),
          history(),
          language.of(plain ? [] : markdown()),
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
            if (!u.docChanged) return;
            change.current(u.state.doc.toString());
            queueMicrotask(() => followDensity(u.view));
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
