import { classifyAwsError } from '../aws-errors.js';
import type { ScanChains } from '../runs/scan-chains.js';
import { type ListedPage, listObjectsPage } from '../s3/list-objects.js';
import { queueBody } from '../sqs-text.js';
import {
  CHAIN_DELIMITER,
  type ChainPagePlan,
  chainIdOf,
  flatPlan,
  listsFlatFirst,
  planChainPage,
} from './chain-plan.js';
import type { ScanChain, ScanMessage } from './messages.js';
import { queueListedPage, type ScanDeps, type ScanResult } from './scan-page.js';
import { sendInBatches } from './send-batches.js';

/** How long a delivery waits for another delivery of the same page to record it (pages take ~1 s). */
const DUPLICATE_WAIT_MS = 5_000;

export interface ChainScanDeps extends ScanDeps {
  chains: ScanChains;
}

/**
 * Lists one page of one of a run's listing chains (docs/large-buckets.md, "Listing chains"):
 * queues its objects in chunks of a membership fixed once ({@link queueListedPage}), then the chain's next page and a first page for each new chain. What to
 * queue is stored, and counted as pending, before anything is queued, so a redelivery queues the
 * same pages and the run's count of pending pages never misses one in flight; the page is
 * recorded with the run's counters in one transaction, and the page that leaves nothing pending
 * marks the scan complete.
 */
export async function scanChainPage(message: ScanMessage, deps: ChainScanDeps): Promise<ScanResult> {
  const chain = message.chain!;
  const { runId, page } = message;
  const id = chainIdOf(chain.prefix);
  let stored = await deps.chains.page(runId, id, page);
  // A plan without its record: another delivery of this page is at work, or died. Waiting for the
  // first case keeps its copies of the next pages from being worked twice, and theirs, and so on.
  if (stored && !stored.done) stored = await deps.chains.awaitDone(runId, id, page, DUPLICATE_WAIT_MS);
  if (stored?.done) {
    await deps.chains.completeIfNothingPending(runId);
    return { enqueued: 0, hasNextPage: false, duplicate: true };
  }
  const list = (delimited: boolean) =>
    listObjectsPage(deps.s3, {
      bucket: message.bucket,
      prefix: chain.prefix,
      delimiter: delimited ? CHAIN_DELIMITER : undefined,
      maxKeys: deps.config.scanPageSize,
      continuationToken: message.continuationToken,
    }).catch((error) => {
      throw classifyAwsError(error, `listing s3://${message.bucket}/${chain.prefix} failed`, {
        bucket: message.bucket,
        runId,
      });
    });
  // What this delivery listed, and how: the plan that holds decides how its page is listed.
  let listed: { page: ListedPage; delimited: boolean } | undefined;
  let plan: ChainPagePlan;
  if (stored?.plan !== undefined) {
    plan = JSON.parse(stored.plan);
  } else {
    ({ plan, listed } = await planPage(chain, page, list));
    // The run's first page was queued by startRun, not by a page: it counts itself as pending.
    const first = page === 1 && chain.prefix === message.prefix;
    const queued = pagesOf(message, plan).length + (first ? 1 : 0);
    const saved = await deps.chains.savePlan(runId, id, page, queueBody(plan), queued);
    if (!saved.won) {
      // Another delivery planned the page between our read and our write: give it time to finish.
      const now = await deps.chains.awaitDone(runId, id, page, DUPLICATE_WAIT_MS);
      if (now?.done) return { enqueued: 0, hasNextPage: false, duplicate: true };
    }
    plan = JSON.parse(saved.plan);
  }
  // A flat plan lists its page without the delimiter, on every delivery: the page holds every key.
  const delimited = chain.delimited && !plan.flat;
  if (listed?.delimited !== delimited) listed = { page: await list(delimited), delimited };
  const enqueued = await queueListedPage(
    message,
    id,
    { objects: listed.page.objects, listingEnds: listed.page.nextContinuationToken === undefined },
    deps,
  );
  const next = pagesOf(message, plan);
  await sendInBatches(deps.sqs, deps.queues.scan, next);
  // The run's first page queueing no other is the whole scan: it records and completes it at once.
  const whole = page === 1 && chain.prefix === message.prefix && next.length === 0;
  const { completed } = await deps.chains.recordPage(runId, id, page, enqueued, { completes: whole });
  if (!completed) await deps.chains.completeIfNothingPending(runId);
  return { enqueued, hasNextPage: plan.nextToken !== undefined, duplicate: false };
}

/**
 * A page's plan, from the listing it is decided on. A small prefix is one page: a chain's page that
 * may fan out is listed flat first ({@link listsFlatFirst}), and a flat page that ends the listing
 * holds every key below the prefix, so no folder gets a chain of its own (each would end in a
 * part-filled chunk). Otherwise the page is listed as its chain lists (by delimiter, to fan out):
 * one LIST more for a prefix larger than a page.
 */
async function planPage(
  chain: ScanChain,
  page: number,
  list: (delimited: boolean) => Promise<ListedPage>,
): Promise<{ plan: ChainPagePlan; listed: { page: ListedPage; delimited: boolean } }> {
  if (listsFlatFirst(chain, page)) {
    const flat = await list(false);
    if (flat.nextContinuationToken === undefined)
      return { plan: flatPlan(), listed: { page: flat, delimited: false } };
  }
  const listed = await list(chain.delimited);
  return { plan: planChainPage(chain, listed), listed: { page: listed, delimited: chain.delimited } };
}

/** The scan messages a plan queues: the chain's next page, then each new chain's first page. */
function pagesOf(message: ScanMessage, plan: ChainPagePlan): ScanMessage[] {
  const { continuationToken: _token, ...fields } = message;
  const pages: ScanMessage[] = [];
  if (plan.nextToken !== undefined) {
    pages.push({ ...fields, page: message.page + 1, continuationToken: plan.nextToken });
  }
  for (const chain of plan.children) pages.push({ ...fields, page: 1, chain });
  return pages;
}
