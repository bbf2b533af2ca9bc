import { describe, expect, it } from 'vitest';
import { addToMultiset, EMPTY_MULTISET, multisetDigest } from '../../../../shared/audit/multiset-hash.js';
import { countersOf, shardUpdate, sumShards, tallyKey } from '../../../../shared/runs/tally-shards.js';

const record = (
  hash: string,
  decision: 'encrypted' | 'rewrapped' | 'skipped' | 'compliant' = 'encrypted',
) => ({
  hash,
  decision,
  at: '2026-11-23T10:00:00.000Z',
});

describe('tally shards', () => {
  it('maps decisions to outcomes and counts reasons as the run summary does', () => {
    expect(countersOf('rewrapped')).toEqual({ outcome: 'encrypted', reason: undefined });
    expect(countersOf('skipped', 'unreadable client/side')).toEqual({
      outcome: 'skipped',
      reason: 'unreadable-client-side',
    });
    expect(countersOf('encrypted', 'acl-not-carried').reason).toBe('acl-not-carried');
    // Compliant and superseded outcomes are not counted by reason.
    expect(countersOf('compliant', 'already SSE-KMS').reason).toBeUndefined();
    expect(countersOf('superseded', 'object changed').reason).toBeUndefined();
  });

  it('counts sse-kms re-keys and objects left under another key by their full source key ARN', () => {
    const A = 'arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
    const B = 'arn:aws:kms:us-east-1:111122223333:key/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
    const POLICY = 'arn:aws:kms:us-east-1:111122223333:key/cccccccc-cccc-cccc-cccc-cccccccccccc';
    const update = shardUpdate('ledger', 'run-1', 1, undefined, [
      { ...record('h1'), method: 'rekey', keyArn: POLICY, keyArnBefore: A },
      { ...record('h2'), method: 'rekey', keyArn: POLICY, keyArnBefore: A },
      { ...record('h3'), method: 'rekey', keyArn: POLICY, keyArnBefore: B },
      { ...record('h4', 'skipped'), reason: 'under-another-kms-key', keyArn: B },
      // A plain copy names no source key, whatever it carries.
      { ...record('h5'), method: 'copy-in-place', keyArn: POLICY },
    ]).update;
    const item: Record<string, unknown> = {};
    for (const [placeholder, name] of Object.entries(update.ExpressionAttributeNames!)) {
      item[name] = update.ExpressionAttributeValues![placeholder.replace('#', ':')];
    }
    expect(item).toMatchObject({
      [`srckey_rekeyed_${A}`]: 2,
      [`srckey_rekeyed_${B}`]: 1,
      [`srckey_left_${B}`]: 1,
    });
    const { counts } = sumShards([item, { [`srckey_rekeyed_${A}`]: 3 }]);
    expect(counts.rekeyedFrom).toEqual({ [A]: 5, [B]: 1 });
    expect(counts.leftUnder).toEqual({ [B]: 1 });
    expect(counts.encrypted).toBe(4);
    expect(counts.reasons).toEqual({ 'under-another-kms-key': 1 });
  });

  it('creates a new shard only if absent, and moves a known one only from the version it saw', () => {
    const fresh = shardUpdate('ledger', 'run-1', 7, undefined, [
      { ...record('h1', 'skipped'), reason: 'missing' },
    ]);
    expect(fresh.update.Key).toEqual(tallyKey('run-1', 7));
    expect(fresh.update.Key).toEqual({ pk: 'run#run-1', sk: 'tally#07' });
    expect(fresh.update.ConditionExpression).toBe('attribute_not_exists(ver)');
    expect(fresh.update.UpdateExpression).toBe(
      'SET digest = :digest, ver = :ver, lastAt = :at ADD #c0 :c0, #c1 :c1',
    );
    expect(fresh.update.ExpressionAttributeNames).toEqual({
      '#c0': 'count_skipped',
      '#c1': 'reason_missing',
    });
    expect(fresh.update.ExpressionAttributeValues).toMatchObject({ ':c0': 1, ':c1': 1 });
    expect(fresh.update.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(fresh.next).toEqual({ ver: 1, digest: addToMultiset(EMPTY_MULTISET, 'h1') });

    const next = shardUpdate('ledger', 'run-1', 7, fresh.next, [record('h2', 'rewrapped')]);
    expect(next.update.ConditionExpression).toBe('ver = :prev');
    expect(next.update.ExpressionAttributeValues).toMatchObject({ ':prev': 1, ':ver': 2 });
    expect(next.update.ExpressionAttributeNames).toEqual({ '#c0': 'count_encrypted' });
    expect(next.next.digest).toBe(addToMultiset(EMPTY_MULTISET, 'h2', 'h1'));
  });

  it('counts the records of one batch in one update: each outcome and reason by how many', () => {
    const batch = shardUpdate('ledger', 'run-1', 3, { ver: 4, digest: EMPTY_MULTISET }, [
      record('h1'),
      { ...record('h2', 'skipped'), reason: 'missing' },
      { ...record('h3', 'skipped'), reason: 'missing', at: '2026-11-23T10:00:05.000Z' },
      record('h4', 'compliant'),
    ]);
    expect(batch.next.ver).toBe(8);
    expect(batch.next.digest).toBe(addToMultiset(EMPTY_MULTISET, 'h4', 'h3', 'h2', 'h1'));
    const names = batch.update.ExpressionAttributeNames as Record<string, string>;
    const values = batch.update.ExpressionAttributeValues as Record<string, unknown>;
    const added = Object.fromEntries(
      Object.entries(names).map(([n, attr]) => [attr, values[n.replace('#', ':')]]),
    );
    expect(added).toEqual({ count_encrypted: 1, count_skipped: 2, reason_missing: 2, count_compliant: 1 });
    expect(values[':at']).toBe('2026-11-23T10:00:05.000Z');
    expect(values[':prev']).toBe(4);
  });

  it('sums shards into counts, records and the digest of the union', () => {
    const a = addToMultiset(EMPTY_MULTISET, 'h1', 'h2');
    const b = addToMultiset(EMPTY_MULTISET, 'h3');
    const tally = sumShards([
      {
        pk: 'run#r',
        sk: 'tally#00',
        ver: 2,
        digest: a,
        count_encrypted: 1,
        count_skipped: 1,
        reason_missing: 1,
        lastAt: 't1',
      },
      { pk: 'run#r', sk: 'tally#05', ver: 1, digest: b, count_skipped: 1, reason_missing: 1, lastAt: 't2' },
    ]);
    expect(tally.counts).toEqual({
      encrypted: 1,
      compliant: 0,
      skipped: 2,
      superseded: 0,
      failed: 0,
      reasons: { missing: 2 },
    });
    expect(tally.records).toBe(3);
    expect(tally.lastAt).toBe('t2');
    expect(tally.digest).toBe(multisetDigest(addToMultiset(EMPTY_MULTISET, 'h3', 'h2', 'h1')));
    expect(sumShards([]).digest).toBe(multisetDigest(EMPTY_MULTISET));
  });
});
