/**
 * Split a Markdown document into pieces that render the same on their own: cuts only before a
 * heading (outside fenced code), once a piece has reached `size` characters. Rendering a large
 * document piece by piece shows the first screen at once instead of after the whole document was
 * parsed.
 */
export function markdownChunks(text: string, size = 12_000): string[] {
  if (text.length <= size) return [text];
  const out: string[] = [];
  const lines = text.split("\n");
  let fence: string | null = null;
  let start = 0;
  let length = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const mark = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1]?.[0];
    if (mark) fence = fence === null ? mark : mark === fence ? null : fence;
    if (fence === null && i > start && length >= size && /^#{1,6}\s/.test(line)) {
      out.push(lines.slice(start, i).join("\n"));
      start = i;
      length = 0;
    }
    length += line.length + 1;
  }
  out.push(lines.slice(start).join("\n"));
  return out;
}
