/**
 * Unsaved editor text, kept in this browser's localStorage as it is typed, with the hash of the version
 * it was made on: a closed tab, a crash or a navigation never loses it, and a later save merges it
 * three-way against that base.
 */
export type Draft = { content: string; baseHash: string | null; savedAt: number };

const key = (specId: string, file: string) => `specsync.draft:${specId}:${file}`;

export function loadDraft(specId: string, file: string): Draft | null {
  try {
    const raw = window.localStorage.getItem(key(specId, file));
    if (!raw) return null;
    const d = JSON.parse(raw) as Partial<Draft>;
    return typeof d.content === "string" ? { content: d.content, baseHash: typeof d.baseHash === "string" ? d.baseHash : null, savedAt: Number(d.savedAt) || 0 } : null;
  } catch {
    return null;
  }
}

/** False when the browser refused (storage full or disabled): the caller warns instead of pretending. */
export function storeDraft(specId: string, file: string, draft: Omit<Draft, "savedAt">): boolean {
  try {
    window.localStorage.setItem(key(specId, file), JSON.stringify({ ...draft, savedAt: Date.now() }));
    return true;
  } catch {
    return false;
  }
}

export function clearDraft(specId: string, file: string) {
  try {
    window.localStorage.removeItem(key(specId, file));
  } catch {
    /* nothing to clear */
  }
}
