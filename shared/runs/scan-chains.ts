import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { transactionCancellation } from '../aws-errors.js';
import { runItemKey } from './run-store.js';

/**
 * The scan credit of a run: its first listing page holds all of it, every page passes its credit
 * on to the pages it queues, keeping one unit that it returns when it is recorded, and a chain's
 * last page returns all it holds. Credit is conserved, so the run has it all back exactly when
 * every page ever queued is recorded, whatever order they finish in (termination detection by
 * credit recovery; docs/large-buckets.md, "Listing chains"). 2^52 keeps every sum an exact
 * integer in JavaScript and DynamoDB.
 */
export const SCAN_CREDIT = 2 ** 52;

/** What a page of a chain does, decided once by its first delivery (see {@link ScanChains.savePlan}). */
export interface StoredPage {
  /** The page's plan, as {@link ScanChains.savePlan} stored it. */
  plan?: string;
  done: boolean;
}

const chainPageKey = (runId: string, chain: string, page: number) => ({
  pk: `run#${runId}`,
  sk: `page#${chain}#${String(page).padStart(8, '0')}`,
});

/**
 * Page markers and the scan credit of a run listed by chains, in the ledger table beside the run
 * item. A marker is written before the page queues anything (its plan) and marked done together
 * with the run's counters, in one transaction, so every page counts exactly once.
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
    return { plan: out.Item.plan as string | undefined, done: out.Item.done === true };
  }

  /**
   * Stores a page's plan unless a delivery stored one first, and returns the plan that holds: a
   * redelivery re-lists the page, but must queue the same next pages, or two deliveries could
   * split a range at two points and leave keys between them to no chain.
   */
  async savePlan(runId: string, chain: string, page: number, plan: string): Promise<string> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...chainPageKey(runId, chain, page), plan, at: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return plan;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      const stored = await this.page(runId, chain, page);
      if (stored?.plan === undefined) throw error;
      return stored.plan;
    }
  }

  /**
   * Records a finished page once: its marker turns done and the run's counters move in one
   * transaction. `credit` is what the page returns; `firstOfChain` counts a chain in `scanChains`.
   * Returns false when an earlier delivery recorded the page.
   */
  async recordPage(
    runId: string,
    chain: string,
    page: number,
    counts: { discovered: number; credit: number },
  ): Promise<boolean> {
    const marker = chainPageKey(runId, chain, page);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: marker,
                UpdateExpression: 'SET done = :true, doneAt = :now',
                ConditionExpression: 'attribute_not_exists(done)',
                ExpressionAttributeValues: { ':true': true, ':now': new Date().toISOString() },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: runItemKey(runId),
                UpdateExpression: `ADD discovered :n, pagesScanned :one, scanCredit :credit${page === 1 ? ', scanChains :one' : ''}`,
                ExpressionAttributeValues: { ':n': counts.discovered, ':one': 1, ':credit': counts.credit },
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
   * Marks the scan complete once the run has its whole credit back: every page recorded. Any page
   * may be the last to record, so each checks; only a run with all credit back is changed.
   * Idempotent. Returns whether the scan is complete.
   */
  async completeIfCredited(runId: string): Promise<boolean> {
    const out = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: runItemKey(runId),
        ConsistentRead: true,
        ProjectionExpression: 'scanCredit, scanComplete',
      }),
    );
    if (out.Item?.scanComplete === true) return true;
    if (Number(out.Item?.scanCredit ?? 0) !== SCAN_CREDIT) return false;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runItemKey(runId),
          UpdateExpression: 'SET scanComplete = :true',
          ConditionExpression: 'scanCredit = :all',
          ExpressionAttributeValues: { ':true': true, ':all': SCAN_CREDIT },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
    return true;
  }
}
