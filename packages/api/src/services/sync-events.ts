import { EventEmitter } from "node:events";
import type { Database } from "@specsync/db";
import type { SyncEvent } from "@specsync/validators";

const CHANNEL = "specsync_events";

export type PublishedEvent = SyncEvent & { historyId: number | null; seq: number };

/**
 * Fan-out of sync events to subscribers. Events go through PostgreSQL NOTIFY so that every
 * server sharing the database hears every change; if NOTIFY fails (database down) the event
 * is still delivered locally.
 */
export class SyncEventBus {
  private readonly emitter = new EventEmitter();
  private unlisten: (() => Promise<void>) | null = null;
  private seq = 0;

  constructor(private readonly database: Database) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    if (this.unlisten) return;
    this.unlisten = await this.database.listen(CHANNEL, (payload) => {
      try {
        this.emitter.emit("event", JSON.parse(payload) as PublishedEvent);
      } catch {
        // not ours
      }
    });
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
  }

  publish(event: Omit<SyncEvent, "at">, historyId: number | null = null): void {
    const full: PublishedEvent = {
      ...event,
      at: new Date().toISOString(),
      historyId,
      seq: ++this.seq,
    };
    if (!this.unlisten) {
      this.emitter.emit("event", full);
      return;
    }
    this.database
      .notify(CHANNEL, JSON.stringify(full))
      .catch(() => this.emitter.emit("event", full));
  }

  subscribe(listener: (event: PublishedEvent) => void): () => void {
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  }
}
