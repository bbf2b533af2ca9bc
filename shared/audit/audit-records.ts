import { type DynamoDBDocumentClient, paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { AuditDecision, AuditRecord } from './audit-log.js';

export const AUDIT_RUN_INDEX = 'byRun';

/** A run's audit records (optionally only some decisions), from the audit table's index by run. */
export async function* recordsOfRun(
  dynamo: DynamoDBDocumentClient,
  auditTable: string,
  runId: string,
  decisions?: AuditDecision[],
): AsyncGenerator<AuditRecord> {
  const values = Object.fromEntries((decisions ?? []).map((d, i) => [`:d${i}`, d]));
  for await (const page of paginateQuery(
    { client: dynamo },
    {
      TableName: auditTable,
      IndexName: AUDIT_RUN_INDEX,
      KeyConditionExpression: 'runId = :run',
      ...(decisions ? { FilterExpression: `decision IN (${Object.keys(values).join(', ')})` } : {}),
      ExpressionAttributeValues: { ':run': runId, ...values },
    },
  )) {
    for (const item of page.Items ?? []) yield toRecord(item);
  }
}

/**
 * Every audit record about objects in `bucket`. Records are keyed per object, so this reads the
 * whole table page by page (a Scan with a filter): fine for exports, not for hot paths.
 */
export async function* recordsOfBucket(
  dynamo: DynamoDBDocumentClient,
  auditTable: string,
  bucket: string,
): AsyncGenerator<AuditRecord> {
  for await (const page of paginateScan(
    { client: dynamo },
    {
      TableName: auditTable,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': `obj#${bucket}/` },
    },
  )) {
    for (const item of page.Items ?? []) yield toRecord(item);
  }
}

function toRecord(item: Record<string, unknown>): AuditRecord {
  const { pk: _pk, sk: _sk, ...record } = item;
  return record as unknown as AuditRecord;
}
