import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord } from '../../shared/audit/audit-record.js';
import { auditPartitionKey } from '../../shared/audit/legacy/audit-tables.js';
import {
  type ChainAnchor,
  type ChainedRecord,
  GENESIS,
  recordHash,
} from '../../shared/audit/legacy/hash-chain.js';
import {
  MULTISET_HASH_ALGORITHM,
  MultisetAccumulator,
  multisetDigest,
} from '../../shared/audit/multiset-hash.js';
import { tableDefinitions } from '../../shared/infra/provision.js';
import { newRunId, type RunStore } from '../../shared/runs/run-store.js';
import { shardUpdate } from '../../shared/runs/tally-shards.js';

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
        Item: {
          pk: auditPartitionKey(first.bucket, first.key),
          sk: 'audit',
          head: anchor.head,
          seq: anchor.seq,
        },
      }),
    );
  return chained;
}

/** The old audit table, as setup created it, unless it exists. */
export async function ensureLegacyAuditTable(
  dynamo: DynamoDBDocumentClient,
  tables: { auditTable: string; ledgerTable: string },
): Promise<void> {
  const definition = tableDefinitions(tables).find((t) => t.TableName === tables.auditTable)!;
  await dynamo.send(new CreateTableCommand(definition)).catch((error: { name?: string }) => {
    if (error.name !== 'ResourceInUseException') throw error;
  });
}

/**
 * A closed run written before chunks: its run record, one chained record per key (each the
 * object's first), a tally shard counting them and the multiset digest it closed with.
 */
export async function writeLegacyRun(
  deps: { dynamo: DynamoDBDocumentClient; runs: RunStore; auditTable: string; ledgerTable: string },
  bucket: string,
  keys: string[],
): Promise<{ runId: string; records: ChainedRecord[] }> {
  const runId = newRunId(new Date('2026-01-01T00:00:00Z'));
  await deps.runs.create({
    runId,
    bucket,
    prefix: '',
    mode: 'sse-s3',
    startedAt: '2026-01-01T00:00:00.000Z',
  });
  const records: ChainedRecord[] = [];
  for (const [i, key] of keys.entries()) {
    const record: AuditRecord = {
      decision: 'encrypted',
      runId,
      jobId: `job-${i}`,
      actor: 'worker:old',
      bucket,
      key,
      mode: 'sse-s3',
      at: '2026-01-01T00:00:01.000Z',
    };
    records.push(...(await writeLegacyChain(deps.dynamo, deps, [record])));
  }
  const { update } = shardUpdate(deps.ledgerTable, runId, 0, undefined, records);
  await deps.dynamo.send(new UpdateCommand(update));
  const accumulator = new MultisetAccumulator();
  for (const record of records) accumulator.add(record.hash);
  await deps.runs.close(runId, {
    digest: multisetDigest(accumulator.value),
    records: records.length,
    algorithm: MULTISET_HASH_ALGORITHM,
  });
  return { runId, records };
}
