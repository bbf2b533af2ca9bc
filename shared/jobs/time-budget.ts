/**
 * The size above which an object cannot be protected inside one function invocation
 * (docs/large-buckets.md, "The large-object route"): what the function moves at the configured
 * throughput in its time budget, less a margin for the HEAD, claim, KMS calls, audit and the batch's
 * other records. Objects above it never go through Lambda; `s3-seal worker` serves them.
 */
export interface TimeBudget {
  /** Bytes a single object job moves per second on the function (read, encrypt, write). */
  bytesPerSecond: number;
  /** The function's timeout (serverless.yml), in seconds. */
  timeoutSeconds: number;
  /** Seconds kept back from the timeout for everything that is not moving bytes. */
  marginSeconds: number;
}

/**
 * Largest object size (bytes) a function can protect within its budget; 0 when the margin eats the
 * whole timeout (then every object with data to move goes to the large-object route).
 */
export function largeObjectThresholdBytes(budget: TimeBudget): number {
  const seconds = Math.max(0, budget.timeoutSeconds - budget.marginSeconds);
  return Math.floor(budget.bytesPerSecond * seconds);
}

/** Seconds one object of `sizeBytes` needs at `bytesPerSecond` (rounded up), for progress and docs. */
export function estimatedSeconds(sizeBytes: number, bytesPerSecond: number): number {
  return Math.ceil(sizeBytes / bytesPerSecond);
}
