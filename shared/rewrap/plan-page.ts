import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RewrapPlanPageMessage } from '../jobs/messages.js';
import { readManifestPage } from '../manifests/manifest-page.js';
import { PlanPages } from '../runs/plan-pages.js';
import { queueBody } from '../sqs-text.js';
import { candidatesByBucket } from './manifest-candidates.js';
import { queueRewrapChunks, type RewrapChunkDeps } from './rewrap-chunks.js';

export interface PlanPageDeps extends RewrapChunkDeps {
  dynamo: DynamoDBDocumentClient;
  ledgerTable: string;
  scanQueueUrl: string;
}

export interface PlanPageResult {
  enqueued: number;
  hasNextPage: boolean;
  duplicate: boolean;
}

/**
 * One page of a manifest chain (docs/architecture.md, "Manifests"): reads one member of
 * the manifest, keeps the objects within the plan's bucket, prefix and cut-off, fixes each bucket's
 * membership and queues its `rewrap-chunk` messages (chunk ids from
 * `manifest:<manifest key>:<page>:<bucket>:<n>`), then the chain's next page, then counts the page
 * once. A redelivery before the count reads the stored memberships and queues the same chunks,
 * which their chunk items make harmless; one after it only finishes what it may have left.
 * Entries of the same object in other manifests of the plan are not seen here: each is one HEAD
 * that finds the object elsewhere or already done, never a second write.
 */
export async function rewrapPlanPage(
  message: RewrapPlanPageMessage,
  deps: PlanPageDeps,
): Promise<PlanPageResult> {
  const pages = new PlanPages(deps.dynamo, deps.ledgerTable);
  const earlier = await pages.recorded(message.runId, message.chain, message.page);
  if (earlier) {
    // The earlier delivery may have died between counting its chain's last page and completing.
    if (earlier.chainDone) await pages.completeAt(message.runId, message.chains);
    return { enqueued: 0, hasNextPage: false, duplicate: true };
  }
  const manifest = { bucket: deps.location.bucket, key: message.manifest };
  const page = await readManifestPage(deps.s3, manifest, message.offset);
  const enqueued = await queueManifestPage(deps, message, page.entries, message.page);
  const hasNextPage = page.next !== undefined;
  if (page.next !== undefined) {
    const next: RewrapPlanPageMessage = { ...message, page: message.page + 1, offset: page.next };
    await deps.sqs.send(
      new SendMessageCommand({ QueueUrl: deps.scanQueueUrl, MessageBody: queueBody(next) }),
    );
  }
  await pages.record(message.runId, message.chain, message.page, enqueued, !hasNextPage);
  if (!hasNextPage) await pages.completeAt(message.runId, message.chains);
  return { enqueued, hasNextPage, duplicate: false };
}

/** Queues one manifest page's candidates, bucket by bucket; returns how many. */
export async function queueManifestPage(
  deps: RewrapChunkDeps,
  plan: Pick<
    RewrapPlanPageMessage,
    'runId' | 'bucket' | 'prefix' | 'fromKeyArn' | 'toKeyArn' | 'wrappedBefore' | 'manifest'
  >,
  entries: Parameters<typeof candidatesByBucket>[0],
  page: number,
  seen?: Set<string>,
): Promise<number> {
  let enqueued = 0;
  for (const [bucket, intents] of candidatesByBucket(entries, plan, seen)) {
    const run = { runId: plan.runId, bucket, fromKeyArn: plan.fromKeyArn, toKeyArn: plan.toKeyArn };
    const origin = `manifest:${plan.manifest}:${page}:${bucket}`;
    enqueued += await queueRewrapChunks(
      deps,
      plan.wrappedBefore ? { ...run, wrappedBefore: plan.wrappedBefore } : run,
      origin,
      intents,
    );
  }
  return enqueued;
}
