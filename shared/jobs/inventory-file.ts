import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { InventoryError } from '../inventory/errors.js';
import { readDataFileRows } from '../inventory/read-rows.js';
import { queueBody } from '../sqs-text.js';
import { splitLargeJobs } from './large-object-route.js';
import type { EncryptJob, InventoryFileMessage } from './messages.js';
import { jobIdFor, type ScanDeps, type ScanResult, sendInBatches } from './scan-page.js';

// Jobs are sent as rows arrive, so a data file of millions of rows never sits in memory.
const SEND_EVERY = 1000;

/**
 * Rows one message turns into jobs. The scan function has 60 s (serverless.yml); sending 50,000
 * jobs is 5,000 SendMessageBatch calls, and the bench reads 20–35 k CSV rows/s: a larger data file
 * goes on in a next message for the same file, like a listing's next page.
 */
export const INVENTORY_ROWS_PER_MESSAGE = 50_000;

/** Page marker of one chunk: distinct per (file, chunk) and never shared with another file. */
const CHUNKS_PER_FILE = 1_000_000;
const markerOf = (message: InventoryFileMessage) => message.page * CHUNKS_PER_FILE + (message.chunk - 1);

/**
 * Turns one S3 Inventory data file into encrypt jobs (docs/large-buckets.md): its MD5 is checked
 * against the manifest before any row is used, and every current object under the run's prefix
 * becomes a job carrying the inventory's ETag and size. The encrypt handler still HEADs each
 * object and writes only on the ETag it read: a stale row meets a fresh HEAD, never a blind write,
 * and an inventory's NOT-SSE row that is really a client-side envelope is recognised there.
 * Rows the inventory shows compliant are sent too, so every object gets its ledger decision and
 * audit record (the run's counters are recounted from the audit trail at the end).
 *
 * A file of more than {@link INVENTORY_ROWS_PER_MESSAGE} rows continues in a next message for
 * the same file. Each chunk records its page once; files finish in any order, and the one whose
 * last chunk finds every file recorded marks the scan complete. A redelivery before the page was
 * recorded sends the same job ids again, which the ledger makes harmless.
 */
export async function inventoryFilePage(
  message: InventoryFileMessage,
  deps: ScanDeps,
  options: { rowsPerMessage?: number } = {},
): Promise<ScanResult> {
  const rowsPerMessage = options.rowsPerMessage ?? INVENTORY_ROWS_PER_MESSAGE;
  const marker = markerOf(message);
  if (await deps.runs.isPageDone(message.runId, marker)) {
    await deps.runs.completeScanAt(message.runId, message.files);
    return { enqueued: 0, hasNextPage: false, duplicate: true };
  }
  let pending: EncryptJob[] = [];
  let enqueued = 0;
  const flush = async () => {
    const { small, large } = splitLargeJobs(pending, deps.config.largeObjectBytes);
    await sendInBatches(deps.sqs, deps.queues.encrypt, small);
    await sendInBatches(deps.sqs, deps.queues.large, large);
    enqueued += pending.length;
    pending = [];
  };
  let rowsRead = 0;
  let hasNextPage = false;
  for await (const row of readDataFileRows(deps.s3, message, message.file, message.rowStart)) {
    if (rowsRead === rowsPerMessage) {
      hasNextPage = true;
      break;
    }
    rowsRead += 1;
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
      keepAcl: message.keepAcl,
      sseCustomerKeyMd5: message.sseCustomerKeyMd5,
    });
    if (pending.length >= SEND_EVERY) await flush();
  }
  await flush();
  if (hasNextPage) {
    const next: InventoryFileMessage = {
      ...message,
      rowStart: message.rowStart + rowsRead,
      chunk: message.chunk + 1,
    };
    await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queues.scan, MessageBody: queueBody(next) }));
  }
  await deps.runs.recordPage(message.runId, marker, enqueued, false, { fileDone: !hasNextPage });
  if (!hasNextPage) await deps.runs.completeScanAt(message.runId, message.files);
  return { enqueued, hasNextPage, duplicate: false };
}
