/**
 * Unsaved editor text, kept in this browser's localStorage as it is typed, with the hash of the
 * version it was made on: a closed tab, a crash or a navigation never loses it, and a later save
 * merges it three-way against that base. Each tab writes its own slot
 * (`specsync.draft:<id>:<file>:<tab>`, the tab id lives in sessionStorage, so a reload keeps it):
 * two tabs editing one file never overwrite each other's text.
 */
export type Draft = { content: string; baseHash: string | null; savedAt: number; key: string };

const prefix = (specId: string, file: string) => `specsync.draft:${specId}:${file}`;

let tab: string | null = null;
/**
 * This tab's id: kept in sessionStorage (survives reloads of this tab, not shared with other
 * tabs).
 */
export function tabId(): string {
  if (tab) return tab;
  try {
    tab = window.sessionStorage.getItem("specsync.tab");
    if (!tab) {
      tab = crypto.randomUUID();
      window.sessionStorage.setItem("specsync.tab", tab);
    }
  } catch {
    tab ??= Math.random().toString(36).slice(2);
  }
  return tab;
}

export const ownDraftKey = (specId: string, file: string) => `${prefix(specId, file)}:${tabId()}`;

function parse(key: string, raw: string | null): Draft | null {
  if (!raw) return null;
  try {
    const d = JSON.parse(raw) as Partial<Draft>;
    return typeof d.content === "string"
      ? {
          content: d.content,
          baseHash: typeof d.baseHash === "string" ? d.baseHash : null,
          savedAt: Number(d.savedAt) || 0,
          key,
        }
      : null;
  } catch {
    return null;
  }
}

/**
 * Every draft of this file in this browser (all tabs, and the single slot of older versions),
 * newest first.
 */
export function loadDrafts(specId: string, file: string): Draft[] {
  const p = prefix(specId, file);
  const out: Draft[] = [];
  try {
    for (let i = 0; i < window.localStorage.length; i++) {
      const k = window.localStorage.key(i);
      if (k === p || k?.startsWith(`${p}:`)) {
        const d = parse(k, window.localStorage.getItem(k));
        if (d) out.push(d);
      }
    }
  } catch {
    /* storage disabled: no drafts */
  }
  return out.sort((a, b) => b.savedAt - a.savedAt);
}

/** This tab's draft of the file, if any. */
export function loadOwnDraft(specId: string, file: string): Draft | null {
  const k = ownDraftKey(specId, file);
  try {
    return parse(k, window.localStorage.getItem(k));
  } catch {
    return null;
  }
}

/**
 * False when the browser refused (storage full or disabled): the caller warns instead of
 * pretending.
 */
export function storeDraft(
  specId: string,
  file: string,
  draft: Pick<Draft, "content" | "baseHash">,
): boolean {
  try {
    window.localStorage.setItem(
      ownDraftKey(specId, file),
      JSON.stringify({ content: draft.content, baseHash: draft.baseHash, savedAt: Date.now() }),
    );
    return true;
  } catch {
    return false;
  }
}

/** Forget one slot (this tab's by default). */
export function clearDraft(specId: string, file: string, key = ownDraftKey(specId, file)) {
  try {
    window.localStorage.removeItem(key);
  } catch {
    /* nothing to clear */
  }
}
