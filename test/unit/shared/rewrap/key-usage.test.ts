import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { wrappingKeysInUse } from '../../../../shared/rewrap/key-usage.js';

const A = 'arn:aws:kms:us-east-1:111122223333:key/a';
const B = 'arn:aws:kms:us-east-1:111122223333:key/b';

/** Summary items by shard partition key, answered to the per-shard queries. */
function summariesClient(items: Record<string, Array<Record<string, unknown>>>) {
  const client: DynamoDBDocumentClient = Object.assign(Object.create(DynamoDBDocumentClient.prototype), {
    send: async (command: { input: { ExpressionAttributeValues: Record<string, string> } }) => ({
      Items: items[command.input.ExpressionAttributeValues[':pk']!] ?? [],
    }),
  });
  return client;
}

describe('wrappingKeysInUse', () => {
  it('adds up each key over its shards, with its oldest and newest month still holding objects', async () => {
    const client = summariesClient({
      'keysum#00': [
        { pk: 'keysum#00', sk: A, m2025_12: 0, m2026_02: 3 },
        { pk: 'keysum#00', sk: B, m2026_11: 1 },
      ],
      'keysum#41': [{ pk: 'keysum#41', sk: A, m2026_01: 2, m2026_11: 5 }],
    });
    expect(await wrappingKeysInUse(client, 'ledger')).toEqual([
      expect.objectContaining({ keyArn: A, objects: 10, oldestWrap: '2026-01', newestWrap: '2026-11' }),
      expect.objectContaining({ keyArn: B, objects: 1, oldestWrap: '2026-11', newestWrap: '2026-11' }),
    ]);
  });

  it("sums a key's months over its items before judging them: a decrement may sit on another item", async () => {
    const client = summariesClient({
      'keysum#03': [
        { pk: 'keysum#03', sk: A, m2026_01: 3 },
        { pk: 'keysum#03', sk: B, m2026_05: 1 },
      ],
      'keysum#58': [
        { pk: 'keysum#58', sk: A, m2026_01: -1, m2026_02: 2 },
        { pk: 'keysum#58', sk: B, m2026_05: -1 },
      ],
    });
    const usage = await wrappingKeysInUse(client, 'ledger');
    // B's one object moved away (counted on item 03, uncounted on 58): B is no longer in use.
    expect(usage).toEqual([
      expect.objectContaining({ keyArn: A, objects: 4, oldestWrap: '2026-01', newestWrap: '2026-02' }),
    ]);
    expect(usage[0]!.shards.map((s) => s.shard)).toEqual([3, 58]);
  });

  it('leaves out keys whose counts all went back to zero (every object moved to another key)', async () => {
    const client = summariesClient({ 'keysum#07': [{ pk: 'keysum#07', sk: A, m2026_01: 0, m2026_03: -1 }] });
    expect(await wrappingKeysInUse(client, 'ledger')).toEqual([]);
  });
});
