import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';
import type { RewrapJob, RewrapPlanPageMessage } from '../jobs/messages.js';
import { jobIdFor, sendInBatches } from '../jobs/scan-page.js';
import { objectOfPartitionKey, WRAP_KEY_INDEX, wrapKeyOf } from '../ledger/wrap-key.js';
import type { QueueUrls } from '../queues.js';
import { PlanPages } from '../runs/plan-pages.js';
import { queueBody } from '../sqs-text.js';

export interface PlanPageDeps {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  queues: Pick<QueueUrls, 'scan' | 'rewrap'>;
  /** Plan pages are as long as listing pages (S3SEAL_SCAN_PAGE_SIZE). */
  config: Pick<Config, 'ledgerTable' | 'scanPageSize'>;
}

export interface PlanPageResult {
  enqueued: number;
  hasNextPage: boolean;
  duplicate: boolean;
}

/**
 * One page of a chained rewrap plan: queries one shard of the wrap index, enqueues a rewrap job per
 * matching object, then the shard's next page, then counts the page once (docs/large-buckets.md,
 * "Chained rewrap plans"). A redelivery before the page was counted enqueues the same job ids again,
 * which the rewrap ledger makes harmless; one after it does nothing but finish what it may have left.
 */
export async function rewrapPlanPage(
  message: RewrapPlanPageMessage,
  deps: PlanPageDeps,
): Promise<PlanPageResult> {
  const pages = new PlanPages(deps.dynamo, deps.config.ledgerTable);
  const earlier = await pages.recorded(message.runId, message.shard, message.page);
  if (earlier) {
    // The earlier delivery may have died between counting its chain's last page and completing.
    if (earlier.chainDone) await pages.completeAt(message.runId, message.chains);
    return { enqueued: 0, hasNextPage: false, duplicate: true };
  }
  const out = await deps.dynamo.send(
    new QueryCommand({
      TableName: deps.config.ledgerTable,
      IndexName: WRAP_KEY_INDEX,
      KeyConditionExpression: message.wrappedBefore
        ? 'wrapKey = :wrapKey AND wrappedAt < :before'
        : 'wrapKey = :wrapKey',
      ExpressionAttributeValues: {
        ':wrapKey': wrapKeyOf(message.fromKeyArn, message.shard),
        ...(message.wrappedBefore ? { ':before': message.wrappedBefore } : {}),
      },
      Limit: deps.config.scanPageSize,
      ...(message.cursor ? { ExclusiveStartKey: JSON.parse(message.cursor) } : {}),
    }),
  );
  const jobs: RewrapJob[] = [];
  for (const item of out.Items ?? []) {
    const object = objectOfPartitionKey(String(item.pk));
    if (item.sk !== 'encrypt' || !object) continue;
    if (message.bucket && object.bucket !== message.bucket) continue;
    if (!object.key.startsWith(message.prefix)) continue;
    jobs.push({
      type: 'rewrap',
      runId: message.runId,
      jobId: jobIdFor(message.runId, object.bucket, object.key),
      bucket: object.bucket,
      key: object.key,
      fromKeyArn: message.fromKeyArn,
      toKeyArn: message.toKeyArn,
      ...(message.wrappedBefore ? { wrappedBefore: message.wrappedBefore } : {}),
    });
  }
  await sendInBatches(deps.sqs, deps.queues.rewrap, jobs);
  const hasNextPage = out.LastEvaluatedKey !== undefined;
  if (hasNextPage) {
    const next: RewrapPlanPageMessage = {
      ...message,
      page: message.page + 1,
      cursor: JSON.stringify(out.LastEvaluatedKey),
    };
    await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queues.scan, MessageBody: queueBody(next) }));
  }
  await pages.record(message.runId, message.shard, message.page, jobs.length, !hasNextPage);
  if (!hasNextPage) await pages.completeAt(message.runId, message.chains);
  return { enqueued: jobs.length, hasNextPage, duplicate: false };
}
