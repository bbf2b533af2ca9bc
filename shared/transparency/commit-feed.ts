import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { logger } from '../logger.js';
import type { LeafRequest } from './leaf-request.js';
import type { LogSequencer } from './log-sequencer.js';

/**
 * Where committed chunks go to become leaves of the transparency log (docs/architecture.md,
 * "Transparency log"): on Lambda, the sequencer's queue; in a local process, its own sequencer.
 */
export interface CommitFeed {
  /** A chunk just committed, or a committed chunk found without a leaf. */
  add(request: LeafRequest): void;
  /** The end of a handler's batch: what must not wait longer (a queue's sends, a full batch). */
  afterBatch(): Promise<void>;
  /** Everything added so far appended or sent: before a local run closes, at a worker's exit. */
  flush(): Promise<void>;
}

const SEND_BATCH = 10;

/** Chunks a queue feed remembers having sent (the newest): about 100 bytes each. */
export const SENT_REMEMBERED = 50_000;

/**
 * Lambda: the batch's committed chunks are sent to the sequencer's queue before the batch is
 * acknowledged. If the send fails, the handler throws, the batch comes back, and each chunk,
 * found committed without a leaf, is added again. A chunk this process already sent is not sent
 * again when its run's close finds it still without a leaf (the sequencer has not drained the
 * queue yet): its message is in the queue, and the sequencer would drop the copy.
 */
export class QueueCommitFeed implements CommitFeed {
  private pending: LeafRequest[] = [];
  /** Chunks sent from this process, oldest first, at most `remembered` of them. */
  private readonly sent = new Set<string>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly remembered = SENT_REMEMBERED,
  ) {}

  add(request: LeafRequest): void {
    if (this.sent.has(sentKey(request))) return;
    this.pending.push(request);
  }

  afterBatch(): Promise<void> {
    return this.flush();
  }

  async flush(): Promise<void> {
    const sending = this.pending;
    this.pending = [];
    try {
      for (let i = 0; i < sending.length; i += SEND_BATCH) {
        const entries = sending.slice(i, i + SEND_BATCH).map((request, n) => ({
          Id: String(n),
          MessageBody: JSON.stringify(request),
        }));
        const out = await this.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        );
        if (out.Failed?.length) throw new Error(`sequencer queue refused ${out.Failed.length} message(s)`);
        for (const request of sending.slice(i, i + SEND_BATCH)) this.remember(sentKey(request));
      }
    } catch (error) {
      // Those of a failed batch stay pending (a send that failed whole sent none of its messages).
      this.pending.unshift(...sending.filter((request) => !this.sent.has(sentKey(request))));
      throw error;
    }
  }

  private remember(key: string): void {
    this.sent.add(key);
    if (this.sent.size > this.remembered) this.sent.delete(this.sent.values().next().value!);
  }
}

/** One committed chunk's leaf request, as a queue feed remembers having sent it. */
const sentKey = (request: LeafRequest) => `${request.runId}\0${request.chunkId}\0${request.leaf.sha256}`;

/** Leaves a local process gathers before it appends them without being asked: one assignment. */
export const LOCAL_BATCH = 99;
/** The longest a committed chunk waits in a local process before it is appended. */
export const LOCAL_MAX_WAIT_MS = 30_000;

/**
 * A local process's feed: committed chunks are appended by its own sequencer, in batches, when 99
 * have gathered, when the oldest has waited 30 s, or when a run closes (its driver flushes). A
 * process that dies loses what it gathered; the run's close finds those chunks without a leaf.
 */
export class LocalCommitFeed implements CommitFeed {
  private pending: LeafRequest[] = [];
  private oldestAt = 0;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly sequencer: Pick<LogSequencer, 'sequence'>,
    private readonly clock: () => number = Date.now,
  ) {}

  add(request: LeafRequest): void {
    if (this.pending.length === 0) this.oldestAt = this.clock();
    this.pending.push(request);
  }

  /**
   * Appends when a batch has gathered or waited long enough. A failure here fails no chunk (they
   * are committed): it is logged and the leaves wait for the next flush.
   */
  async afterBatch(): Promise<void> {
    const due =
      this.pending.length >= LOCAL_BATCH ||
      (this.pending.length > 0 && this.clock() - this.oldestAt >= LOCAL_MAX_WAIT_MS);
    if (!due) return;
    await this.flush().catch((error) =>
      logger.warn('transparency log: appending committed chunks failed; kept for the next try', {
        chunks: this.pending.length,
        error: (error as Error).message,
      }),
    );
  }

  /** Appends everything gathered; one append at a time in a process, in the order added. */
  flush(): Promise<void> {
    const run = this.running.then(async () => {
      const taking = this.pending;
      this.pending = [];
      if (taking.length === 0) return;
      try {
        const result = await this.sequencer.sequence(taking);
        for (const { request, reason } of result.refused)
          logger.warn('transparency log refused a chunk', {
            runId: request.runId,
            chunkId: request.chunkId,
            reason,
          });
      } catch (error) {
        // Kept for the next flush; what only this process knew is found again at the run's close.
        this.pending.unshift(...taking);
        this.oldestAt = this.clock();
        throw error;
      }
    });
    this.running = run.catch(() => undefined);
    return run;
  }
}
