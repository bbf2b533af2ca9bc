import { BatchGetCommand, DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { KeySummaries, objectsUpTo, sumOfKey, wrapMonth } from '../../../../shared/ledger/key-summaries.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/k1';

// biome-ignore lint/suspicious/noExplicitAny: command inputs of several shapes
type Sent = { input: Record<string, any> };

/** A document client that answers each command with `answer` and records what it was sent. */
function fakeDynamo(answer: (command: Sent) => unknown) {
  const sent: Sent[] = [];
  // The paginators check the client's class, so the fake is one (with no middleware behind it).
  const client: DynamoDBDocumentClient = Object.assign(Object.create(DynamoDBDocumentClient.prototype), {
    send: async (command: Sent) => {
      sent.push(command);
      return answer(command);
    },
  });
  return { client, sent };
}

describe('key summaries', () => {
  it('counts a wrap in its shard and month with one ADD', async () => {
    const { client, sent } = fakeDynamo(() => ({}));
    await new KeySummaries(client, 'ledger').add(KEY, 5, '2026-11-23T18:00:00.000Z', 1);
    expect(sent[0]).toBeInstanceOf(UpdateCommand);
    const input = sent[0]!.input;
    expect(input.Key).toEqual({ pk: 'keysum#05', sk: KEY });
    expect(input.UpdateExpression).toBe('ADD #month :delta');
    expect(input.ExpressionAttributeNames).toEqual({ '#month': 'm2026_11' });
    expect(input.ExpressionAttributeValues).toEqual({ ':delta': 1 });
  });

  it('reads every key in use with one query per shard, never a scan', async () => {
    const { client, sent } = fakeDynamo(({ input }) =>
      input.ExpressionAttributeValues[':pk'] === 'keysum#03'
        ? { Items: [{ pk: 'keysum#03', sk: KEY, m2026_01: 2, m2026_11: 0 }] }
        : { Items: [] },
    );
    const all = await new KeySummaries(client, 'ledger').all();
    expect(sent).toHaveLength(64);
    expect(sent.every((command) => command instanceof QueryCommand)).toBe(true);
    expect(all).toEqual([{ keyArn: KEY, shard: 3, months: { '2026-01': 2, '2026-11': 0 } }]);
  });

  it("reads one key's shards in one batch, asking again for what DynamoDB left unprocessed", async () => {
    const answers = [
      {
        Responses: { ledger: [{ pk: 'keysum#01', sk: KEY, m2026_02: 1 }] },
        UnprocessedKeys: { ledger: { Keys: [{ pk: 'keysum#09', sk: KEY }] } },
      },
      { Responses: { ledger: [{ pk: 'keysum#09', sk: KEY, m2026_03: 4 }] } },
    ];
    const { client, sent } = fakeDynamo(() => answers.shift());
    const found = await new KeySummaries(client, 'ledger').forKey(KEY);
    expect(found.map((s) => s.shard)).toEqual([1, 9]);
    expect(sent[0]).toBeInstanceOf(BatchGetCommand);
    expect(sent[0]!.input.RequestItems.ledger.Keys).toHaveLength(64);
    expect(sent[1]!.input.RequestItems.ledger.Keys).toEqual([{ pk: 'keysum#09', sk: KEY }]);
  });

  it('counts objects up to a month, ignoring negative drift', () => {
    const summary = { keyArn: KEY, shard: 0, months: { '2026-01': 2, '2026-02': 3, '2026-03': -1 } };
    expect(objectsUpTo(summary, '2026-01')).toBe(2);
    expect(objectsUpTo(summary, '2026-02')).toBe(5);
    expect(objectsUpTo(summary)).toBe(5);
    expect(wrapMonth('2026-01-31T23:59:59.999Z')).toBe('2026-01');
  });

  it("sums a key's months over its items first: only the sums mean anything", () => {
    const items = [
      { keyArn: KEY, shard: 4, months: { '2026-01': 2, '2026-02': -1 } },
      { keyArn: KEY, shard: 40, months: { '2026-01': -2, '2026-02': 3 } },
    ];
    expect(sumOfKey(items)).toEqual({ months: { '2026-01': 0, '2026-02': 2 } });
    expect(objectsUpTo(sumOfKey(items), '2026-01')).toBe(0);
    expect(objectsUpTo(sumOfKey(items))).toBe(2);
    // Judged item by item, the negative parts would be dropped and the key over-counted.
    expect(items.reduce((sum, item) => sum + objectsUpTo(item), 0)).toBe(5);
  });
});
