import { InventoryError } from '../inventory/errors.js';
import { readDataFileRows } from '../inventory/read-rows.js';
import type { EncryptJob, InventoryFileMessage } from './messages.js';
import { jobIdFor, type ScanDeps, type ScanResult, sendInBatches } from './scan-page.js';

// Jobs are sent as rows arrive, so a data file of millions of rows never sits in memory.
const SEND_EVERY = 1000;

/**
 * Turns one S3 Inventory data file into encrypt jobs (docs/large-buckets.md): its MD5 is checked
 * against the manifest before any row is used, and every current object under the run's prefix
 * becomes a job carrying the inventory's ETag and size. The encrypt handler still HEADs each
 * object and writes only on the ETag it read: a stale row meets a fresh HEAD, never a blind write,
 * and an inventory's NOT-SSE row that is really a client-side envelope is recognised there.
 * Rows the inventory shows compliant are sent too, so every object gets its ledger decision and
 * audit record (the run's counters are recounted from the audit trail at the end).
 *
 * Files finish in any order: each records its page once, and the one that finds every file
 * recorded marks the scan complete. A redelivery before the page was recorded sends the same job
 * ids again, which the ledger makes harmless.
 */
export async function inventoryFilePage(message: InventoryFileMessage, deps: ScanDeps): Promise<ScanResult> {
  if (await deps.runs.isPageDone(message.runId, message.page)) {
    await deps.runs.completeScanAt(message.runId, message.files);
    return { enqueued: 0, hasNextPage: false, duplicate: true };
  }
  let pending: EncryptJob[] = [];
  let enqueued = 0;
  const flush = async () => {
    await sendInBatches(deps.sqs, deps.queues.encrypt, pending);
    enqueued += pending.length;
    pending = [];
  };
  for await (const row of readDataFileRows(deps.s3, message, message.file)) {
    if (row.bucket !== message.bucket) {
      throw new InventoryError(
        `inventory data file ${message.file.key} lists bucket ${row.bucket}, not ${message.bucket}`,
      );
    }
    if (!row.isLatest || row.isDeleteMarker || !row.key.startsWith(message.prefix)) continue;
    pending.push({
      type: 'encrypt',
      runId: message.runId,
      jobId: jobIdFor(message.runId, message.bucket, row.key),
      bucket: message.bucket,
      key: row.key,
      etag: row.etag,
      size: row.size,
      mode: message.mode,
      keyArn: message.keyArn,
      format: message.format,
      upgradeFormat: message.upgradeFormat,
    });
    if (pending.length >= SEND_EVERY) await flush();
  }
  await flush();
  await deps.runs.recordPage(message.runId, message.page, enqueued, false);
  await deps.runs.completeScanAt(message.runId, message.files);
  return { enqueued, hasNextPage: false, duplicate: false };
}
