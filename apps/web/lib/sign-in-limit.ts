/**
 * Failed sign-ins per client address: at most MAX_FAILURES in WINDOW_MS, then 429 until the oldest
 * of them leaves the window. A guesser gets a few tries per quarter hour instead of thousands a
 * second; a person who mistyped gets their next try after a wait, and a right token clears the
 * count. In memory: one web server process, and a restart only gives back the few tries.
 */
export const MAX_FAILURES = 10;
export const WINDOW_MS = 15 * 60_000;
// Bounds the memory a flood of addresses can take; the oldest address is forgotten first.
const MAX_ADDRESSES = 10_000;

/**
 * The client's address, set by the packaged web server before Next sees the request
 * (apps/server/src/web-process.ts, from the socket; a client's own header of that name is
 * overwritten). Absent (`next start`, `pnpm dev`): all clients share one count.
 */
export const CLIENT_ADDRESS_HEADER = "x-specsync-client-address";

const failures = new Map<string, number[]>();

const recent = (address: string, now: number) =>
  (failures.get(address) ?? []).filter((at) => now - at < WINDOW_MS);

/** Seconds until this address may try again, or 0 when it may now. */
export function retryAfterSeconds(address: string, now = Date.now()): number {
  const times = recent(address, now);
  if (times.length < MAX_FAILURES) return 0;
  const oldest = times[times.length - MAX_FAILURES] ?? now;
  return Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
}

export function recordFailure(address: string, now = Date.now()): void {
  const times = recent(address, now);
  times.push(now);
  failures.delete(address); // re-inserted last: the Map's order is the eviction order
  failures.set(address, times.slice(-MAX_FAILURES));
  if (failures.size > MAX_ADDRESSES) {
    const first = failures.keys().next();
    if (!first.done) failures.delete(first.value);
  }
}

export function clearFailures(address: string): void {
  failures.delete(address);
}
