import { BatchGetCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { WRAP_KEY_SHARDS, wrapKeyOf } from '../../../../shared/ledger/wrap-key.js';
import { shardsToPlan } from '../../../../shared/rewrap/plan-rewrap.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/k1';

// biome-ignore lint/suspicious/noExplicitAny: command inputs of several shapes
type Sent = { input: Record<string, any> };

/**
 * A ledger whose key summaries sit on `summaries` (by summary shard) and whose index holds objects
 * of KEY on `indexShards` (wrapped at `wrappedAt`): answers the BatchGet and the Limit-1 queries.
 */
function ledger(summaries: Record<number, Record<string, number>>, indexShards: number[], wrappedAt: string) {
  const queried: number[] = [];
  const client = {
    send: async (command: Sent) => {
      if (command instanceof BatchGetCommand) {
        return {
          Responses: {
            ledger: Object.entries(summaries).map(([shard, months]) => ({
              pk: `keysum#${String(shard).padStart(2, '0')}`,
              sk: KEY,
              ...months,
            })),
          },
        };
      }
      if (command instanceof QueryCommand) {
        const { ':wrapKey': wrapKey, ':before': before } = (command as Sent).input.ExpressionAttributeValues;
        const shard = indexShards.find((s) => wrapKeyOf(KEY, s) === wrapKey);
        queried.push(Number(String(wrapKey).slice(-2)));
        const hit = shard !== undefined && (before === undefined || wrappedAt < before);
        return { Items: hit ? [{ pk: 'obj#b/k', sk: 'encrypt' }] : [] };
      }
      throw new Error('unexpected command');
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, queried };
}

describe('shardsToPlan', () => {
  it("finds a key's index shards when its counts sit on other summary items, one of them negative", async () => {
    // Processes counted 3 wraps on summary item 5 and took one off on item 9 (where the decrement's
    // process counts the key); the objects themselves sit on index shards 20 and 41.
    const { client, queried } = ledger(
      { 5: { m2026_10: 3 }, 9: { m2026_10: -1 } },
      [20, 41],
      '2026-10-04T00:00:00Z',
    );
    const shards = await shardsToPlan({ dynamo: client, ledgerTable: 'ledger' }, KEY);
    expect(shards).toEqual([20, 41]);
    // Every index shard is confirmed by its own one-item query.
    expect(queried).toHaveLength(WRAP_KEY_SHARDS);
  });

  it("queries nothing when the key's sums up to the cut-off month are zero, whatever single items say", async () => {
    // Item 5 alone says 2, but item 9 took both off: the key holds nothing wrapped in October.
    const { client, queried } = ledger(
      { 5: { m2026_10: 2, m2026_12: 1 }, 9: { m2026_10: -2 } },
      [20],
      '2026-12-01T00:00:00Z',
    );
    expect(
      await shardsToPlan({ dynamo: client, ledgerTable: 'ledger' }, KEY, '2026-11-15T00:00:00Z'),
    ).toEqual([]);
    expect(queried).toHaveLength(0);
  });
});
