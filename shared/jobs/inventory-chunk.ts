import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describeError } from '../errors.js';
import { InventoryError } from '../inventory/errors.js';
import { readDataFileRows } from '../inventory/read-rows.js';
import type { InventoryRow } from '../inventory/row.js';
import { unusableRow } from '../inventory/row-decision.js';
import { type SettleDeps, type SettledRow, settleRows } from '../inventory/settle-rows.js';
import { queueBody } from '../sqs-text.js';
import type { InventoryChunkMessage } from './messages.js';
import { jobIdFor, type ScanDeps, type ScanResult } from './scan-page.js';

// Jobs are sent as rows arrive, so a data file of millions of rows never sits in memory.
const SEND_EVERY = 1000;

/**
 * Rows one message turns into jobs. The scan function has 60 s (serverless.yml); sending 50,000
 * jobs is 5,000 SendMessageBatch calls, and the bench reads 20–35 k CSV rows/s: a larger data file
 * goes on in a next message for the same file, like a listing's next page.
 */
export const INVENTORY_ROWS_PER_MESSAGE = 50_000;

/**
 * Rows one message settles from the inventory (one audit transaction each, {@link settleRows}'s
 * concurrency at a time): a chunk ends at whichever limit comes first, so a file of settled rows
 * stays well inside the scan function's 60 s.
 */
export const INVENTORY_SETTLED_PER_MESSAGE = 10_000;

/** Reading a data file also appends the audit records of rows it settles. */
export type InventoryChunkDeps = Pick<ScanDeps, 's3' | 'sqs' | 'runs' | 'queues'> & SettleDeps;

export interface InventoryChunkResult extends ScanResult {
  /** Rows settled from the inventory, without a job (compliant or skipped). */
  settled: number;
}

/** What one kind of run does with the current rows under its prefix. */
export interface RowPlan<Job> {
  /** Settle the row from the report alone (an audit record, no S3 request), or make it a job. */
  fate(row: InventoryRow, jobId: string): { settle: SettledRow['decision'] } | { job: Job };
  /** Sends jobs (up to a thousand at a time) to their queue. */
  send(jobs: Job[]): Promise<void>;
  /** How the run's audit records name it: its protection mode, or `rewrap`. */
  auditMode: string;
}

/** Page marker of one chunk: distinct per (file, chunk) and never shared with another file. */
const CHUNKS_PER_FILE = 1_000_000;
const markerOf = (message: InventoryChunkMessage) => message.page * CHUNKS_PER_FILE + (message.chunk - 1);

/**
 * Reads one chunk of an S3 Inventory data file for a run (docs/large-buckets.md): its MD5 is
 * checked against the manifest before any row is used; each current row under the run's prefix
 * is settled or becomes a job, as the run's {@link RowPlan} says; delete markers, noncurrent
 * versions and other prefixes are passed over.
 *
 * A file of more than {@link INVENTORY_ROWS_PER_MESSAGE} rows (or {@link
 * INVENTORY_SETTLED_PER_MESSAGE} settled ones) continues in a next message for the same file.
 * Each chunk records its page once, counting settled rows and jobs as discovered after both were
 * appended and sent; files finish in any order, and the one whose last chunk finds every file
 * recorded marks the scan complete. A redelivery before the page was recorded appends and sends
 * the same job ids again, which the audit trail and the ledger make harmless.
 */
export async function readInventoryChunk<Job>(
  message: InventoryChunkMessage,
  deps: InventoryChunkDeps,
  plan: RowPlan<Job>,
  options: { rowsPerMessage?: number; settledPerMessage?: number } = {},
): Promise<InventoryChunkResult> {
  const rowsPerMessage = options.rowsPerMessage ?? INVENTORY_ROWS_PER_MESSAGE;
  const settledPerMessage = options.settledPerMessage ?? INVENTORY_SETTLED_PER_MESSAGE;
  const marker = markerOf(message);
  if (await deps.runs.isPageDone(message.runId, marker)) {
    await deps.runs.completeScanAt(message.runId, message.files);
    return { enqueued: 0, settled: 0, hasNextPage: false, duplicate: true };
  }
  let pending: Job[] = [];
  let toSettle: SettledRow[] = [];
  let enqueued = 0;
  let settled = 0;
  const flush = async () => {
    await plan.send(pending);
    await settleRows(toSettle, { runId: message.runId, mode: plan.auditMode }, deps);
    enqueued += pending.length;
    settled += toSettle.length;
    pending = [];
    toSettle = [];
  };
  let rowsRead = 0;
  let hasNextPage = false;
  try {
    for await (const row of readDataFileRows(deps.s3, message, message.file, message.rowStart)) {
      if (rowsRead === rowsPerMessage || settled + toSettle.length === settledPerMessage) {
        hasNextPage = true;
        break;
      }
      rowsRead += 1;
      if (!row.isLatest || row.isDeleteMarker || !row.key.startsWith(message.prefix)) continue;
      // Another bucket's row is recorded under that bucket, so it never stands for an object here.
      const unusable = unusableRow(row, message.bucket);
      const jobId = jobIdFor(message.runId, row.bucket, row.key);
      const fate = unusable ? { settle: unusable } : plan.fate(row, jobId);
      if ('settle' in fate) {
        toSettle.push({
          bucket: row.bucket,
          key: row.key,
          jobId,
          etag: row.etag,
          versionId: row.versionId,
          decision: fate.settle,
        });
      } else {
        pending.push(fate.job);
      }
      if (toSettle.length >= SEND_EVERY || pending.length >= SEND_EVERY) await flush();
    }
  } catch (error) {
    // Bytes that matched their MD5 and still do not read fail the same way on every retry: the run
    // fails at once, naming the file, and says so to whoever follows it (docs/large-buckets.md).
    if (error instanceof InventoryError) await deps.runs.failScan(message.runId, describeError(error));
    throw error;
  }
  await flush();
  if (hasNextPage) {
    const next: InventoryChunkMessage = {
      ...message,
      rowStart: message.rowStart + rowsRead,
      chunk: message.chunk + 1,
    };
    await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queues.scan, MessageBody: queueBody(next) }));
  }
  // Recorded after the appends and sends: a crash before this line redoes both, counted once.
  await deps.runs.recordPage(message.runId, marker, enqueued + settled, false, { fileDone: !hasNextPage });
  if (!hasNextPage) await deps.runs.completeScanAt(message.runId, message.files);
  return { enqueued, settled, hasNextPage, duplicate: false };
}
