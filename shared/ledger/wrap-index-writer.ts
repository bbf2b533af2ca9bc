import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KeySummaries } from './key-summaries.js';
import type { ObjectRef } from './ledger.js';
import { summaryShardFor } from './summary-shards.js';
import { wrapKeyOf, wrapShardOf } from './wrap-key.js';

/** A ledger write's result: whether its condition held, and the old values of what it changed. */
export interface IndexedWrap {
  written: boolean;
  old?: Record<string, unknown>;
}

/**
 * Keeps the sharded index key (`wrapKey`) and the per-key summaries in step with every write of
 * keyArn/wrappedAt on an `encrypt` item (docs/architecture.md, "Wrapping-key index").
 *
 * Order, for a planner that must never miss an object: the new wrap is counted before the item
 * write; the wrap it replaced (the write's old values) is uncounted after it; a write whose
 * condition failed gives its count back. A crash between two steps leaves an over-count, which only
 * costs the planner a query that finds nothing. Each count goes to the summary item this process
 * keeps for its key, not the object's index shard: only a key's sums over its items mean anything.
 */
export class WrapIndexWriter {
  private readonly summaries: KeySummaries;

  constructor(
    client: DynamoDBDocumentClient,
    tableName: string,
    /** The summary item a key's counts go to (this process's pick). */
    private readonly summaryShard: (keyArn: string) => number = summaryShardFor,
  ) {
    this.summaries = new KeySummaries(client, tableName);
  }

  async around(
    ref: ObjectRef,
    wrap: { keyArn?: string; wrappedAt?: string },
    write: (fields: { wrapKey?: string }) => Promise<IndexedWrap>,
  ): Promise<boolean> {
    // Only `encrypt` items say what protects an object; rewrap items are per-run decisions.
    if (ref.operation !== 'encrypt' || !wrap.keyArn || !wrap.wrappedAt) return (await write({})).written;
    const shard = wrapShardOf(ref.bucket, ref.key);
    const count = (keyArn: string, wrappedAt: string, delta: number) =>
      this.summaries.add(keyArn, this.summaryShard(keyArn), wrappedAt, delta);
    await count(wrap.keyArn, wrap.wrappedAt, 1);
    const { written, old } = await write({ wrapKey: wrapKeyOf(wrap.keyArn, shard) });
    if (!written) {
      await count(wrap.keyArn, wrap.wrappedAt, -1);
      return false;
    }
    // Only a wrap that had a wrapKey was counted (items from before the sharded index were not,
    // until `backfillWrapKeys` counts them).
    if (
      typeof old?.wrapKey === 'string' &&
      typeof old.keyArn === 'string' &&
      typeof old.wrappedAt === 'string'
    ) {
      await count(old.keyArn, old.wrappedAt, -1);
    }
    return true;
  }
}
