import { decideCompliance } from '../compliance.js';
import type { ProtectionPolicy } from '../policy.js';
import { type InventoryRow, objectStateOf } from './row.js';

/**
 * What an inventory-driven run does with one current row (docs/large-buckets.md, "Rows settled
 * from the inventory"): settle it from the row alone, with no S3 request, or send it to the
 * encrypt handler, whose HEAD decides.
 */
export type RowDecision =
  | { action: 'compliant'; reason: string }
  | { action: 'skip'; reason: 'sse-c'; detail: string }
  | { action: 'job' };

/** The run, as far as a row decision needs it. */
export interface RowRun {
  policy: ProtectionPolicy;
  /** The fingerprint of the SSE-C key a migration run moves SSE-C objects with, if any. */
  sseCustomerKeyMd5?: string;
}

// Server-side states that satisfy an sse-s3 policy whatever the key: SSE-S3 itself, and the
// stronger SSE-KMS and DSSE-KMS (never downgraded).
const SERVER_SIDE = new Set(['SSE-S3', 'SSE-KMS', 'DSSE-KMS']);

const JOB: RowDecision = { action: 'job' };

/**
 * Decides from the row only where that is safe without the object's metadata:
 * - sse-s3 runs: an SSE-S3, SSE-KMS or DSSE-KMS row is compliant. On AWS a stale row cannot hide
 *   a plaintext object: S3 has applied SSE-S3 to every new object since January 2023. A client-side
 *   envelope stored under SSE-S3 is compliant under sse-s3 too (decideCompliance says so after a
 *   HEAD), so its metadata would not change the outcome.
 * - any run without an SSE-C key: an SSE-C row is skipped `sse-c`, as the HEAD would skip it.
 * Everything else goes to the encrypt handler: a NOT-SSE row may be a client-side envelope (the
 *   inventory carries no user metadata, and only a HEAD keeps such an object from being encrypted
 *   again), an SSE-KMS row in an sse-kms run does not name its key (and an envelope run seals
 *   SSE-KMS objects too), and a report without the EncryptionStatus column says nothing.
 * The row's state still goes through {@link decideCompliance}, so an archived row (GLACIER, or an
 * Intelligent-Tiering archive tier) is left to the HEAD path exactly as before.
 */
export function decideRow(row: InventoryRow, run: RowRun): RowDecision {
  const status = row.encryptionStatus;
  if (status === 'SSE-C') {
    if (run.sseCustomerKeyMd5) return JOB;
    const decision = decideCompliance(objectStateOf(row), run.policy, { useUpdateObjectEncryption: false });
    return decision.action === 'skip' && decision.reason === 'sse-c'
      ? { action: 'skip', reason: 'sse-c', detail: decision.detail }
      : JOB;
  }
  if (run.policy.mode !== 'sse-s3' || status === undefined || !SERVER_SIDE.has(status)) return JOB;
  const decision = decideCompliance(objectStateOf(row), run.policy, { useUpdateObjectEncryption: false });
  return decision.action === 'compliant' ? { action: 'compliant', reason: decision.detail } : JOB;
}

/** A row that names no object of the run's bucket, and why: the row's skip reason. */
export type UnusableRow = { action: 'skip'; reason: 'other-bucket' | 'undecodable-key'; detail: string };

/**
 * A row no run can act on (docs/large-buckets.md, "Rows the run cannot act on"): it names another
 * bucket (a report mixed up with another bucket's, or altered), or its key is not valid URL
 * encoding, so it names no key at all. Either is that row's skip, counted and audited under its
 * reason; the rest of the file is read as usual. Undefined for a row the run can use.
 */
export function unusableRow(row: InventoryRow, bucket: string): UnusableRow | undefined {
  if (row.bucket !== bucket) {
    return {
      action: 'skip',
      reason: 'other-bucket',
      detail: `the row names bucket ${row.bucket}, not ${bucket}`,
    };
  }
  if (row.keyEncodingError)
    return { action: 'skip', reason: 'undecodable-key', detail: row.keyEncodingError };
  return undefined;
}
