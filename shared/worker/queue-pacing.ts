/**
 * How the pollers of one queue share it so that an idle queue costs few ReceiveMessage requests
 * (each is a billed SQS request) while a busy one gets every poller: the scaling Lambda's event
 * source mapping does for its own pollers (docs/architecture.md, "Flow": workers poll with Lambda's
 * SQS semantics).
 *
 * - A poller whose receive comes back empty parks while another poller of the queue is free to
 *   receive (neither parked nor busy with a batch); the last one free keeps watching the queue
 *   (the scout). A poller busy with a long batch (a large object) never keeps the others parked.
 * - A full batch wakes one parked poller: a backlog brings every poller back within a few receives.
 *   So does a scout that becomes busy with a batch: someone free always watches the queue.
 * - The scout, after consecutive empty receives, waits between them (doubling up to `maxIdleWaitMs`).
 *   It waits here, where a stop ends the wait at once, rather than in a longer ReceiveMessage wait:
 *   a receive cannot be cancelled, and SQS still hands messages to an abandoned long poll, hiding
 *   them for the whole visibility timeout.
 * - {@link QueuePacing.wake} ends the scout's wait early: work is coming. A queue whose handler
 *   feeds others (a scan page queues encrypt jobs) wakes them when it receives a batch and again
 *   when the batch is done, so jobs are picked up as they are queued, not after a backoff.
 */
export interface QueuePacingOptions {
  /** A batch of this many messages means more are waiting (the receive's MaxNumberOfMessages). */
  fullBatch: number;
  /** Longest wait of the idle scout between two empty receives. */
  maxIdleWaitMs?: number;
  /** First wait after the second empty receive in a row (the first is retried at once). */
  firstIdleWaitMs?: number;
  /** Queues this queue's handler sends work to: woken when a batch arrives here and when it is done. */
  feeds?: QueuePacing[];
}

export const DEFAULT_MAX_IDLE_WAIT_MS = 2000;
const DEFAULT_FIRST_IDLE_WAIT_MS = 250;

export class QueuePacing {
  /** Pollers neither parked nor busy with a batch. */
  private free = 0;
  private readonly parked: Array<() => void> = [];
  private emptyStreak = 0;
  private endIdleWait: (() => void) | undefined;
  private readonly waiting = new Map<() => void, AbortSignal>();
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly options: QueuePacingOptions) {}

  /** Pollers free to receive (neither parked nor busy with a batch), for tests. */
  get available(): number {
    return this.free;
  }

  /** A poller starts serving the queue. */
  join(): void {
    this.free++;
  }

  /** A poller stops serving the queue (its signal aborted), between batches. */
  leave(): void {
    this.free--;
  }

  /** A receive brought `count` messages (at least one): this poller is busy until {@link handled}. */
  received(count: number): void {
    this.free--;
    this.emptyStreak = 0;
    // A full batch means more are waiting; a busy scout leaves no one watching: either way, wake one.
    if (count >= this.options.fullBatch || this.free === 0) this.parked.shift()?.();
    for (const fed of this.options.feeds ?? []) fed.wake();
  }

  /** The batch a poller received is done (handled, or given up): it is free again. */
  handled(): void {
    this.free++;
    for (const fed of this.options.feeds ?? []) fed.wake();
  }

  /**
   * A receive came back empty: resolves when this poller should receive again (parked pollers when
   * a full batch wakes them, the scout after its backoff), or at once when `signal` aborts.
   */
  async idle(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    if (this.free > 1) {
      this.free--;
      await this.until(signal, (resume) => {
        this.parked.push(resume);
        return () => {
          const at = this.parked.indexOf(resume);
          if (at >= 0) this.parked.splice(at, 1);
        };
      });
      this.free++;
      return;
    }
    this.emptyStreak++;
    const waitMs = this.idleWaitMs();
    if (waitMs === 0) return;
    await this.until(signal, (resume) => {
      const timer = setTimeout(resume, waitMs);
      this.endIdleWait = resume;
      return () => clearTimeout(timer);
    });
    this.endIdleWait = undefined;
  }

  /** Work is on its way to this queue: the scout receives now, without finishing its backoff. */
  wake(): void {
    this.emptyStreak = 0;
    this.endIdleWait?.();
  }

  private idleWaitMs(): number {
    if (this.emptyStreak < 2) return 0;
    const first = this.options.firstIdleWaitMs ?? DEFAULT_FIRST_IDLE_WAIT_MS;
    const max = this.options.maxIdleWaitMs ?? DEFAULT_MAX_IDLE_WAIT_MS;
    return Math.min(max, first * 2 ** Math.min(this.emptyStreak - 2, 16));
  }

  /**
   * Resolves when the callback `register` was given is called or `signal` aborts, whichever is
   * first; then runs the cleanup `register` returned (no timer or parked entry outlives the wait).
   * One abort listener per signal, not one per wait: every poller of a process shares its signal.
   */
  private until(signal: AbortSignal, register: (resume: () => void) => () => void): Promise<void> {
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener(
        'abort',
        () => {
          for (const [done, of] of this.waiting) if (of === signal) done();
        },
        { once: true },
      );
    }
    return new Promise((resolve) => {
      let cleanup = () => {};
      const done = () => {
        this.waiting.delete(done);
        cleanup();
        resolve();
      };
      this.waiting.set(done, signal);
      cleanup = register(done);
    });
  }
}
