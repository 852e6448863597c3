import { defaultHighlightStyle, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { type Extension, RangeSetBuilder } from "@codemirror/state";
import {
  Decoration,
  type DecorationSet,
  EditorView,
  ViewPlugin,
  type ViewUpdate,
} from "@codemirror/view";
import { tags as t } from "@lezer/highlight";

/*
 * Dark editor on the page's own zinc-900, every colour at least 7:1 against it (WCAG AAA for text):
 * zinc-200 #e4e4e7 15.2:1 · amber-300 #fcd34d 12.5:1 · indigo-300 #a5b4fc 8.9:1 ·
 * emerald-300 #6ee7b7 12.0:1 · sky-300 #7dd3fc 11.4:1 · zinc-400 #a1a1aa 7.2:1.
 */
const BG = "#18181b";
const darkChrome = EditorView.theme(
  {
    "&": { color: "#e4e4e7", backgroundColor: BG },
    ".cm-content": { caretColor: "#fafafa" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "#fafafa" },
    "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection":
      { backgroundColor: "#3f3f76" },
    ".cm-activeLine": { backgroundColor: "#27272a" },
    ".cm-gutters": { backgroundColor: BG, color: "#a1a1aa", borderRight: "1px solid #3f3f46" },
    ".cm-activeLineGutter": { backgroundColor: "#27272a", color: "#e4e4e7" },
    ".cm-conflict-marker": { backgroundColor: "#7c2d12", color: "#ffedd5" },
    ".cm-conflict-mine": { backgroundColor: "#14532d" },
    ".cm-conflict-disk": { backgroundColor: "#1e3a8a" },
  },
  { dark: true },
);

const darkHighlight = HighlightStyle.define([
  {
    tag: [t.heading1, t.heading2, t.heading3, t.heading4, t.heading5, t.heading6, t.heading],
    color: "#fafafa",
    fontWeight: "bold",
  },
  { tag: t.processingInstruction, color: "#fcd34d" }, // #, -, *, >, ``` and [ ] markers
  { tag: [t.link, t.url], color: "#a5b4fc", textDecoration: "underline" },
  { tag: [t.monospace, t.string], color: "#6ee7b7" },
  { tag: t.emphasis, fontStyle: "italic", color: "#e4e4e7" },
  { tag: t.strong, fontWeight: "bold", color: "#fafafa" },
  { tag: t.quote, color: "#d4d4d8", fontStyle: "italic" },
  { tag: [t.keyword, t.atom, t.bool], color: "#7dd3fc" },
  { tag: [t.comment, t.meta], color: "#a1a1aa" },
  { tag: t.strikethrough, textDecoration: "line-through" },
]);

const lightChrome = EditorView.theme({
  ".cm-conflict-marker": { backgroundColor: "#fed7aa", color: "#7c2d12" },
  ".cm-conflict-mine": { backgroundColor: "#dcfce7" },
  ".cm-conflict-disk": { backgroundColor: "#dbeafe" },
});

export const darkEditorTheme: Extension = [darkChrome, syntaxHighlighting(darkHighlight)];
export const lightEditorTheme: Extension = [lightChrome, syntaxHighlighting(defaultHighlightStyle)];

export const isDarkPage = () =>
  typeof document !== "undefined" && document.documentElement.classList.contains("dark");

const marker = Decoration.line({ class: "cm-conflict-marker" });
const disk = Decoration.line({ class: "cm-conflict-disk" });
const mine = Decoration.line({ class: "cm-conflict-mine" });

function conflictDecorations(view: EditorView): DecorationSet {
  const b = new RangeSetBuilder<Decoration>();
  let side: "disk" | "mine" | null = null;
  for (let i = 1; i <= view.state.doc.lines; i++) {
    const line = view.state.doc.line(i);
    const text = line.text.replace(/\r$/, "");
    if (text.startsWith("<<<<<<<")) (side = "disk"), b.add(line.from, line.from, marker);
    else if (text === "=======" && side) (side = "mine"), b.add(line.from, line.from, marker);
    else if (text.startsWith(">>>>>>>") && side) (side = null), b.add(line.from, line.from, marker);
    else if (side) b.add(line.from, line.from, side === "disk" ? disk : mine);
  }
  return b.finish();
}

/**
 * Colours the regions of a merge conflict (`<<<<<<<` … `=======` … `>>>>>>>`) while they are
 * being edited.
 */
export const conflictRegions = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = conflictDecorations(view);
    }
    update(u: ViewUpdate) {
      if (u.docChanged) this.decorations = conflictDecorations(u.view);
    }
  },
  { decorations: (v) => v.decorations },
);
