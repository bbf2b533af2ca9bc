import { createHash } from 'node:crypto';

/**
 * The rotation index (docs/architecture.md, "Wrapping-key index"): GSI `byWrapKey` on
 * `wrapKey = <keyArn>#<shard>` and `wrappedAt`, projecting keys only. A DynamoDB partition takes
 * about 1,000 writes/s (Developer Guide, "Partitions and data distribution"); keyed on the ARN
 * alone, every object of a single-key backfill landed on one partition key. With the shard, a
 * partition key takes 1/WRAP_KEY_SHARDS of a key's wraps.
 */
export const WRAP_KEY_INDEX = 'byWrapKey';
export const WRAP_KEY_ATTRIBUTE = 'wrapKey';

/**
 * Fixed for the life of a table: an item's shard is derived from its object, so changing this
 * would hide every existing item from the shards the planner queries. 64 keeps a single-key run of
 * 10^9 objects in 24 h (about 11,600 wraps/s) near 180 writes/s per partition key.
 */
export const WRAP_KEY_SHARDS = 64;

/**
 * The stated bound (docs/large-buckets.md, "Partition keys"): no partition key of the index or the
 * key summaries takes more than this share of a run's wrap writes: 1/WRAP_KEY_SHARDS, plus 25% for
 * the hash's unevenness over real key names (test/unit/shared/ledger/wrap-key.test.ts measures it).
 */
export const WRAP_KEY_BUSIEST_SHARE = 1.25 / WRAP_KEY_SHARDS;

/** The object's shard: a stable hash of bucket and key, so a redelivery lands on the same shard. */
export function wrapShardOf(bucket: string, key: string): number {
  return createHash('sha256').update(`${bucket}/${key}`).digest().readUInt32BE(0) % WRAP_KEY_SHARDS;
}

/** The index partition key of one (key, shard). */
export function wrapKeyOf(keyArn: string, shard: number): string {
  return `${keyArn}#${String(shard).padStart(2, '0')}`;
}

/** Every shard number, for the planner's per-shard queries. */
export function allWrapShards(): number[] {
  return Array.from({ length: WRAP_KEY_SHARDS }, (_, i) => i);
}

/**
 * Bucket and key from a ledger item's partition key (`obj#<bucket>/<key>`): the index projects
 * keys only, and a bucket name never holds a slash.
 */
export function objectOfPartitionKey(pk: string): { bucket: string; key: string } | undefined {
  if (!pk.startsWith('obj#')) return undefined;
  const rest = pk.slice(4);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}
