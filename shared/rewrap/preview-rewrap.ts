import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { objectOfPartitionKey, WRAP_KEY_INDEX, wrapKeyOf } from '../ledger/wrap-key.js';
import { type PlanDeps, shardsToPlan } from './plan-rewrap.js';

/** What a re-wrap from the index would enqueue: objects per bucket, busiest first. */
export interface RewrapPreview {
  buckets: Array<{ bucket: string; objects: number }>;
  total: number;
}

/**
 * Counts, per bucket, the objects a re-wrap from the wrapping-key index would make jobs of
 * (docs/architecture.md, "Wrapping-key index"): the same shards, key condition and filters as the
 * plan pages (rewrapPlanPage), read to the end, with nothing recorded or queued. Reads only: what
 * `rewrap --dry-run` and `rotate --dry-run` print, and what `rotate --on-demand` shows before it
 * rotates. Counts are of objects the index records under the key; the rewrap handler's HEAD still
 * decides each (one already moved is then compliant).
 */
export async function previewRewrap(
  deps: Pick<PlanDeps, 'dynamo' | 'ledgerTable'>,
  input: { fromKeyArn: string; wrappedBefore?: string; bucket?: string; prefix: string },
): Promise<RewrapPreview> {
  const wrappedBefore = input.wrappedBefore && new Date(input.wrappedBefore).toISOString();
  const counts = new Map<string, number>();
  for (const shard of await shardsToPlan(deps, input.fromKeyArn, wrappedBefore)) {
    const pages = paginateQuery(
      { client: deps.dynamo },
      {
        TableName: deps.ledgerTable,
        IndexName: WRAP_KEY_INDEX,
        KeyConditionExpression: wrappedBefore
          ? 'wrapKey = :wrapKey AND wrappedAt < :before'
          : 'wrapKey = :wrapKey',
        ExpressionAttributeValues: {
          ':wrapKey': wrapKeyOf(input.fromKeyArn, shard),
          ...(wrappedBefore ? { ':before': wrappedBefore } : {}),
        },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const object = objectOfPartitionKey(String(item.pk));
        if (item.sk !== 'encrypt' || !object) continue;
        if (input.bucket && object.bucket !== input.bucket) continue;
        if (!object.key.startsWith(input.prefix)) continue;
        counts.set(object.bucket, (counts.get(object.bucket) ?? 0) + 1);
      }
    }
  }
  const buckets = [...counts]
    .map(([bucket, objects]) => ({ bucket, objects }))
    .sort((a, b) => b.objects - a.objects || a.bucket.localeCompare(b.bucket));
  return { buckets, total: buckets.reduce((sum, b) => sum + b.objects, 0) };
}
