import { type BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { BATCH_GET_KEYS, batchGetItems, foundItem } from '../../../../shared/ledger/batch-get.js';
import { DynamoDbLedger } from '../../../../shared/ledger/dynamodb-ledger.js';
import { GroupCommit } from '../../../../shared/lifecycle/group-commit.js';

type Key = { pk: string; sk: string };

/**
 * A table of `items` answering BatchGetItem (leaving the first `unprocessed` keys of a request
 * unprocessed, `unprocessedRounds` times) and GetItem; it records what was asked.
 */
function table(items: Array<Key & Record<string, unknown>>, unprocessed = 0, unprocessedRounds = 0) {
  const batches: Key[][] = [];
  let gets = 0;
  let left = unprocessedRounds;
  const client = {
    send: async (command: BatchGetCommand | GetCommand) => {
      if (command instanceof GetCommand) {
        gets++;
        const key = command.input.Key as Key;
        return { Item: items.find((i) => i.pk === key.pk && i.sk === key.sk) };
      }
      const request = command.input.RequestItems!.t!;
      expect(request.ConsistentRead).toBe(true);
      const keys = request.Keys as Key[];
      batches.push(keys);
      const skipped = left-- > 0 ? keys.slice(0, unprocessed) : [];
      const answered = keys.slice(skipped.length);
      return {
        Responses: { t: answered.flatMap((k) => items.filter((i) => i.pk === k.pk && i.sk === k.sk)) },
        UnprocessedKeys: skipped.length ? { t: { Keys: skipped } } : {},
      };
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, batches, gets: () => gets };
}

describe('batchGetItems', () => {
  it('reads each distinct key once, a hundred to a request, and asks again for what was left unprocessed', async () => {
    const items = Array.from({ length: 150 }, (_, i) => ({ pk: `p${i}`, sk: 's', n: i }));
    const { client, batches } = table(items, 7, 1);
    const keys = [
      ...items.map(({ pk, sk }) => ({ pk, sk })),
      { pk: 'p3', sk: 's' },
      { pk: 'absent', sk: 's' },
    ];
    const found = await batchGetItems(client, 't', keys);
    expect(found.size).toBe(150);
    expect(foundItem(found, { pk: 'p149', sk: 's' })).toMatchObject({ n: 149 });
    expect(foundItem(found, { pk: 'absent', sk: 's' })).toBeUndefined();
    // 151 distinct keys: 100 (7 left unprocessed, asked again), then 51.
    expect(batches.map((b) => b.length)).toEqual([BATCH_GET_KEYS, 7, 51]);
  });

  it('gives up as retryable when DynamoDB keeps leaving keys unprocessed', async () => {
    const { client } = table([{ pk: 'p', sk: 's' }], 1, 100);
    await expect(batchGetItems(client, 't', [{ pk: 'p', sk: 's' }])).rejects.toMatchObject({
      name: 'RetryableError',
    });
  }, 30_000);
});

describe('DynamoDbLedger reads in a group', () => {
  const ref = (key: string) => ({ bucket: 'b', key, operation: 'rewrap' as const });

  it('jobs in flight together read their items with one BatchGetItem, each its own', async () => {
    const items = [
      { pk: 'obj#b/k1', sk: 'rewrap', state: 'DONE' },
      { pk: 'obj#b/k2', sk: 'rewrap', state: 'RETRY' },
    ];
    const { client, batches, gets } = table(items);
    const group = new GroupCommit();
    const ledger = new DynamoDbLedger(client, 't', { group });
    const read = await Promise.all(['k1', 'k2', 'k3'].map((k) => group.run(() => ledger.get(ref(k)))));
    expect(read.map((item) => item?.state)).toEqual(['DONE', 'RETRY', undefined]);
    expect(batches).toHaveLength(1);
    expect(gets()).toBe(0);
  });

  it('without a group, a read is one consistent GetItem', async () => {
    const { client, batches, gets } = table([{ pk: 'obj#b/k1', sk: 'rewrap', state: 'DONE' }]);
    expect((await new DynamoDbLedger(client, 't').get(ref('k1')))?.state).toBe('DONE');
    expect(gets()).toBe(1);
    expect(batches).toHaveLength(0);
  });
});
