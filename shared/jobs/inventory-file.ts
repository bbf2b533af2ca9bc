import { decideRow, type RowRun } from '../inventory/row-decision.js';
import { type InventoryChunkDeps, type InventoryChunkResult, readInventoryChunk } from './inventory-chunk.js';
import type { InventoryFileMessage } from './messages.js';
import { sendEncryptChunks } from './queue-chunks.js';
import type { ScanDeps } from './scan-page.js';

export { INVENTORY_ROWS_PER_MESSAGE, INVENTORY_SETTLED_PER_MESSAGE } from './inventory-chunk.js';

/** A scan of an inventory data file also commits the chunks of rows it settles. */
export type InventoryFileDeps = Pick<ScanDeps, 'config'> & InventoryChunkDeps;
export type InventoryFileResult = InventoryChunkResult;

/**
 * Turns one S3 Inventory data file of an encrypt run into settled chunks and encrypt chunks
 * (docs/large-buckets.md). A current row under the run's prefix that the row alone decides
 * ({@link decideRow}: compliant under sse-s3, SSE-C without the run's key) is settled in a decided
 * chunk with no S3 request for the object; every other one goes in an `encrypt-chunk` carrying the
 * inventory's ETag and size, and the runner HEADs it and writes only on the ETag it read: a stale
 * row meets a fresh HEAD, never a blind write, and an inventory's NOT-SSE row that is really a
 * client-side envelope is recognised there. Chunks, page markers and redeliveries:
 * {@link readInventoryChunk}.
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
  return readInventoryChunk(
    message,
    deps,
    {
      auditMode: message.mode,
      fate: (row) => {
        const decision = decideRow(row, run);
        return decision.action === 'job' ? 'chunk' : { settle: decision };
      },
      send: (chunks) => sendEncryptChunks(message, chunks, deps),
      largeObjectBytes: deps.config.largeObjectBytes,
    },
    options,
  );
}
