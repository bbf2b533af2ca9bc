import { type DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transactionCancellation } from '../aws-errors.js';

/** The run item every page counter lives on (docs/architecture.md, "Flow"). */
export const runItemKey = (runId: string) => ({ pk: `run#${runId}`, sk: 'run' });

/**
 * Writes a page's marker item and moves the run item's counters in one transaction, only if the
 * marker does not exist yet: the delivery that writes the marker is the one that counts, and a
 * crash can never leave a marker without its count. Returns false when an earlier delivery wrote
 * it (the scan's pages, listing chains' plans, rewrap plan pages all count this way).
 */
export async function putMarkerOnce(
  client: DynamoDBDocumentClient,
  tableName: string,
  marker: Record<string, unknown>,
  run: { runId: string; UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> },
): Promise<boolean> {
  try {
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName: tableName,
              Key: runItemKey(run.runId),
              UpdateExpression: run.UpdateExpression,
              ExpressionAttributeValues: run.ExpressionAttributeValues,
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (transactionCancellation(error)?.[0]?.Code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}

/**
 * Marks a run's scan complete when `condition` holds on its run item (all data files, all plan
 * chains, no page pending): pages finish in any order, so each one that might be the last asks,
 * and only the one that finds the condition true sets the flag. Idempotent; returns whether this
 * call set it (false also when the condition did not hold yet).
 */
export async function completeScanWhen(
  client: DynamoDBDocumentClient,
  tableName: string,
  runId: string,
  condition: string,
  values: Record<string, unknown> = {},
): Promise<boolean> {
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: runItemKey(runId),
        UpdateExpression: 'SET scanComplete = :true',
        ConditionExpression: condition,
        ExpressionAttributeValues: { ':true': true, ...values },
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
