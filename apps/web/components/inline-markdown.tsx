import { SafeMarkdown } from "~/components/safe-markdown";

/**
 * One line of Markdown (a task label, a requirement name) rendered inline: code, emphasis,
 * links; no block wrappers.
 */
export function InlineMarkdown({ text }: { text: string }) {
  return (
    <span className="prose-inline">
      <SafeMarkdown
        text={text}
        inline
        components={{ p: ({ children }) => <>{children}</> }}
        allowedElements={["p", "code", "em", "strong", "a", "del", "br"]}
        unwrapDisallowed
      />
    </span>
  );
}
