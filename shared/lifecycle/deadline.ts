import type { Context } from 'aws-lambda';
import { RetryableError } from '../errors.js';

const MiB = 1024 * 1024;

/**
 * How fast one object's work goes, to tell whether it can finish before the function's deadline
 * (docs/architecture.md, "Deadlines and leases"). Deliberately low: refusing an object near the
 * deadline costs one redelivery, starting one that cannot finish costs a lease.
 */
export const THROUGHPUT = {
  /** Bytes through the function (envelope seal, format upgrade): GET and PUT of every byte. */
  streamBytesPerSecond: 32 * MiB,
  /** Server-side copies (copy in place, UploadPartCopy, metadata-only copies): S3 moves the bytes. */
  copyBytesPerSecond: 128 * MiB,
  /** HEAD, KMS, ledger and audit calls of one object. */
  fixedMs: 1000,
} as const;

/** How long one object's write is expected to take, by how its bytes move. */
export function estimateWorkMs(sizeBytes: number | undefined, path: 'stream' | 'copy'): number {
  const rate = path === 'stream' ? THROUGHPUT.streamBytesPerSecond : THROUGHPUT.copyBytesPerSecond;
  return THROUGHPUT.fixedMs + Math.ceil(((sizeBytes ?? 0) / rate) * 1000);
}

/**
 * A record not started because the invocation could not finish it in time. Nothing was claimed or
 * written: the record is reported as a batch item failure and comes back to a fresh invocation.
 */
export class DeadlineReachedError extends RetryableError {}

export interface DeadlineOptions {
  /** Kept free at the end of an invocation: audit, finish, counters, the batch response. */
  marginMs: number;
  /** The function's whole timeout: work longer than this cannot fit any invocation. */
  functionTimeoutMs?: number;
}

/**
 * The time left to one invocation (Lambda's `context.getRemainingTimeInMillis()`). Asked before a
 * record starts and again after its HEAD, when the object's size and write path are known.
 */
export class JobDeadline {
  constructor(
    private readonly remainingMs: () => number,
    private readonly options: DeadlineOptions,
  ) {}

  static fromContext(context: Pick<Context, 'getRemainingTimeInMillis'>, options: DeadlineOptions) {
    return new JobDeadline(() => context.getRemainingTimeInMillis(), options);
  }

  /**
   * Throws {@link DeadlineReachedError} when work expected to take `estimateMs` cannot finish before
   * the deadline less the margin. Work too long for even a whole invocation is not refused: a fresh
   * invocation could not do better, and refusing it would only walk it to the dead-letter queue.
   */
  assertCanFinish(estimateMs: number, what: string): void {
    const { marginMs, functionTimeoutMs } = this.options;
    if (functionTimeoutMs !== undefined && estimateMs + marginMs > functionTimeoutMs) return;
    const left = this.remainingMs() - marginMs;
    if (estimateMs > left) {
      throw new DeadlineReachedError(
        `not started: ${what} needs ~${Math.ceil(estimateMs / 1000)}s, ${Math.max(0, Math.floor(left / 1000))}s left before the deadline`,
      );
    }
  }
}
