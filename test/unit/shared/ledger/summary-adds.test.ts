import { describe, expect, it } from 'vitest';
import type { FinishInput, ObjectRef } from '../../../../shared/ledger/ledger.js';
import { type SummaryAdds, summaryUpdates, wrapOf } from '../../../../shared/ledger/summary-adds.js';
import { SummaryShardSelector } from '../../../../shared/ledger/summary-shards.js';
import { WRAP_KEY_SHARDS, wrapKeyOf, wrapShardOf } from '../../../../shared/ledger/wrap-key.js';

const A = 'arn:aws:kms:us-east-1:111122223333:key/a';
const B = 'arn:aws:kms:us-east-1:111122223333:key/b';

const finishUnder = (keyArn: string, wrappedAt: string): FinishInput => ({
  state: 'DONE',
  resultEtag: '"e"',
  keyArn,
  wrappedAt,
});

/** The wraps of one group's close, keyed as the close transaction keys them. */
function groupOf(
  wraps: Array<[key: string, keyArn: string, wrappedAt: string]>,
  shardFor: (k: string) => number,
) {
  const adds: SummaryAdds = new Map();
  for (const [key, keyArn, wrappedAt] of wraps) {
    const ref: ObjectRef = { bucket: 'bucket-1', key, operation: 'encrypt' };
    const wrap = wrapOf(ref, finishUnder(keyArn, wrappedAt), shardFor)!;
    adds.set(wrap.summary, [...(adds.get(wrap.summary) ?? []), wrap]);
  }
  return adds;
}

describe('summary adds of a close transaction', () => {
  it('writes one summary update per key per group, with one ADD per month, on the process-chosen shard', () => {
    const selector = new SummaryShardSelector(() => 0.5);
    const wraps: Array<[string, string, string]> = [
      ...Array.from(
        { length: 14 },
        (_, i) => [`a/${i}`, A, '2026-11-23T10:00:00.000Z'] as [string, string, string],
      ),
      ['a/old-1', A, '2026-10-02T10:00:00.000Z'],
      ['a/old-2', A, '2026-10-03T10:00:00.000Z'],
      ['b/1', B, '2026-11-23T10:00:00.000Z'],
      ['b/2', B, '2026-11-23T11:00:00.000Z'],
    ];
    // The group's objects sit on many index shards...
    expect(new Set(wraps.map(([key]) => wrapShardOf('bucket-1', key))).size).toBeGreaterThan(8);
    const updates = summaryUpdates(
      'ledger',
      groupOf(wraps, (k) => selector.shardFor(k)),
    );
    // ...yet the group counts them with one update per key.
    expect(updates).toHaveLength(2);
    const a = updates.find((u) => u.Key.sk === A)!;
    expect(a.Key.pk).toBe('keysum#32');
    expect(a.UpdateExpression).toBe('ADD #m0 :m0, #m1 :m1');
    expect(a.ExpressionAttributeNames).toEqual({ '#m0': 'm2026_11', '#m1': 'm2026_10' });
    expect(a.ExpressionAttributeValues).toEqual({ ':m0': 14, ':m1': 2 });
    const b = updates.find((u) => u.Key.sk === B)!;
    expect(b.Key.pk).toBe('keysum#32');
    expect(b.ExpressionAttributeValues).toEqual({ ':m0': 2 });
  });

  it("keeps each object's index key on its own shard", () => {
    const wrap = wrapOf(
      { bucket: 'bucket-1', key: 'x/y', operation: 'encrypt' },
      finishUnder(A, '2026-11-23T10:00:00.000Z'),
      () => 3,
    )!;
    expect(wrap.shard).toBe(wrapShardOf('bucket-1', 'x/y'));
    expect(wrap.wrapKey).toBe(wrapKeyOf(A, wrap.shard));
    expect(wrap.summaryShard).toBe(3);
    expect(
      wrapOf({ bucket: 'b', key: 'k', operation: 'rewrap' }, finishUnder(A, '2026-11-23T10:00:00.000Z')),
    ).toBe(undefined);
  });

  it('names a key once per transaction even if its wraps were grouped under several entries', () => {
    const picks = [5, 9];
    const adds = groupOf(
      [
        ['a/1', A, '2026-11-23T10:00:00.000Z'],
        ['a/2', A, '2026-11-23T10:00:00.000Z'],
      ],
      () => picks.shift()!,
    );
    // As if the process had forgotten its pick between two wraps of one group.
    const [first, second] = adds.get(A)!;
    const split: SummaryAdds = new Map([
      ['one', [first!]],
      ['two', [second!]],
    ]);
    const updates = summaryUpdates('ledger', split);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.Key).toEqual({ pk: 'keysum#05', sk: A });
    expect(updates[0]!.ExpressionAttributeValues).toEqual({ ':m0': 2 });
  });
});

describe('SummaryShardSelector', () => {
  it('picks a shard per key at random and keeps it (affinity)', () => {
    const draws = [0.1, 0.99, 0.7];
    const selector = new SummaryShardSelector(() => draws.shift()!);
    expect(selector.shardFor(A)).toBe(6);
    expect(selector.shardFor(B)).toBe(63);
    expect(selector.shardFor(A)).toBe(6);
    expect(selector.shardFor(B)).toBe(63);
    expect(draws).toEqual([0.7]);
  });

  it('stays within 0..N-1 and forgets keys past its bound', () => {
    const selector = new SummaryShardSelector(Math.random, 2);
    for (let i = 0; i < 100; i++) {
      const shard = selector.shardFor(`k${i}`);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(WRAP_KEY_SHARDS);
    }
    expect(new SummaryShardSelector(() => 1).shardFor(A)).toBe(WRAP_KEY_SHARDS - 1);
  });
});
