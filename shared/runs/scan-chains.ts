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
   */
  async recordPage(runId: string, chain: string, page: number, discovered: number): Promise<boolean> {
    try {
      await this.client.send(
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
                UpdateExpression: `ADD discovered :n, pagesScanned :one, scanPending :minus${page === 1 ? ', scanChains :one' : ''}`,
                ExpressionAttributeValues: { ':n': discovered, ':one': 1, ':minus': -1 },
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
   * Marks the scan complete once no page is pending. Any page may be the last to record, so each
   * checks (a consistent read; a write only at the end). Idempotent; returns whether it is complete.
   */
  async completeIfNothingPending(runId: string): Promise<boolean> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: runItemKey(runId),
        ConsistentRead: true,
        ProjectionExpression: 'scanPending, scanComplete',
      }),
    );
    if (out.Item?.scanComplete === true) return true;
    if (out.Item?.scanPending === undefined || Number(out.Item.scanPending) !== 0) return false;
    await completeScanWhen(this.client, this.tableName, runId, 'scanPending = :zero', { ':zero': 0 });
    return true;
  }
}
