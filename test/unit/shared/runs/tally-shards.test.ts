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

  it('creates a new shard only if absent, and moves a known one only from the version it saw', () => {
    const fresh = shardUpdate('ledger', 'run-1', 7, undefined, record('h1', 'skipped'), 'missing');
    expect(fresh.update.Key).toEqual(tallyKey('run-1', 7));
    expect(fresh.update.Key).toEqual({ pk: 'run#run-1', sk: 'tally#07' });
    expect(fresh.update.ConditionExpression).toBe('attribute_not_exists(ver)');
    expect(fresh.update.UpdateExpression).toBe(
      'SET digest = :digest, ver = :ver, lastAt = :at ADD #o :one, #r :one',
    );
    expect(fresh.update.ExpressionAttributeNames).toEqual({ '#o': 'count_skipped', '#r': 'reason_missing' });
    expect(fresh.update.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(fresh.next).toEqual({ ver: 1, digest: addToMultiset(EMPTY_MULTISET, 'h1') });

    const next = shardUpdate('ledger', 'run-1', 7, fresh.next, record('h2', 'rewrapped'), undefined);
    expect(next.update.ConditionExpression).toBe('ver = :prev');
    expect(next.update.ExpressionAttributeValues).toMatchObject({ ':prev': 1, ':ver': 2 });
    expect(next.update.ExpressionAttributeNames).toEqual({ '#o': 'count_encrypted' });
    expect(next.next.digest).toBe(addToMultiset(EMPTY_MULTISET, 'h2', 'h1'));
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
