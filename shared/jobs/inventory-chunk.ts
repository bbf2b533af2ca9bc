import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ChunkFields, ChunkIntent } from '../chunks/chunk-message.js';
import { MAX_CHUNK_INTENTS } from '../chunks/chunk-message.js';
import { describeError } from '../errors.js';
import { InventoryError } from '../inventory/errors.js';
import { readDataFileRows } from '../inventory/read-rows.js';
import type { InventoryRow } from '../inventory/row.js';
import { unusableRow } from '../inventory/row-decision.js';
import { type SettleDeps, type SettledChunk, type SettledRow, settleRows } from '../inventory/settle-rows.js';
import { queueBody } from '../sqs-text.js';
import { isLargeObject } from './large-object-route.js';
import type { InventoryChunkMessage } from './messages.js';
import { chunkOf } from './queue-chunks.js';
import { jobIdFor, type ScanDeps, type ScanResult } from './scan-page.js';

// Chunks are sent (and settled chunks committed) ten at a time as rows arrive, so a data file of
// millions of rows never sits in memory.
const CHUNKS_PER_FLUSH = 10;

/**
 * Rows one message reads. The scan function has 60 s (serverless.yml); 50,000 rows are 500
 * chunks, 50 SendMessageBatch calls, and the bench reads 20–35 k CSV rows/s: a larger data file
 * goes on in a next message for the same file, like a listing's next page.
 */
export const INVENTORY_ROWS_PER_MESSAGE = 50_000;

/**
 * Rows one message settles from the inventory (a committed decided chunk per hundred,
 * {@link settleRows}): a message ends at whichever limit comes first, so a file of settled rows
 * stays well inside the scan function's 60 s.
 */
export const INVENTORY_SETTLED_PER_MESSAGE = 10_000;

/** Reading a data file also commits the chunks of rows it settles. */
export type InventoryChunkDeps = Pick<ScanDeps, 's3' | 'sqs' | 'runs' | 'queues'> & SettleDeps;

export interface InventoryChunkResult extends ScanResult {
  /** Rows settled from the inventory, without a chunk to work (compliant or skipped). */
  settled: number;
}

/** What one kind of run (encrypt, re-wrap) does with the current rows under its prefix. */
export interface RowPlan {
  /** Settle the row from the report alone (an audit record, no S3 request), or put it in a chunk. */
  fate(row: InventoryRow): { settle: SettledRow['decision'] } | 'chunk';
  /** Queues chunks of the run's rows: those marked `large` on the large-object queue. */
  send(chunks: ChunkFields[]): Promise<void>;
  /** Rows over this size go one per chunk to the large-object queue; absent, none does. */
  largeObjectBytes?: number;
  /** How the run's audit records name it: its protection mode, or `rewrap`. */
  auditMode: string;
}

/** Page marker of one chunk: distinct per (file, chunk) and never shared with another file. */
const CHUNKS_PER_FILE = 1_000_000;
const markerOf = (message: InventoryChunkMessage) => message.page * CHUNKS_PER_FILE + (message.chunk - 1);

/**
 * Reads one chunk of an S3 Inventory data file for a run (docs/large-buckets.md): its MD5 is
 * checked against the manifest before any row is used; each current row under the run's prefix
 * is settled or put in a chunk, as the run's {@link RowPlan} says; delete markers, noncurrent
 * versions and other prefixes are passed over.
 *
 * A data file is fixed, so its rows are a chunk's membership without a listing record
 * (docs/architecture.md, "Chunks"): the message's rows from `rowStart` give chunks
 * `inventory:<file>:<rowStart>:<n>` of up to 100 rows in order, `…:large:<row>` for each large
 * object, and `…:settled:<n>` for rows settled from the report; a redelivery reads the same rows
 * and so makes the same chunks, which the chunk ledger works and counts once.
 *
 * A file of more than {@link INVENTORY_ROWS_PER_MESSAGE} rows (or {@link
 * INVENTORY_SETTLED_PER_MESSAGE} settled ones) continues in a next message for the same file.
 * Each message records its page once, counting settled rows and queued objects as discovered after
 * both were committed and sent; files finish in any order, and the one whose last message finds
 * every file recorded marks the scan complete.
 */
export async function readInventoryChunk(
  message: InventoryChunkMessage,
  deps: InventoryChunkDeps,
  plan: RowPlan,
  options: { rowsPerMessage?: number; settledPerMessage?: number } = {},
): Promise<InventoryChunkResult> {
  const rowsPerMessage = options.rowsPerMessage ?? INVENTORY_ROWS_PER_MESSAGE;
  const settledPerMessage = options.settledPerMessage ?? INVENTORY_SETTLED_PER_MESSAGE;
  const marker = markerOf(message);
  if (await deps.runs.isPageDone(message.runId, marker)) {
    await deps.runs.completeScanAt(message.runId, message.files);
    return { enqueued: 0, settled: 0, hasNextPage: false, duplicate: true };
  }
  const { runId } = message;
  const origin = `inventory:${message.file.key}:${message.rowStart}`;
  const chunks = new RowChunks(runId, origin);
  let enqueued = 0;
  let settled = 0;
  const flush = async (last: boolean) => {
    const { work, settle } = chunks.take(last);
    await plan.send(work);
    await settleRows(settle, { runId, mode: plan.auditMode }, deps);
    enqueued += work.reduce((sum, chunk) => sum + chunk.intents.length, 0);
    settled += settle.reduce((sum, chunk) => sum + chunk.rows.length, 0);
  };
  let rowsRead = 0;
  let settledRows = 0;
  let hasNextPage = false;
  try {
    for await (const row of readDataFileRows(deps.s3, message, message.file, message.rowStart)) {
      if (rowsRead === rowsPerMessage || settledRows === settledPerMessage) {
        hasNextPage = true;
        break;
      }
      const rowIndex = message.rowStart + rowsRead;
      rowsRead += 1;
      if (!row.isLatest || row.isDeleteMarker || !row.key.startsWith(message.prefix)) continue;
      // Another bucket's row is recorded under that bucket, so it never stands for an object here.
      const unusable = unusableRow(row, message.bucket);
      const fate = unusable ? { settle: unusable } : plan.fate(row);
      if (fate === 'chunk') {
        chunks.addIntent(intentOf(row), rowIndex, isLargeObject(row.size, plan.largeObjectBytes ?? Infinity));
      } else {
        settledRows += 1;
        chunks.addSettled({
          bucket: row.bucket,
          key: row.key,
          jobId: jobIdFor(runId, row.bucket, row.key),
          etag: row.etag,
          versionId: row.versionId,
          decision: fate.settle,
        });
      }
      if (chunks.ready()) await flush(false);
    }
  } catch (error) {
    // Bytes that matched their MD5 and still do not read fail the same way on every retry: the run
    // fails at once, naming the file, and says so to whoever follows it (docs/large-buckets.md).
    if (error instanceof InventoryError) await deps.runs.failScan(runId, describeError(error));
    throw error;
  }
  await flush(true);
  if (hasNextPage) {
    const next: InventoryChunkMessage = {
      ...message,
      rowStart: message.rowStart + rowsRead,
      chunk: message.chunk + 1,
    };
    await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queues.scan, MessageBody: queueBody(next) }));
  }
  // Recorded after the commits and sends: a crash before this line redoes both, counted once.
  await deps.runs.recordPage(runId, marker, enqueued + settled, false, { fileDone: !hasNextPage });
  if (!hasNextPage) await deps.runs.completeScanAt(runId, message.files);
  return { enqueued, settled, hasNextPage, duplicate: false };
}

function intentOf(row: InventoryRow): ChunkIntent {
  return {
    key: row.key,
    ...(row.versionId !== undefined ? { versionId: row.versionId } : {}),
    ...(row.etag !== undefined ? { etag: row.etag } : {}),
    ...(row.size !== undefined ? { size: row.size } : {}),
  };
}

/** A message's rows gathered into chunks in row order, so the same rows always give the same chunks. */
class RowChunks {
  private small: ChunkIntent[] = [];
  private smallChunks = 0;
  private work: ChunkFields[] = [];
  private settling: SettledRow[] = [];
  private settledChunks = 0;
  private settle: SettledChunk[] = [];

  constructor(
    private readonly runId: string,
    private readonly origin: string,
  ) {}

  addIntent(intent: ChunkIntent, rowIndex: number, large: boolean): void {
    if (large) {
      this.work.push({ ...chunkOf(this.runId, `${this.origin}:large:${rowIndex}`, [intent]), large: true });
      return;
    }
    this.small.push(intent);
    if (this.small.length === MAX_CHUNK_INTENTS) this.closeSmall();
  }

  addSettled(row: SettledRow): void {
    this.settling.push(row);
    if (this.settling.length === MAX_CHUNK_INTENTS) this.closeSettled();
  }

  ready(): boolean {
    return this.work.length >= CHUNKS_PER_FLUSH || this.settle.length >= CHUNKS_PER_FLUSH;
  }

  /** The chunks made so far; with `last`, the partly filled ones too. */
  take(last: boolean): { work: ChunkFields[]; settle: SettledChunk[] } {
    if (last && this.small.length > 0) this.closeSmall();
    if (last && this.settling.length > 0) this.closeSettled();
    const taken = { work: this.work, settle: this.settle };
    this.work = [];
    this.settle = [];
    return taken;
  }

  private closeSmall(): void {
    this.work.push(chunkOf(this.runId, `${this.origin}:${this.smallChunks++}`, this.small));
    this.small = [];
  }

  private closeSettled(): void {
    this.settle.push({ origin: `${this.origin}:settled:${this.settledChunks++}`, rows: this.settling });
    this.settling = [];
  }
}
