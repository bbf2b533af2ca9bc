import type { InventoryRow } from '../inventory/row.js';
import type { SettledRow } from '../inventory/settle-rows.js';
import {
  type InventoryChunkDeps,
  type InventoryChunkResult,
  readInventoryChunk,
} from '../jobs/inventory-chunk.js';
import type { RewrapInventoryFileMessage, RewrapJob } from '../jobs/messages.js';
import { sendInBatches } from '../jobs/scan-page.js';

/**
 * What a re-wrap run does with one current inventory row (docs/large-buckets.md, "`rewrap
 * --inventory`"). Only an SSE-C row is settled from the report: no KMS key wraps an SSE-C object,
 * and its HEAD (two requests without the customer key) would skip it `not-kms-protected` too.
 * Every other row needs the object's metadata, which an inventory does not carry: an SSE-KMS row
 * does not name its key, and an S3EC envelope under the source key is stored NOT-SSE or, on AWS
 * since 2023, SSE-S3. Those go to the rewrap handler, whose HEAD decides.
 */
export function decideRewrapRow(row: InventoryRow): SettledRow['decision'] | 'job' {
  if (row.encryptionStatus === 'SSE-C') {
    return {
      action: 'skip',
      reason: 'not-kms-protected',
      detail: 'SSE-C: encrypted under a customer key, not wrapped by a KMS key',
    };
  }
  return 'job';
}

/**
 * Turns one S3 Inventory data file of a re-wrap run (`rewrap --inventory`) into rewrap jobs:
 * enumeration in parallel, one message per data file, where `rewrap --scan` lists the bucket from
 * one process. Chunks, page markers and redeliveries: {@link readInventoryChunk}.
 */
export async function rewrapInventoryFilePage(
  message: RewrapInventoryFileMessage,
  deps: InventoryChunkDeps,
  options: { rowsPerMessage?: number; settledPerMessage?: number } = {},
): Promise<InventoryChunkResult> {
  return readInventoryChunk<RewrapJob>(
    message,
    deps,
    {
      auditMode: 'rewrap',
      fate: (row, jobId) => {
        const decision = decideRewrapRow(row);
        if (decision !== 'job') return { settle: decision };
        return {
          job: {
            type: 'rewrap',
            runId: message.runId,
            jobId,
            bucket: message.bucket,
            key: row.key,
            fromKeyArn: message.fromKeyArn,
            toKeyArn: message.toKeyArn,
            ...(message.wrappedBefore ? { wrappedBefore: message.wrappedBefore } : {}),
          },
        };
      },
      send: (jobs) => sendInBatches(deps.sqs, deps.queues.rewrap, jobs),
    },
    options,
  );
}
