import ReactMarkdown, { type Options } from "react-markdown";
import remarkGfm from "remark-gfm";
import { tooDenseForMarkdown } from "~/lib/markdown-density";

/**
 * react-markdown with GFM, except for text it cannot render in bounded time (see
 * `lib/markdown-density.ts`): that is shown as plain text, escaped by React, and says so.
 */
export function SafeMarkdown({
  text,
  inline = false,
  ...options
}: { text: string; inline?: boolean } & Omit<Options, "children">) {
  if (tooDenseForMarkdown(text) && inline) {
    return (
      <span
        data-testid="markdown-plain"
        title="Shown as plain text: too many Markdown markers or levels"
      >
        {text}
      </span>
    );
  }
  if (tooDenseForMarkdown(text)) {
    return (
      <div data-testid="markdown-plain">
        <p className="text-xs text-amber-700 dark:text-amber-400" role="note">
          Shown as plain text: too many Markdown markers (* _ ~ [ ] in a paragraph, nested quotes or
          lists, or underlined headings) to format in reasonable time.
        </p>
        <pre className="text-sm break-words whitespace-pre-wrap">{text}</pre>
      </div>
    );
  }
  return (
    <ReactMarkdown remarkPlugins={[remarkGfm]} {...options}>
      {text}
    </ReactMarkdown>
  );
}
