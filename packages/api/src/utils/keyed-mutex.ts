/** Serialises async work per key (one change at a time), without blocking other keys. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(fn, fn);
    const tail = current.catch(() => {});
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /**
   * Nobody holds or waits for `key`: synchronous work done now is as if run under the lock
   * (nothing else runs until it returns).
   */
  isFree(key: string): boolean {
    return !this.tails.has(key);
  }

  /** Resolves once every queued job has finished (used by graceful shutdown). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
