import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import { completeScanWhen, putMarkerOnce, runItemKey } from './marker-once.js';

/** A chain's page as stored: its plan (what it queues), and whether it is recorded. */
export interface StoredPage {
  plan?: string;
  done: boolean;
}

const chainPageKey = (runId: string, chain: string, page: number) => ({
  pk: `run#${runId}`,
  sk: `page#${chain}#${String(page).padStart(8, '0')}`,
});

/**
 * Page markers and the pending-page count of a run listed by chains, in the ledger table beside
 * the run item (docs/large-buckets.md, "Listing chains"). The run counts a page as pending when
 * the page that queues it stores its plan (before queueing it; the run's first page counts itself
 * with its plan, as nothing queued it) and stops counting it when the page is recorded, so the count reaches zero exactly when every page ever queued is recorded,
 * whatever order pages finish in.
 */
export class ScanChains {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async page(runId: string, chain: string, page: number): Promise<StoredPage | undefined> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: chainPageKey(runId, chain, page),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    return { plan: out.Item.pagePlan as string | undefined, done: out.Item.done === true };
  }

  /** Reads a page until it is recorded, or `timeoutMs` passed; returns what it read last. */
  async awaitDone(
    runId: string,
    chain: string,
    page: number,
    timeoutMs: number,
  ): Promise<StoredPage | undefined> {
    const deadline = Date.now() + timeoutMs;
    let stored = await this.page(runId, chain, page);
    while (!stored?.done && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      stored = await this.page(runId, chain, page);
    }
    return stored;
  }

  /**
   * Stores a page's plan and counts the `queued` pages it will queue as pending, in one
   * transaction, unless a delivery stored one first; returns the plan that holds, and whether it is
   * this delivery's. A redelivery
   * re-lists its page but queues what the first plan says, so each page is queued and counted
   * once even if the bucket changed in between.
   */
  async savePlan(
    runId: string,
    chain: string,
    page: number,
    plan: string,
    queued: number,
  ): Promise<{ plan: string; won: boolean }> {
    const won = await putMarkerOnce(
      this.client,
      this.tableName,
      { ...chainPageKey(runId, chain, page), pagePlan: plan, at: new Date().toISOString() },
      {
        runId,
        UpdateExpression: 'ADD scanPending :queued',
        ExpressionAttributeValues: { ':queued': queued },
      },
    );
    if (won) return { plan, won: true };
    const stored = await this.page(runId, chain, page);
    if (stored?.plan === undefined)
      throw new Error(`page ${page} of chain ${chain} has a marker but no plan`);
    return { plan: stored.plan, won: false };
  }

  /**
   * Records a planned page once: its marker turns done, and the run counts its objects and one
   * page less pending, in one transaction. Returns false when an earlier delivery recorded it.
   * `completes`: the page is the whole scan (the run's first page, queueing no other), so it left
   * exactly itself pending, and the same transaction marks the scan complete, conditional on that
   * (`scanPending = 1`): no completion check follows. Should the condition not hold, the page is
   * recorded alone and the caller checks as for any page (`completed` false).
   */
  async recordPage(
    runId: string,
    chain: string,
    page: number,
    discovered: number,
    options: { completes?: boolean } = {},
  ): Promise<{ recorded: boolean; completed: boolean }> {
    const run = `ADD discovered :n, pagesScanned :one, scanPending :minus${page === 1 ? ', scanChains :one' : ''}`;
    const attempt = async (completes: boolean) =>
      this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: chainPageKey(runId, chain, page),
                UpdateExpression: 'SET done = :true, doneAt = :now',
                ConditionExpression: 'attribute_exists(pagePlan) AND attribute_not_exists(done)',
                ExpressionAttributeValues: { ':true': true, ':now': new Date().toISOString() },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: runItemKey(runId),
                UpdateExpression: completes ? `SET scanComplete = :true ${run}` : run,
                ...(completes ? { ConditionExpression: 'scanPending = :one' } : {}),
                ExpressionAttributeValues: {
                  ':n': discovered,
                  ':one': 1,
                  ':minus': -1,
                  ...(completes ? { ':true': true } : {}),
                },
              },
            },
          ],
        }),
      );
    for (const completes of options.completes ? [true, false] : [false]) {
      try {
        await attempt(completes);
        return { recorded: true, completed: completes };
      } catch (error) {
        const reasons = transactionCancellation(error);
        if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return { recorded: false, completed: false };
        // Only the completion's own condition failed: record the page without it.
        if (completes && reasons?.[1]?.Code === 'ConditionalCheckFailed') continue;
        throw error;
      }
    }
    throw new Error('unreachable');
  }

  /**
   * Marks the scan complete once no page is pending. Any page may be the last to record, so each
   * asks, with one conditional write (the run item's `scanPending = 0`; no read first: a page that
   * is not the last costs one refused write instead of a read). Idempotent; returns whether the
   * scan is complete.
   */
  async completeIfNothingPending(runId: string): Promise<boolean> {
    return completeScanWhen(this.client, this.tableName, runId, 'scanPending = :zero', { ':zero': 0 });
  }
}
