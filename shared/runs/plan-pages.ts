import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { completeScanWhen, putMarkerOnce } from './marker-once.js';

const markerKey = (runId: string, shard: number, page: number) => ({
  pk: `run#${runId}`,
  sk: `plan#${String(shard).padStart(2, '0')}#${String(page).padStart(8, '0')}`,
});

/**
 * Exactly-once counting of a chained rewrap plan's pages (docs/large-buckets.md, "Chained rewrap
 * plans"), on the run's own counters (`discovered`, `pagesScanned`, `scanComplete`) as scan pages
 * count: a page marker and the counters move in one transaction, so a redelivered page counts
 * nothing. Shard chains finish in any order, so each chain's last page adds to `chainsDone` and
 * the run's scan is complete once all of them did.
 */
export class PlanPages {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** A recorded page's marker: whether it exists, and whether it finished its chain. */
  async recorded(runId: string, shard: number, page: number): Promise<{ chainDone: boolean } | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: markerKey(runId, shard, page), ConsistentRead: true }),
    );
    return out.Item ? { chainDone: out.Item.chainDone === true } : undefined;
  }

  /** Records a finished page once; false when an earlier delivery already did. */
  async record(
    runId: string,
    shard: number,
    page: number,
    discovered: number,
    chainDone: boolean,
  ): Promise<boolean> {
    return putMarkerOnce(
      this.client,
      this.tableName,
      { ...markerKey(runId, shard, page), chainDone, at: new Date().toISOString() },
      {
        runId,
        UpdateExpression: `ADD discovered :n, pagesScanned :one${chainDone ? ', chainsDone :one' : ''}`,
        ExpressionAttributeValues: { ':n': discovered, ':one': 1 },
      },
    );
  }

  /**
   * Marks the run's scan complete once `chains` chains finished (every chain's last page calls
   * it; only the call that finds them all done sets it). `chains` 0: a plan that found nothing.
   */
  async completeAt(runId: string, chains: number): Promise<void> {
    await completeScanWhen(
      this.client,
      this.tableName,
      runId,
      chains > 0 ? 'chainsDone >= :chains' : 'attribute_exists(pk)',
      chains > 0 ? { ':chains': chains } : {},
    );
  }
}
