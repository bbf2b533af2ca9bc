import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { type AuditRecord, DynamoDbAuditLog } from '../../../../shared/audit/audit-log.js';
import { addToMultiset, EMPTY_MULTISET } from '../../../../shared/audit/multiset-hash.js';
import { ShardPool } from '../../../../shared/runs/shard-pool.js';

type Item = Record<string, unknown>;
type Reason = { Code: string; Item?: Item };

const cancelled = (reasons: Reason[]) =>
  Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: reasons.map((r) => ({
      Code: r.Code,
      ...(r.Item ? { Item: marshall(r.Item) } : {}),
    })),
  });

/** A DynamoDB document client that answers TransactWriteItems with the scripted outcomes. */
function fakeDynamo(outcomes: Array<Reason[] | 'ok'>) {
  const sent: Array<Array<Record<string, Record<string, unknown>>>> = [];
  const client = {
    send: async (command: { input: { TransactItems?: Array<Record<string, Record<string, unknown>>> } }) => {
      if (!command.input.TransactItems) throw new Error('unexpected command');
      sent.push(command.input.TransactItems);
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome !== 'ok') throw cancelled(outcome);
      return {};
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, sent };
}

const record = (
  jobId: string,
  decision: AuditRecord['decision'] = 'encrypted',
  reason?: string,
): AuditRecord => ({
  decision,
  runId: 'run-1',
  jobId,
  actor: 'test',
  bucket: 'b',
  key: `k-${jobId}`,
  mode: 'sse-kms',
  reason,
  at: '2026-11-23T10:00:00.000Z',
});

const NONE = { Code: 'None' };

describe('DynamoDbAuditLog tally shard', () => {
  it('counts the record in its run shard in the same transaction, and the next append needs no read', async () => {
    const { client, sent } = fakeDynamo(['ok', 'ok']);
    const log = new DynamoDbAuditLog(client, 'audit', 'ledger', { shards: new ShardPool(1) });
    await log.append(record('1', 'skipped', 'missing'), { likelyNewChain: true });
    await log.append(record('2'), { likelyNewChain: true });
    expect(sent).toHaveLength(2);
    const [put, anchor, shard] = sent[0]!;
    expect(put!.Put!.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(anchor!.Update!.Key).toEqual({ pk: 'obj#b/k-1', sk: 'audit' });
    expect(shard!.Update!.Key).toEqual({ pk: 'run#run-1', sk: 'tally#00' });
    expect(shard!.Update!.ConditionExpression).toBe('attribute_not_exists(ver)');
    expect(shard!.Update!.ExpressionAttributeNames).toEqual({
      '#c0': 'count_skipped',
      '#c1': 'reason_missing',
    });
    const second = sent[1]![2]!.Update!;
    expect(second.ConditionExpression).toBe('ver = :prev');
    expect(second.ExpressionAttributeValues).toMatchObject({ ':prev': 1, ':ver': 2 });
    const hash1 = (put!.Put!.Item as { hash: string }).hash;
    const hash2 = (sent[1]![0]!.Put!.Item as { hash: string }).hash;
    expect((second.ExpressionAttributeValues as Item)[':digest']).toBe(
      addToMultiset(EMPTY_MULTISET, hash1, hash2),
    );
  });

  it('catches up from the shard DynamoDB returns when another writer moved it, and retries', async () => {
    const theirs = { pk: 'run#run-1', sk: 'tally#00', ver: 5, digest: addToMultiset(EMPTY_MULTISET, 'x') };
    const { client, sent } = fakeDynamo([
      [NONE, NONE, { Code: 'ConditionalCheckFailed', Item: theirs }],
      'ok',
    ]);
    const log = new DynamoDbAuditLog(client, 'audit', 'ledger', { shards: new ShardPool(1) });
    await log.append(record('1'), { likelyNewChain: true });
    expect(sent).toHaveLength(2);
    const retry = sent[1]![2]!.Update!;
    expect(retry.ConditionExpression).toBe('ver = :prev');
    expect(retry.ExpressionAttributeValues).toMatchObject({ ':prev': 5, ':ver': 6 });
    const hash = (sent[1]![0]!.Put!.Item as { hash: string }).hash;
    expect((retry.ExpressionAttributeValues as Item)[':digest']).toBe(addToMultiset(theirs.digest, hash));
  });

  it('counts nothing when the record exists (a redelivery), and keeps what it learned of the shard', async () => {
    const theirs = { ver: 9, digest: addToMultiset(EMPTY_MULTISET, 'y') };
    const { client, sent } = fakeDynamo([
      [{ Code: 'ConditionalCheckFailed' }, NONE, { Code: 'ConditionalCheckFailed', Item: theirs }],
      'ok',
    ]);
    const log = new DynamoDbAuditLog(client, 'audit', 'ledger', { shards: new ShardPool(1) });
    await log.append(record('1'), { likelyNewChain: true });
    expect(sent).toHaveLength(1);
    await log.append(record('2'), { likelyNewChain: true });
    expect(sent[1]![2]!.Update!.ExpressionAttributeValues).toMatchObject({ ':prev': 9, ':ver': 10 });
  });

  it('retries a transaction conflict, and gives up on other cancellations', async () => {
    const { client, sent } = fakeDynamo([[NONE, { Code: 'TransactionConflict' }, NONE], 'ok']);
    const log = new DynamoDbAuditLog(client, 'audit', 'ledger', { shards: new ShardPool(1) });
    await log.append(record('1'), { likelyNewChain: true });
    expect(sent).toHaveLength(2);
    const failing = fakeDynamo([[NONE, NONE, { Code: 'ValidationError' }]]);
    const other = new DynamoDbAuditLog(failing.client, 'audit', 'ledger', { shards: new ShardPool(1) });
    await expect(other.append(record('1'), { likelyNewChain: true })).rejects.toThrow(/cancelled/);
  });
});
