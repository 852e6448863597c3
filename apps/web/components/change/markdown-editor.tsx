"use client";
import { useEffect, useRef } from "react";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { markdown } from "@codemirror/lang-markdown";
import { EditorState, type Extension } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine } from "@codemirror/view";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";

/** CodeMirror 6 in Markdown mode; Ctrl/Cmd+S calls onSave. Uncontrolled: the initial value seeds it. */
export function MarkdownEditor({ initial, onChange, onSave, extensions = [] }: { initial: string; onChange: (v: string) => void; onSave: () => void; extensions?: Extension[] }) {
  const host = useRef<HTMLDivElement>(null);
  const save = useRef(onSave);
  const change = useRef(onChange);
  save.current = onSave;
  change.current = onChange;
  useEffect(() => {
    if (!host.current) return;
    const view = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(),
          highlightActiveLine(),
          history(),
          markdown(),
          syntaxHighlighting(defaultHighlightStyle),
          EditorView.lineWrapping,
          keymap.of([{ key: "Mod-s", preventDefault: true, run: () => (save.current(), true) }, indentWithTab, ...defaultKeymap, ...historyKeymap]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) change.current(u.state.doc.toString());
          }),
          EditorView.theme({ "&": { minHeight: "24rem" }, ".cm-scroller": { fontFamily: "var(--font-mono)" } }),
          // Extra behaviour from the caller, e.g. the validation findings at their lines.
          ...extensions,
        ],
      }),
    });
    view.focus();
    return () => view.destroy();
    // Seeded once per mount; the parent remounts with a key to load another text.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return <div ref={host} data-testid="editor" />;
}
