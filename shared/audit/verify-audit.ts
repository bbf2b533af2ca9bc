import { type DynamoDBDocumentClient, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { RunStore } from '../runs/run-store.js';
import { displayS3Uri } from '../s3-uri.js';
import { auditPartitionKey, readAnchor } from './audit-log.js';
import { recordsOfBucket, recordsOfRun } from './audit-records.js';
import { type ChainedRecord, recordHash, runDigest, verifyChain } from './hash-chain.js';
import { MULTISET_HASH_ALGORITHM, MultisetAccumulator, multisetDigest } from './multiset-hash.js';

export interface AuditFinding {
  /** s3://bucket/key, or `run ID` for a finding about the run's digest. */
  subject: string;
  record: string;
  problem: string;
}

export interface AuditVerification {
  objects: number;
  records: number;
  findings: AuditFinding[];
  /** For --run: whether the run's digest was checked, and how it came out. */
  digest?: 'matches' | 'differs' | 'run not closed';
}

interface VerifyDeps {
  dynamo: DynamoDBDocumentClient;
  auditTable: string;
  ledgerTable: string;
  runs: RunStore;
}

/**
 * Recomputes the hash chain of every object in scope (all of each object's records, whichever
 * run wrote them) against the head its ledger anchor holds and, for a run, the digest the run
 * was closed with. Names every altered, removed or inserted record.
 */
export async function verifyAudit(
  deps: VerifyDeps,
  scope: { runId?: string; bucket?: string },
): Promise<AuditVerification> {
  const objects = new Map<string, { bucket: string; key: string }>();
  const runRecords: ChainedRecord[] = [];
  const inScope = scope.runId
    ? recordsOfRun(deps.dynamo, deps.auditTable, scope.runId)
    : recordsOfBucket(deps.dynamo, deps.auditTable, scope.bucket!);
  for await (const record of inScope) {
    if (scope.bucket && record.bucket !== scope.bucket) continue;
    objects.set(`${record.bucket}/${record.key}`, { bucket: record.bucket, key: record.key });
    if (scope.runId) runRecords.push(record as ChainedRecord);
  }
  // Objects whose records were all deleted still have their anchor.
  if (scope.bucket) {
    for await (const anchored of anchoredObjects(deps, scope.bucket))
      objects.set(`${scope.bucket}/${anchored}`, { bucket: scope.bucket, key: anchored });
  }

  const findings: AuditFinding[] = [];
  let records = 0;
  for (const { bucket, key } of objects.values()) {
    const chain = await objectRecords(deps, bucket, key);
    records += chain.length;
    const anchor = await readAnchor(deps.dynamo, deps.ledgerTable, bucket, key);
    for (const problem of verifyChain(chain, anchor))
      findings.push({ subject: displayS3Uri({ bucket, key }), ...problem });
  }

  let digest: AuditVerification['digest'];
  if (scope.runId) {
    const run = await deps.runs.get(scope.runId);
    if (!run) {
      findings.push({ subject: `run ${scope.runId}`, record: 'run', problem: 'not found' });
    } else if (!run.auditDigest) {
      digest = 'run not closed';
    } else if (
      recomputedDigest(run.digestAlgorithm, runRecords) === run.auditDigest &&
      runRecords.length === run.auditRecords
    ) {
      digest = 'matches';
    } else {
      digest = 'differs';
      findings.push({
        subject: `run ${scope.runId}`,
        record: 'digest',
        problem: `its records no longer match the digest it closed with (${runRecords.length} records now, ${run.auditRecords} at close)`,
      });
    }
  }
  return { objects: objects.size, records, findings, digest };
}

/**
 * A run's digest recomputed from its records, by the algorithm it was closed with: the multiset
 * hash of the records' hashes (recomputed from their content, so an altered record changes it),
 * or for runs closed before it, SHA-256 over the sorted hashes.
 */
export function recomputedDigest(algorithm: string | undefined, records: ChainedRecord[]): string {
  if (algorithm === undefined) return runDigest(records);
  if (algorithm !== MULTISET_HASH_ALGORITHM) throw new Error(`unknown run digest algorithm ${algorithm}`);
  const accumulator = new MultisetAccumulator();
  for (const record of records) accumulator.add(recordHash(record));
  return multisetDigest(accumulator.value);
}

async function objectRecords(deps: VerifyDeps, bucket: string, key: string): Promise<ChainedRecord[]> {
  const records: ChainedRecord[] = [];
  for await (const page of paginateQuery(
    { client: deps.dynamo },
    {
      TableName: deps.auditTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': auditPartitionKey(bucket, key) },
      ConsistentRead: true,
    },
  )) {
    for (const { pk: _pk, sk: _sk, ...record } of page.Items ?? []) records.push(record as ChainedRecord);
  }
  return records;
}

async function* anchoredObjects(deps: VerifyDeps, bucket: string): AsyncGenerator<string> {
  const prefix = `obj#${bucket}/`;
  for await (const page of paginateScan(
    { client: deps.dynamo },
    {
      TableName: deps.ledgerTable,
      FilterExpression: 'sk = :audit AND begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':audit': 'audit', ':prefix': prefix },
    },
  )) {
    for (const item of page.Items ?? []) yield (item.pk as string).slice(prefix.length);
  }
}
