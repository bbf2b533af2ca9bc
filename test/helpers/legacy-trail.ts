import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../shared/audit/audit-record.js';
import {
  type ChainAnchor,
  type ChainedRecord,
  GENESIS,
  recordHash,
} from '../../shared/audit/legacy/hash-chain.js';
import { auditPartitionKey } from '../../shared/audit/legacy/audit-tables.js';

/**
 * Trails as s3-seal wrote them before chunks (docs/audit.md, "Trails written before chunks"),
 * for tests of their reader: nothing in the tool writes them any more.
 */

/** Links `record` after `anchor` (or at the start of a new chain), as the old audit log did. */
export function chain(record: AuditRecord, anchor: ChainAnchor | undefined): ChainedRecord {
  const linked = { ...record, seq: (anchor?.seq ?? 0) + 1, prevHash: anchor?.head ?? GENESIS };
  return { ...linked, hash: recordHash(linked) };
}

/** Appends one object's records to the old audit table and anchors its head on the ledger table. */
export async function writeLegacyChain(
  dynamo: DynamoDBDocumentClient,
  tables: { auditTable: string; ledgerTable: string },
  records: AuditRecord[],
): Promise<ChainedRecord[]> {
  const chained: ChainedRecord[] = [];
  let anchor: ChainAnchor | undefined;
  for (const record of records) {
    const linked = chain(record, anchor);
    chained.push(linked);
    anchor = { head: linked.hash, seq: linked.seq };
    await dynamo.send(
      new PutCommand({
        TableName: tables.auditTable,
        Item: {
          pk: auditPartitionKey(record.bucket, record.key),
          sk: `run#${record.runId}#job#${record.jobId}`,
          ...linked,
        },
      }),
    );
  }
  const first = records[0];
  if (first && anchor)
    await dynamo.send(
      new PutCommand({
        TableName: tables.ledgerTable,
        Item: { pk: auditPartitionKey(first.bucket, first.key), sk: 'audit', head: anchor.head, seq: anchor.seq },
      }),
    );
  return chained;
}
