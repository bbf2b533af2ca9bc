import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { AuditDecision, AuditRecord } from './audit-log.js';

export const AUDIT_RUN_INDEX = 'byRun';

/** A run's audit records with one of `decisions`, from the audit table's index by run. */
export async function* runDecisions(
  dynamo: DynamoDBDocumentClient,
  auditTable: string,
  runId: string,
  decisions: AuditDecision[],
): AsyncGenerator<AuditRecord> {
  const values = Object.fromEntries(decisions.map((d, i) => [`:d${i}`, d]));
  for await (const page of paginateQuery(
    { client: dynamo },
    {
      TableName: auditTable,
      IndexName: AUDIT_RUN_INDEX,
      KeyConditionExpression: 'runId = :run',
      FilterExpression: `decision IN (${Object.keys(values).join(', ')})`,
      ExpressionAttributeValues: { ':run': runId, ...values },
    },
  )) {
    for (const item of page.Items ?? []) yield item as AuditRecord;
  }
}
