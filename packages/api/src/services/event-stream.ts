import { EventEmitter, on } from "node:events";
import type { SyncHistoryRow } from "@specsync/db";
import type { HistoryService } from "./history-service";
import type { PublishedEvent, SyncEventBus } from "./sync-events";

/** Live events as an async iterable (buffered, so nothing is lost while the consumer is busy). */
export async function* eventStream(
  bus: SyncEventBus,
  signal: AbortSignal | undefined,
): AsyncGenerator<PublishedEvent> {
  const local = new EventEmitter();
  const unsubscribe = bus.subscribe((e) => local.emit("e", e));
  try {
    for await (const [event] of on(local, "e", signal ? { signal } : {}))
      yield event as PublishedEvent;
  } catch (err) {
    if ((err as Error).name !== "AbortError") throw err;
  } finally {
    unsubscribe();
  }
}

/** The event a history row stands for, used to replay what a reconnecting client missed. */
export function eventOfHistory(h: SyncHistoryRow): PublishedEvent {
  const type = !h.success
    ? "sync_failed"
    : h.action === "conflict" && h.trigger !== "conflict_resolution"
      ? "conflict_detected"
      : "spec_changed";
  return {
    type,
    projectId: h.projectId,
    specId: h.specId,
    name: h.name,
    direction: h.direction,
    ...(h.error ? { error: h.error } : {}),
    at: h.createdAt.toISOString(),
    historyId: h.id,
    seq: 0,
  };
}

/**
 * History rows after `lastId`, oldest first, as events (at most 1,000: a client further behind
 * reloads).
 */
export async function eventsSince(
  history: HistoryService,
  lastId: number,
  projectId?: string,
): Promise<PublishedEvent[]> {
  return (await history.after(lastId, 1000, projectId)).map(eventOfHistory);
}
