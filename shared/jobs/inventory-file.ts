import { decideRow, type RowRun } from '../inventory/row-decision.js';
import { type InventoryChunkDeps, type InventoryChunkResult, readInventoryChunk } from './inventory-chunk.js';
import type { EncryptJob, InventoryFileMessage } from './messages.js';
import { encryptJobOf, type ScanDeps, sendEncryptJobs } from './scan-page.js';

export { INVENTORY_ROWS_PER_MESSAGE, INVENTORY_SETTLED_PER_MESSAGE } from './inventory-chunk.js';

/** A scan of an inventory data file also appends the audit records of rows it settles. */
export type InventoryFileDeps = ScanDeps & InventoryChunkDeps;
export type InventoryFileResult = InventoryChunkResult;

/**
 * Turns one S3 Inventory data file of an encrypt run into audit records and encrypt jobs
 * (docs/large-buckets.md). A current row under the run's prefix that the row alone decides
 * ({@link decideRow}: compliant under sse-s3, SSE-C without the run's key) is settled with one
 * audit append and no S3 request; every other one becomes a job carrying the inventory's ETag and
 * size, and the encrypt handler HEADs it and writes only on the ETag it read: a stale row meets a
 * fresh HEAD, never a blind write, and an inventory's NOT-SSE row that is really a client-side
 * envelope is recognised there. Chunks, page markers and redeliveries: {@link readInventoryChunk}.
 */
export async function inventoryFilePage(
  message: InventoryFileMessage,
  deps: InventoryFileDeps,
  options: { rowsPerMessage?: number; settledPerMessage?: number } = {},
): Promise<InventoryFileResult> {
  const run: RowRun = {
    policy: { mode: message.mode, keyArn: message.keyArn },
    sseCustomerKeyMd5: message.sseCustomerKeyMd5,
  };
  return readInventoryChunk<EncryptJob>(
    message,
    deps,
    {
      auditMode: message.mode,
      fate: (row, jobId) => {
        const decision = decideRow(row, run);
        if (decision.action !== 'job') return { settle: decision };
        return { job: encryptJobOf(message, row, jobId) };
      },
      send: (jobs) => sendEncryptJobs(jobs, deps),
    },
    options,
  );
}
