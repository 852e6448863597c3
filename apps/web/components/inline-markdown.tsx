import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";

/**
 * One line of Markdown (a task label, a requirement name) rendered inline: code, emphasis,
 * links; no block wrappers.
 */
export function InlineMarkdown({ text }: { text: string }) {
  return (
    <span className="prose-inline">
      <ReactMarkdown
        remarkPlugins={[remarkGfm]}
        components={{ p: ({ children }) => <>{children}</> }}
        allowedElements={["p", "code", "em", "strong", "a", "del", "br"]}
        unwrapDisallowed
      >
        {text}
      </ReactMarkdown>
    </span>
  );
}
