"use client";
import { memo, useEffect, useMemo, useState } from "react";
import { SafeMarkdown } from "~/components/safe-markdown";
import { markdownChunks } from "~/lib/markdown-chunks";

const Piece = memo(function Piece({ text }: { text: string }) {
  return <SafeMarkdown text={text} />;
});

/**
 * Rendered Markdown that stays quick for large documents (a 400 KB design.md): the first piece
 * renders at once, the rest follow one piece per frame, so the page is readable and responsive
 * while it fills in.
 */
export function ChunkedMarkdown({ text }: { text: string }) {
  const chunks = useMemo(() => markdownChunks(text), [text]);
  const [shown, setShown] = useState(1);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new text (new chunks) restarts the reveal
  useEffect(() => setShown(1), [chunks]);
  useEffect(() => {
    if (shown >= chunks.length) return;
    const t = setTimeout(() => setShown((n) => n + 1), 0);
    return () => clearTimeout(t);
  }, [shown, chunks]);
  return (
    <>
      {chunks.slice(0, shown).map((c, i) => (
        <Piece
          // biome-ignore lint/suspicious/noArrayIndexKey: chunks are positions in one text, replaced whole
          key={i}
          text={c}
        />
      ))}
      {shown < chunks.length ? (
        <p
          className="text-xs text-zinc-500 dark:text-zinc-400"
          role="status"
          data-testid="rendering-more"
        >
          Rendering the rest of the document…
        </p>
      ) : null}
    </>
  );
}
