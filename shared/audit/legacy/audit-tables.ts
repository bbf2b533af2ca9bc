import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { errorName } from '../../aws-errors.js';
import { RetryableError } from '../../errors.js';
import type { ChainAnchor, ChainedRecord } from './hash-chain.js';

/**
 * Reads of the tables trails written before chunks live in (docs/audit.md, "Trails written before
 * chunks"): one audit item per (object, run, job) in the audit table, keyed per object, with an
 * index by run, and each object's chain head anchored on the ledger table. Nothing writes them now.
 */
export interface LegacyTables {
  dynamo: DynamoDBDocumentClient;
  auditTable: string;
  ledgerTable: string;
}

export const AUDIT_RUN_INDEX = 'byRun';
export const auditPartitionKey = (bucket: string, key: string) => `obj#${bucket}/${key}`;
const anchorKey = (bucket: string, key: string) => ({ pk: auditPartitionKey(bucket, key), sk: 'audit' });

/** A deployment set up after chunks may have no audit table at all: then it holds no old trail. */
export async function* absentAsEmpty<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* items;
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') throw error;
  }
}

const toRecord = ({ pk: _pk, sk: _sk, ...record }: Record<string, unknown>) =>
  record as unknown as ChainedRecord;

/** A run's old records, from the audit table's index by run. */
export async function* legacyRecordsOfRun(
  tables: LegacyTables,
  runId: string,
): AsyncGenerator<ChainedRecord> {
  for await (const page of paginateQuery(
    { client: tables.dynamo },
    {
      TableName: tables.auditTable,
      IndexName: AUDIT_RUN_INDEX,
      KeyConditionExpression: 'runId = :run',
      ExpressionAttributeValues: { ':run': runId },
    },
  )) {
    for (const item of page.Items ?? []) yield toRecord(item);
  }
}

/** Every old record about objects in `bucket`: a filtered Scan of the whole audit table. */
export async function* legacyRecordsOfBucket(
  tables: LegacyTables,
  bucket: string,
): AsyncGenerator<ChainedRecord> {
  for await (const page of paginateScan(
    { client: tables.dynamo },
    {
      TableName: tables.auditTable,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': `obj#${bucket}/` },
    },
  )) {
    for (const item of page.Items ?? []) yield toRecord(item);
  }
}

/** One object's whole chain, every run's records. */
export async function objectChain(
  tables: LegacyTables,
  bucket: string,
  key: string,
): Promise<ChainedRecord[]> {
  const records: ChainedRecord[] = [];
  for await (const page of paginateQuery(
    { client: tables.dynamo },
    {
      TableName: tables.auditTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': auditPartitionKey(bucket, key) },
      ConsistentRead: true,
    },
  )) {
    for (const item of page.Items ?? []) records.push(toRecord(item));
  }
  return records;
}

function anchorOf(item: Record<string, unknown> | undefined): ChainAnchor | undefined {
  return item?.head ? { head: String(item.head), seq: Number(item.seq) } : undefined;
}

/** The head of an object's chain, as the ledger anchors it. */
export async function readAnchor(tables: LegacyTables, bucket: string, key: string) {
  const out = await tables.dynamo.send(
    new GetCommand({ TableName: tables.ledgerTable, Key: anchorKey(bucket, key), ConsistentRead: true }),
  );
  return anchorOf(out.Item);
}

/** Anchors of many objects (BatchGetItem takes 100 keys), by audit partition key. */
export async function readAnchors(
  tables: LegacyTables,
  objects: Array<{ bucket: string; key: string }>,
): Promise<Map<string, ChainAnchor>> {
  const anchors = new Map<string, ChainAnchor>();
  const keys = [
    ...new Map(objects.map((o) => [auditPartitionKey(o.bucket, o.key), anchorKey(o.bucket, o.key)])).values(),
  ];
  for (let start = 0; start < keys.length; start += 100) {
    let request: Record<string, unknown>[] = keys.slice(start, start + 100);
    for (let round = 0; request.length > 0; round++) {
      if (round >= 12) throw new RetryableError(`DynamoDB left ${request.length} anchor(s) unread`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** round)));
      const out = await tables.dynamo.send(
        new BatchGetCommand({
          RequestItems: { [tables.ledgerTable]: { Keys: request, ConsistentRead: true } },
        }),
      );
      for (const item of out.Responses?.[tables.ledgerTable] ?? []) {
        const anchor = anchorOf(item);
        if (anchor) anchors.set(String(item.pk), anchor);
      }
      request = out.UnprocessedKeys?.[tables.ledgerTable]?.Keys ?? [];
    }
  }
  return anchors;
}

/** Every anchor on the ledger table (`sk = audit`), one Scan segment of `segments`. */
export async function* anchorsOf(
  tables: LegacyTables,
  options: { segment?: number; segments?: number; bucket?: string } = {},
): AsyncGenerator<{ pk: string; seq: number }> {
  const prefix = options.bucket ? `obj#${options.bucket}/` : 'obj#';
  for await (const page of paginateScan(
    { client: tables.dynamo },
    {
      TableName: tables.ledgerTable,
      ...(options.segments ? { Segment: options.segment ?? 0, TotalSegments: options.segments } : {}),
      FilterExpression: 'sk = :audit AND begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':audit': 'audit', ':prefix': prefix },
      ProjectionExpression: 'pk, seq',
    },
  )) {
    for (const item of page.Items ?? []) yield { pk: String(item.pk), seq: Number(item.seq ?? 0) };
  }
}
