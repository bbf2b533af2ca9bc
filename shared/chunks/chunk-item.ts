import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { CHUNK_PREFIX } from './chunk-item-key.js';
import type { ChunkItem, ChunkState } from './chunk-store.js';

/**
 * A chunk item as the ledger table stores it and as {@link ChunkItem} reads (docs/architecture.md,
 * "Chunk ledger"). The run and chunk ids are not stored as attributes: the key already holds them
 * (`pk chunks#<runId>#<NN>`, `sk <chunkId>`), and every byte of a chunk item stays in the table for
 * good once the chunk is DONE.
 */
export function chunkItemOf(raw: Record<string, unknown>): ChunkItem {
  const pk = String(raw.pk);
  const item: ChunkItem = {
    // `chunks#` + runId + `#NN`: the run id may itself hold `#`, the shard suffix is fixed.
    runId: pk.slice(CHUNK_PREFIX.length, -3),
    chunkId: String(raw.sk),
    state: String(raw.state) as ChunkState,
    attempt: Number(raw.attempt),
    membership: String(raw.membership),
    salts: (raw.salts as string[] | undefined) ?? [],
    firstClaimedAt: String(raw.firstClaimedAt),
    updatedAt: String(raw.updatedAt),
  };
  if (raw.owner !== undefined) item.owner = String(raw.owner);
  if (raw.leaseExpiresAt !== undefined) item.leaseExpiresAt = Number(raw.leaseExpiresAt);
  if (raw.logKey !== undefined) item.logKey = String(raw.logKey);
  if (raw.logSha256 !== undefined) item.logSha256 = String(raw.logSha256);
  if (raw.records !== undefined) item.records = Number(raw.records);
  if (raw.keyArns !== undefined) item.keyArns = raw.keyArns as string[];
  if (raw.leafIndex !== undefined) item.leafIndex = Number(raw.leafIndex);
  if (raw.expiresAt !== undefined) item.expiresAt = Number(raw.expiresAt);
  if (raw.error !== undefined) item.error = String(raw.error);
  return item;
}

/**
 * The item a failed condition returned (ReturnValuesOnConditionCheckFailure ALL_OLD), or undefined.
 * The document client does not unmarshall the item that comes with a condition failure.
 */
export function itemOfConditionFailure(error: unknown): Record<string, unknown> | undefined {
  const raw = (error as { Item?: Record<string, AttributeValue> }).Item;
  return raw ? unmarshall(raw) : undefined;
}

export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}
