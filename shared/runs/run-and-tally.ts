import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { TALLY_PREFIX } from './tally-shards.js';

const RUN_SK = 'run';

/**
 * A run's item and its tally shards with one consistent Query of the run's partition, from `run`
 * to the last `tally#` sort key: nothing else sorts between them (`holder#`, `large#`, `page#` and
 * `plan#` all sort before `run`).
 */
export async function readRunAndTally(
  client: DynamoDBDocumentClient,
  table: string,
  runId: string,
): Promise<{ run: Record<string, unknown> | undefined; shards: Array<Record<string, unknown>> }> {
  let run: Record<string, unknown> | undefined;
  const shards: Array<Record<string, unknown>> = [];
  for await (const page of paginateQuery(
    { client },
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :run AND :lastTally',
      ExpressionAttributeValues: {
        ':pk': `run#${runId}`,
        ':run': RUN_SK,
        ':lastTally': `${TALLY_PREFIX}\uffff`,
      },
      ConsistentRead: true,
    },
  )) {
    for (const item of page.Items ?? []) {
      if (item.sk === RUN_SK) run = item;
      else if (String(item.sk).startsWith(TALLY_PREFIX)) shards.push(item);
    }
  }
  return { run, shards };
}
