import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { readChunkLog } from '../../shared/chunks/chunk-log.js';
import type { AuditLocation, ChunkRecord } from '../../shared/chunks/chunk-log-types.js';

interface Stack {
  clients: { dynamo: DynamoDBDocumentClient; s3: S3Client };
  config: { ledgerTable: string; auditLocation: AuditLocation };
}

/**
 * Every chunk item of a run as the table holds it (docs/architecture.md, "Chunk ledger": key
 * `chunks#<runId>#<shard>`), read with a Scan so that a test sees the stored attributes, not what a
 * store under test makes of them. `state` narrows it (IN_PROGRESS: the chunks still claimed).
 */
export async function chunkItemsOfRun(
  stack: Stack,
  runId: string,
  state?: 'IN_PROGRESS' | 'RETRY' | 'DONE',
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  for await (const page of paginateScan(
    { client: stack.clients.dynamo },
    {
      TableName: stack.config.ledgerTable,
      FilterExpression: `begins_with(pk, :chunks)${state ? ' AND #state = :state' : ''}`,
      ...(state ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
      ExpressionAttributeValues: { ':chunks': `chunks#${runId}#`, ...(state ? { ':state': state } : {}) },
      ConsistentRead: true,
    },
  ))
    items.push(...(page.Items ?? []));
  return items;
}

/** The records of a run's committed chunks, read from the logs their items name. */
export async function committedRecords(stack: Stack, runId: string): Promise<ChunkRecord[]> {
  const records: ChunkRecord[] = [];
  for (const item of await chunkItemsOfRun(stack, runId, 'DONE')) {
    const log = await readChunkLog(stack.clients.s3, stack.config.auditLocation, String(item.logKey));
    records.push(...log.lines.map((line) => line.record));
  }
  return records;
}
