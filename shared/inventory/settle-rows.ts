import type { AuditRecord } from '../audit/audit-record.js';
import { chunkIdFor } from '../chunks/chunk-message.js';
import { commitDecidedChunk, type DecidedChunkDeps } from '../chunks/run-chunk.js';

/** Chunks of settled rows committed at once (each a claim, a chunk log PUT and a commit). */
export const SETTLE_CONCURRENCY = 8;

/** How a settled record says it was decided: from the inventory report, without a HEAD. */
export const INVENTORY_ROW_METHOD = 'inventory-row';

/** A current row the inventory decided, with the job id its object has in the run. */
export interface SettledRow {
  bucket: string;
  key: string;
  jobId: string;
  etag?: string;
  versionId?: string;
  /** Settled as compliant, or skipped under the reason the HEAD path counts (`sse-c`, …). */
  decision: { action: 'compliant'; reason: string } | { action: 'skip'; reason: string; detail?: string };
}

/** Up to 100 settled rows of one data file chunk, and the chunk's origin (`inventory:<file>:<row>:settled:<n>`). */
export interface SettledChunk {
  origin: string;
  rows: SettledRow[];
}

export type SettleDeps = DecidedChunkDeps & {
  /** The runner's commit of a decided chunk; a test gives its own. */
  commitDecided?: typeof commitDecidedChunk;
};

// Inventory ETags come without the quotes S3 puts around them in a HEAD's ETag header; the audit
// trail keeps them as HEAD would show them, so records of both paths compare.
const asHeaderEtag = (etag: string | undefined) =>
  etag === undefined || etag.startsWith('"') ? etag : `"${etag}"`;

/**
 * The audit record of a row the inventory decided. Its reason is the one the run counts (`sse-c`,
 * `other-bucket`, …, as the HEAD path counts it); `method` says the decision came from the row.
 */
export function settledRecord(
  row: SettledRow,
  run: { runId: string; mode: string },
  actor: string,
  at: Date,
): AuditRecord {
  return {
    decision: row.decision.action === 'compliant' ? 'compliant' : 'skipped',
    runId: run.runId,
    jobId: row.jobId,
    actor,
    bucket: row.bucket,
    key: row.key,
    mode: run.mode,
    ...(row.etag !== undefined ? { etagBefore: asHeaderEtag(row.etag) } : {}),
    ...(row.versionId !== undefined ? { versionIdBefore: row.versionId } : {}),
    method: INVENTORY_ROW_METHOD,
    reason: row.decision.reason,
    at: at.toISOString(),
  };
}

/**
 * Settles rows the inventory decided (docs/large-buckets.md, "Rows settled from the inventory"):
 * each chunk of them is committed as a decided chunk, no S3 request for the objects and no
 * per-object item. A chunk's id is stable per origin, so a redelivered data file chunk finds its
 * settled chunks committed ('duplicate') and counts nothing twice. Returns the rows committed now.
 */
export async function settleRows(
  chunks: SettledChunk[],
  /** The run, and how its audit records name it (its protection mode, or `rewrap`). */
  run: { runId: string; mode: string },
  deps: SettleDeps,
): Promise<number> {
  const commit = deps.commitDecided ?? commitDecidedChunk;
  const now = deps.now ?? (() => new Date());
  let next = 0;
  let committed = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      const at = now();
      const records = chunk.rows.map((row) => settledRecord(row, run, deps.config.actor, at));
      const ref = { runId: run.runId, chunkId: chunkIdFor(run.runId, chunk.origin) };
      if ((await commit(ref, records, deps)) === 'committed') committed += chunk.rows.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SETTLE_CONCURRENCY, chunks.length) }, worker));
  return committed;
}
