/**
 * Answers handed to many callers as the same object (the list cache): frozen, so that no caller
 * can change what the next one gets, and marked, so that the tRPC transformer serialises each
 * once (`memoSerialize`) instead of on every call.
 */
const shared = new WeakSet<object>();

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return;
  // Dates stay usable (frozen Dates still answer getTime; nothing here sets them).
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

export function shareResult<T extends object>(value: T): T {
  deepFreeze(value);
  shared.add(value);
  return value;
}

/** Whether `value` is a shared (frozen, cached) answer: anything derived from it may be kept. */
export function isShared(value: unknown): value is object {
  return value !== null && typeof value === "object" && shared.has(value);
}

/** `serialize`, computed once per shared answer (the answer cannot change: it is frozen). */
export function memoSerialize<R>(serialize: (value: unknown) => R) {
  const done = new WeakMap<object, R>();
  return (value: unknown): R => {
    if (value === null || typeof value !== "object" || !shared.has(value)) return serialize(value);
    let out = done.get(value);
    if (out === undefined) {
      out = serialize(value);
      deepFreeze(out);
      done.set(value, out);
    }
    return out;
  };
}
