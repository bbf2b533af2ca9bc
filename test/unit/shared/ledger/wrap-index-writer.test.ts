import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { ObjectRef } from '../../../../shared/ledger/ledger.js';
import { type IndexedWrap, WrapIndexWriter } from '../../../../shared/ledger/wrap-index-writer.js';
import { wrapKeyOf, wrapShardOf } from '../../../../shared/ledger/wrap-key.js';

const A = 'arn:aws:kms:us-east-1:111122223333:key/a';
const B = 'arn:aws:kms:us-east-1:111122223333:key/b';
const ref: ObjectRef = { bucket: 'bucket-1', key: 'dir/object.bin', operation: 'encrypt' };
const shard = wrapShardOf(ref.bucket, ref.key);
/** The summary items this process keeps per key: never the object's index shard. */
const SUMMARY_SHARDS: Record<string, number> = { [A]: (shard + 11) % 64, [B]: (shard + 42) % 64 };
const summaryPkOf = (keyArn: string) => `keysum#${String(SUMMARY_SHARDS[keyArn]).padStart(2, '0')}`;

/** Records, in order, the summary updates and the item write the writer makes. */
function recorder() {
  const steps: string[] = [];
  const client = {
    // biome-ignore lint/suspicious/noExplicitAny: UpdateCommand inputs, read loosely
    send: async (command: { input: Record<string, any> }) => {
      const { Key, ExpressionAttributeNames, ExpressionAttributeValues } = command.input;
      steps.push(
        `summary ${Key.sk} ${Key.pk} ${ExpressionAttributeNames['#month']} ${ExpressionAttributeValues[':delta']}`,
      );
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  const write = (result: IndexedWrap) => async (fields: { wrapKey?: string }) => {
    steps.push(`item wrapKey=${fields.wrapKey ?? '-'}`);
    return result;
  };
  return { steps, writer: new WrapIndexWriter(client, 'ledger', (keyArn) => SUMMARY_SHARDS[keyArn]!), write };
}

describe('WrapIndexWriter', () => {
  it("counts the new wrap before the item write and uncounts the replaced one after it, on each key's process-chosen summary item", async () => {
    const { steps, writer, write } = recorder();
    const old = { wrapKey: wrapKeyOf(A, shard), keyArn: A, wrappedAt: '2026-01-05T00:00:00.000Z' };
    const ok = await writer.around(
      ref,
      { keyArn: B, wrappedAt: '2026-11-23T00:00:00.000Z' },
      write({ written: true, old }),
    );
    expect(ok).toBe(true);
    expect(steps).toEqual([
      `summary ${B} ${summaryPkOf(B)} m2026_11 1`,
      `item wrapKey=${wrapKeyOf(B, shard)}`,
      `summary ${A} ${summaryPkOf(A)} m2026_01 -1`,
    ]);
  });

  it('gives the count back when the write lost its condition', async () => {
    const { steps, writer, write } = recorder();
    const ok = await writer.around(
      ref,
      { keyArn: B, wrappedAt: '2026-11-23T00:00:00.000Z' },
      write({ written: false }),
    );
    expect(ok).toBe(false);
    expect(steps).toEqual([
      `summary ${B} ${summaryPkOf(B)} m2026_11 1`,
      `item wrapKey=${wrapKeyOf(B, shard)}`,
      `summary ${B} ${summaryPkOf(B)} m2026_11 -1`,
    ]);
  });

  it('uncounts nothing for a replaced wrap that was never counted (written before the sharded index)', async () => {
    const { steps, writer, write } = recorder();
    const old = { keyArn: A, wrappedAt: '2026-01-05T00:00:00.000Z' };
    await writer.around(
      ref,
      { keyArn: B, wrappedAt: '2026-11-23T00:00:00.000Z' },
      write({ written: true, old }),
    );
    expect(steps).toHaveLength(2);
  });

  it('leaves writes without a wrap, and items other than encrypt, out of the index and summaries', async () => {
    const { steps, writer, write } = recorder();
    await writer.around(ref, {}, write({ written: true }));
    await writer.around(
      { ...ref, operation: 'rewrap' },
      { keyArn: B, wrappedAt: '2026-11-23T00:00:00.000Z' },
      write({ written: true }),
    );
    expect(steps).toEqual(['item wrapKey=-', 'item wrapKey=-']);
  });
});
