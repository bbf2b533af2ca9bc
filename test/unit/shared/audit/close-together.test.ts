import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../../shared/audit/audit-log.js';
import { DynamoDbJobCloser } from '../../../../shared/audit/close-together.js';
import { GENESIS } from '../../../../shared/audit/hash-chain.js';
import { EMPTY_MULTISET } from '../../../../shared/audit/multiset-hash.js';
import { GroupCommit } from '../../../../shared/lifecycle/group-commit.js';
import type { CloseRequest } from '../../../../shared/lifecycle/job-closer.js';
import { ShardPool } from '../../../../shared/runs/shard-pool.js';
import { fakeTransactions, type TransactItem } from '../../../helpers/fake-transactions.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/k1';

function closeOf(
  key: string,
  options: { newChain?: boolean; wrap?: boolean; runId?: string } = {},
): CloseRequest {
  const record: AuditRecord = {
    decision: 'encrypted',
    runId: options.runId ?? 'run-1',
    jobId: `job-${key}`,
    actor: 'test',
    bucket: 'b',
    key,
    mode: 'sse-kms',
    keyArn: KEY_ARN,
    at: '2026-11-23T10:00:00.000Z',
  };
  return {
    record,
    hints: { likelyNewChain: options.newChain ?? true },
    ref: { bucket: 'b', key, operation: 'encrypt' },
    ledger: {
      owner: `owner-${key}`,
      finish: {
        state: 'DONE',
        resultEtag: `"new-${key}"`,
        ...(options.wrap ? { keyArn: KEY_ARN, wrappedAt: '2026-11-23T10:00:00.000Z' } : {}),
      },
    },
    now: new Date('2026-11-23T10:00:00Z'),
  };
}

function closer(client: ConstructorParameters<typeof DynamoDbJobCloser>[0]) {
  const group = new GroupCommit({ windowMs: 1000 });
  const jobCloser = new DynamoDbJobCloser(client, 'audit', 'ledger', new ShardPool(1, () => 0), group);
  const closeAll = (closes: CloseRequest[]) =>
    Promise.all(closes.map((c) => group.run(() => jobCloser.close(c))));
  return { closeAll };
}

const roleOf = (item: TransactItem) => {
  const op = item.Put ?? item.Update!;
  const key = (op.Key ?? op.Item) as { pk: string; sk: string };
  if (op.TableName === 'audit') return 'record';
  if (key.sk === 'audit') return 'anchor';
  if (key.pk.startsWith('run#')) return 'tally';
  if (key.pk.startsWith('keysum#')) return 'summary';
  return 'ledger';
};

describe('DynamoDbJobCloser', () => {
  it('closes a batch in one transaction: records, anchors and finishes, one tally-shard update', async () => {
    const { client, sent, batchGets } = fakeTransactions(['ok']);
    const outcomes = await closer(client).closeAll(['a', 'b', 'c'].map((k) => closeOf(k, { wrap: true })));
    expect(outcomes).toEqual(['closed', 'closed', 'closed']);
    expect(sent).toHaveLength(1);
    const roles = sent[0]!.map(roleOf);
    expect(roles.filter((r) => r === 'record')).toHaveLength(3);
    expect(roles.filter((r) => r === 'anchor')).toHaveLength(3);
    expect(roles.filter((r) => r === 'ledger')).toHaveLength(3);
    // One write per batch on the run's shard, one summary update per key.
    expect(roles.filter((r) => r === 'tally')).toHaveLength(1);
    const tally = sent[0]!.find((i) => roleOf(i) === 'tally')!.Update!;
    expect(tally.ExpressionAttributeValues).toMatchObject({ ':ver': 3, ':c0': 3 });
    expect((tally.ExpressionAttributeNames as Record<string, string>)['#c0']).toBe('count_encrypted');
    const finish = sent[0]!.find((i) => roleOf(i) === 'ledger')!.Update!;
    expect(finish.ConditionExpression).toBe(
      '#state = :inProgress AND #owner = :owner AND attribute_not_exists(#wrapKey)',
    );
    expect(finish.ExpressionAttributeValues).toMatchObject({ ':owner': 'owner-a', ':state': 'DONE' });
    // Three objects on three index shards, one key: one summary update counts all three.
    const summaries = sent[0]!.filter((i) => roleOf(i) === 'summary');
    expect(summaries).toHaveLength(1);
    expect(Object.values(summaries[0]!.Update!.ExpressionAttributeValues as object)).toEqual([3]);
    // Chains believed new: no anchor was read.
    expect(batchGets).toHaveLength(0);
    const anchor = sent[0]!.find((i) => roleOf(i) === 'anchor')!.Update!;
    expect(anchor.ConditionExpression).toBe('attribute_not_exists(head)');
  });

  it('reads unknown anchors with one BatchGet and links after them', async () => {
    const anchorItem = { pk: 'obj#b/a', sk: 'audit', head: 'h'.repeat(64), seq: 4 };
    const { client, sent, batchGets } = fakeTransactions(['ok'], [anchorItem]);
    await closer(client).closeAll([closeOf('a', { newChain: false }), closeOf('b', { newChain: false })]);
    expect(batchGets).toHaveLength(1);
    const records = sent[0]!
      .filter((i) => roleOf(i) === 'record')
      .map((i) => i.Put!.Item as { key: string; seq: number; prevHash: string });
    expect(records.find((r) => r.key === 'a')).toMatchObject({ seq: 5, prevHash: 'h'.repeat(64) });
    expect(records.find((r) => r.key === 'b')).toMatchObject({ seq: 1, prevHash: GENESIS });
  });

  it('sends a job whose record is there already apart, and closes the rest in the next round', async () => {
    const { client, sent } = fakeTransactions([
      (items) =>
        items.map((i) => ({
          Code:
            roleOf(i) === 'record' && (i.Put!.Item as { key: string }).key === 'b'
              ? 'ConditionalCheckFailed'
              : 'None',
        })),
      'ok',
    ]);
    const outcomes = await closer(client).closeAll(['a', 'b', 'c'].map((k) => closeOf(k)));
    expect(outcomes).toEqual(['closed', 'apart', 'closed']);
    expect(sent).toHaveLength(2);
    const tally = sent[1]!.find((i) => roleOf(i) === 'tally')!.Update!;
    // The second round counts only what it writes, from the shard as it was (the first round wrote nothing).
    expect(tally.ExpressionAttributeValues).toMatchObject({ ':ver': 2 });
    expect(tally.ConditionExpression).toBe('attribute_not_exists(ver)');
  });

  it('relinks onto a moved anchor and catches up with a moved shard from what DynamoDB returns', async () => {
    const head = 'f'.repeat(64);
    const { client, sent } = fakeTransactions([
      (items) =>
        items.map((i) => {
          const role = roleOf(i);
          if (role === 'anchor' && (i.Update!.Key as { pk: string }).pk === 'obj#b/a')
            return { Code: 'ConditionalCheckFailed', Item: { pk: 'obj#b/a', sk: 'audit', head, seq: 2 } };
          if (role === 'tally')
            return { Code: 'ConditionalCheckFailed', Item: { ver: 7, digest: EMPTY_MULTISET } };
          return { Code: 'None' };
        }),
      'ok',
    ]);
    const outcomes = await closer(client).closeAll([closeOf('a'), closeOf('b')]);
    expect(outcomes).toEqual(['closed', 'closed']);
    const second = sent[1]!;
    const record = second.find(
      (i) => roleOf(i) === 'record' && (i.Put!.Item as { key: string }).key === 'a',
    )!;
    expect(record.Put!.Item).toMatchObject({ seq: 3, prevHash: head });
    const tally = second.find((i) => roleOf(i) === 'tally')!.Update!;
    expect(tally.ConditionExpression).toBe('ver = :prev');
    expect(tally.ExpressionAttributeValues).toMatchObject({ ':prev': 7, ':ver': 9 });
  });

  it('sends a refused finish apart (a claim taken over, or a wrap to replace)', async () => {
    const { client } = fakeTransactions([
      (items) => items.map((i) => ({ Code: roleOf(i) === 'ledger' ? 'ConditionalCheckFailed' : 'None' })),
    ]);
    expect(await closer(client).closeAll([closeOf('a', { wrap: true })])).toEqual(['apart']);
  });

  it('puts two closes on one object in different transactions', async () => {
    const { client, sent } = fakeTransactions(['ok', 'ok']);
    const outcomes = await closer(client).closeAll([closeOf('a'), closeOf('a', { runId: 'run-2' })]);
    expect(outcomes).toEqual(['closed', 'closed']);
    expect(sent).toHaveLength(2);
  });

  it('appends rows settled without a ledger item in one transaction per twenty, outside any group', async () => {
    const { client, sent } = fakeTransactions(['ok', 'ok']);
    const jobCloser = new DynamoDbJobCloser(client, 'audit', 'ledger', new ShardPool(1, () => 0));
    const rows = Array.from({ length: 25 }, (_, i) => ({ ...closeOf(`r${i}`), ledger: undefined }));
    expect(await jobCloser.closeAll(rows)).toEqual(rows.map(() => 'closed'));
    expect(sent.map((items) => items.length)).toEqual([20 * 2 + 1, 5 * 2 + 1]);
    expect(sent.flat().some((i) => roleOf(i) === 'ledger')).toBe(false);
  });

  it('sends the whole group apart when the transaction fails for another reason than a cancellation', async () => {
    const client = {
      send: async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
    } as unknown as ConstructorParameters<typeof DynamoDbJobCloser>[0];
    expect(await closer(client).closeAll([closeOf('a'), closeOf('b')])).toEqual(['apart', 'apart']);
  });

  it('moves a re-wrap on the encrypt item in the same transaction, conditional on the wrap it replaces', async () => {
    const { client, sent } = fakeTransactions(['ok']);
    const keyB = 'arn:aws:kms:us-east-1:000000000000:key/k2';
    const rewrap: CloseRequest = {
      ...closeOf('a'),
      ref: { bucket: 'b', key: 'a', operation: 'rewrap' },
      ledger: { owner: 'owner-a', finish: { state: 'DONE', resultEtag: '"new-a"' } },
      wrapMove: {
        keyArn: keyB,
        wrappedAt: '2026-11-23T10:00:00.000Z',
        resultEtag: '"new-a"',
        replaces: { keyArn: KEY_ARN, wrappedAt: '2026-10-01T00:00:00.000Z', wrapKey: `${KEY_ARN}#7` },
      },
    };
    expect(await closer(client).closeAll([rewrap])).toEqual(['closed']);
    const items = sent[0]!;
    const encryptItem = items.find((i) => (i.Update?.Key as { sk?: string })?.sk === 'encrypt')!.Update!;
    expect(encryptItem.ConditionExpression).toBe('#wrapKey = :oldWrapKey AND #wrappedAt = :oldWrappedAt');
    expect(encryptItem.ExpressionAttributeValues).toMatchObject({
      ':keyArn': keyB,
      ':oldWrapKey': `${KEY_ARN}#7`,
    });
    const moved = items
      .filter((i) => roleOf(i) === 'summary')
      .map((i) => [
        (i.Update!.Key as { sk: string }).sk,
        Object.values(i.Update!.ExpressionAttributeNames as Record<string, string>)[0],
        Object.values(i.Update!.ExpressionAttributeValues as Record<string, number>)[0],
      ]);
    expect(moved.sort()).toEqual(
      [
        [keyB, 'm2026_11', 1],
        [KEY_ARN, 'm2026_10', -1],
      ].sort(),
    );
  });
});
