import { classifyAwsError } from '../aws-errors.js';
import type { ScanChains } from '../runs/scan-chains.js';
import { compareKeys, findSplitPoint, inRange } from '../s3/key-range.js';
import { type ListedObject, listObjectsPage } from '../s3/list-objects.js';
import { queueBody } from '../sqs-text.js';
import { type ChainPagePlan, planChainPage } from './chain-plan.js';
import type { ScanChain, ScanMessage } from './messages.js';
import { enqueueObjects, type ScanDeps, type ScanResult, sendInBatches } from './scan-page.js';

export interface ChainScanDeps extends ScanDeps {
  chains: ScanChains;
}

/**
 * Lists one page of one of a run's listing chains (docs/large-buckets.md, "Listing chains"):
 * enqueues its objects, then the chain's next page and, when the chain splits, a new chain's first
 * page. The plan of what to queue is stored before anything is queued, so a redelivery queues the
 * same pages; the page is recorded with the run's counters and its returned credit in one
 * transaction, and the page that returns the run's last credit marks the scan complete.
 */
export async function scanChainPage(message: ScanMessage, deps: ChainScanDeps): Promise<ScanResult> {
  const chain = message.chain!;
  const { runId, page } = { runId: message.runId, page: message.page };
  const stored = await deps.chains.page(runId, chain.id, page);
  if (stored?.done) {
    await deps.chains.completeIfCredited(runId);
    return { enqueued: 0, hasNextPage: false, duplicate: true };
  }
  const storedPlan = stored?.plan === undefined ? undefined : (JSON.parse(stored.plan) as ChainPagePlan);
  const listed = await listing(message, chain, deps, storedPlan?.lastKey);

  let plan = storedPlan;
  if (!plan) {
    plan = await planChainPage(
      chain,
      page,
      { keys: listed.objects.map((o) => o.key), truncated: listed.truncated },
      (last) => findSplitPoint(keysAfter(message, chain, deps), last, message.prefix),
    );
    // A chain that cannot split queues the same range whatever its listing shows: no plan to keep.
    if (chain.budget > 1)
      plan = JSON.parse(await deps.chains.savePlan(runId, chain.id, page, queueBody(plan)));
  }
  const covered = { after: chain.after, until: plan!.lastKey ?? chain.until };
  const enqueued = await enqueueObjects(
    message,
    listed.objects.filter((o) => inRange(o.key, covered)),
    deps,
  );
  const pages: ScanMessage[] = [];
  if (plan!.next) pages.push({ ...message, page: page + 1, chain: plan!.next });
  if (plan!.split) pages.push({ ...message, page: 1, chain: plan!.split });
  await sendInBatches(deps.sqs, deps.queues.scan, pages);
  await deps.chains.recordPage(runId, chain.id, page, { discovered: enqueued, credit: plan!.returned });
  await deps.chains.completeIfCredited(runId);
  return { enqueued, hasNextPage: plan!.next !== undefined, duplicate: false };
}

/**
 * One page from the chain's `after`. A redelivery whose stored plan ends at `lastKey` lists on
 * until it has passed that key, in case keys were added since the first delivery listed.
 */
async function listing(
  message: ScanMessage,
  chain: ScanChain,
  deps: ChainScanDeps,
  lastKey?: string,
): Promise<{ objects: ListedObject[]; truncated: boolean }> {
  const objects: ListedObject[] = [];
  let startAfter = chain.after;
  let truncated: boolean;
  do {
    const page = await listObjectsPage(deps.s3, {
      bucket: message.bucket,
      prefix: message.prefix,
      maxKeys: deps.config.scanPageSize,
      startAfter,
    }).catch((error) => {
      throw classifyAwsError(error, `listing s3://${message.bucket}/${message.prefix} failed`, {
        bucket: message.bucket,
        runId: message.runId,
      });
    });
    objects.push(...page.objects);
    truncated = page.nextContinuationToken !== undefined;
    startAfter = page.objects.at(-1)?.key;
  } while (
    lastKey !== undefined &&
    truncated &&
    startAfter !== undefined &&
    compareKeys(startAfter, lastKey) < 0
  );
  return { objects, truncated };
}

/** Whether a key lies after a point within the chain's range: one LIST of one key. */
function keysAfter(message: ScanMessage, chain: ScanChain, deps: ChainScanDeps) {
  return async (startAfter: string): Promise<boolean> => {
    const page = await listObjectsPage(deps.s3, {
      bucket: message.bucket,
      prefix: message.prefix,
      maxKeys: 1,
      startAfter,
    });
    const first = page.objects[0]?.key;
    return first !== undefined && inRange(first, { until: chain.until });
  };
}
