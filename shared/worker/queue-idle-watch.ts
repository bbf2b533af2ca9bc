export interface QueueIdleWatchOptions {
  /** Messages waiting or in flight across the watched queues (GetQueueAttributes, one per queue). */
  depth: () => Promise<number>;
  /** A count that grows whenever the pollers of this process finish a batch. */
  handled: () => number;
  /** Ask SQS for the depth only after this long without a finished batch, and at most this often. */
  minAskIntervalMs?: number;
  now?: () => number;
}

/**
 * How long the queues have been quiet, for drain and stuck-run detection. Asking SQS for queue
 * depth costs one GetQueueAttributes per queue, so it is asked only once this process's pollers
 * have finished no batch for `minAskIntervalMs` (a finished batch already proves the queues were
 * not idle), and then at most that often.
 */
export class QueueIdleWatch {
  private lastHandled: number | undefined;
  private lastChange = Number.NEGATIVE_INFINITY;
  private lastAsked = Number.NEGATIVE_INFINITY;
  private idleSince: number | undefined;

  constructor(private readonly options: QueueIdleWatchOptions) {}

  /**
   * Milliseconds the queues have been seen empty, with no batch finished here meanwhile; undefined
   * while they are not known to be empty.
   */
  async quietMs(): Promise<number | undefined> {
    const now = this.options.now ?? Date.now;
    const interval = this.options.minAskIntervalMs ?? 1000;
    const handled = this.options.handled();
    if (handled !== this.lastHandled) {
      this.lastHandled = handled;
      this.lastChange = now();
      this.idleSince = undefined;
      return undefined;
    }
    if (now() - this.lastChange >= interval && now() - this.lastAsked >= interval) {
      this.lastAsked = now();
      if ((await this.options.depth()) > 0) this.idleSince = undefined;
      else this.idleSince ??= this.lastAsked;
    }
    // Quiet from the first empty look to the latest one: no longer than SQS has confirmed.
    return this.idleSince === undefined ? undefined : this.lastAsked - this.idleSince;
  }
}
