import { describe, expect, it } from 'vitest';
import { objectPartitionKey } from '../../../../shared/ledger/dynamodb-ledger.js';
import { SummaryShardSelector } from '../../../../shared/ledger/summary-shards.js';
import {
  objectOfPartitionKey,
  WRAP_KEY_BUSIEST_SHARE,
  WRAP_KEY_SHARDS,
  wrapKeyOf,
  wrapShardOf,
} from '../../../../shared/ledger/wrap-key.js';
import { JOBS_PER_GROUP } from '../../../../shared/plan/request-model.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * The partition keys one object's wrap writes, as the key layout implies them: its ledger item and
 * its index entry (wrapKey) (docs/architecture.md, "Wrapping-key index"). Its key's summary is
 * counted once per group on a shard its process picks: see the summary test below.
 */
function wrapWrites(bucket: string, key: string): Array<[kind: string, pk: string]> {
  const shard = wrapShardOf(bucket, key);
  return [
    ['item', objectPartitionKey(bucket, key)],
    ['index', wrapKeyOf(KEY, shard)],
  ];
}

/** A small seeded generator, so the processes' random picks are the same every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Summary writes per partition key of a single-key run of `objects` wraps closed in groups of
 * JOBS_PER_GROUP by `processes` processes taking groups in turn, each keeping the summary shard it
 * picked for the key.
 */
function summaryWrites(objects: number, processes: number): Map<string, number> {
  const random = seeded(processes);
  const selectors = Array.from({ length: processes }, () => new SummaryShardSelector(random));
  const writes = new Map<string, number>();
  for (let group = 0; group * JOBS_PER_GROUP < objects; group++) {
    const pk = `keysum#${selectors[group % processes]!.shardFor(KEY)}`;
    writes.set(pk, (writes.get(pk) ?? 0) + 1);
  }
  return writes;
}

/** The layout before: the index keyed on the key ARN alone (and no summaries). */
function unshardedWrites(bucket: string, key: string): Array<[kind: string, pk: string]> {
  return [
    ['item', objectPartitionKey(bucket, key)],
    ['index', KEY],
  ];
}

/** For a single-key run of `objects` objects, each kind's busiest partition key's share of its writes. */
function busiestShares(layout: typeof wrapWrites, objects: number): Record<string, number> {
  const writes = new Map<string, number>();
  const perKind = new Map<string, number>();
  for (let i = 0; i < objects; i++) {
    // The sequential, prefix-heavy names backfills meet.
    const key = `logs/2026/${String(i % 12).padStart(2, '0')}/part-${String(i).padStart(8, '0')}.gz`;
    for (const [kind, pk] of layout('one-bucket', key)) {
      writes.set(`${kind}\0${pk}`, (writes.get(`${kind}\0${pk}`) ?? 0) + 1);
      perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
    }
  }
  const shares: Record<string, number> = {};
  for (const [name, n] of writes) {
    const kind = name.split('\0')[0]!;
    shares[kind] = Math.max(shares[kind] ?? 0, n / perKind.get(kind)!);
  }
  return shares;
}

describe('wrap index sharding', () => {
  it('puts an object on the same shard every time, within 0..N-1', () => {
    for (const key of ['a', 'logs/2026/11/23/x.json', 'ünïcode key', '']) {
      const shard = wrapShardOf('bucket-1', key);
      expect(shard).toBe(wrapShardOf('bucket-1', key));
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(WRAP_KEY_SHARDS);
    }
    expect(WRAP_KEY_SHARDS).toBe(64);
  });

  it('names the index partition key <keyArn>#<shard>', () => {
    expect(wrapKeyOf(KEY, 7)).toBe(`${KEY}#07`);
    expect(wrapKeyOf(KEY, 63)).toBe(`${KEY}#63`);
  });

  it('reads bucket and key back from a ledger partition key, slashes in the key included', () => {
    expect(objectOfPartitionKey(objectPartitionKey('my-bucket', 'a/b/c.txt'))).toEqual({
      bucket: 'my-bucket',
      key: 'a/b/c.txt',
    });
    expect(objectOfPartitionKey('run#123')).toBeUndefined();
    expect(objectOfPartitionKey('obj#no-slash')).toBeUndefined();
  });

  it(`gives no partition key more than 1/${WRAP_KEY_SHARDS} (+25%) of a single-key run's wrap writes`, () => {
    // About 1,000 objects a shard: the hash's unevenness shows, yet stays well inside the bound.
    const shares = busiestShares(wrapWrites, 64_000);
    expect(shares.item).toBe(1 / 64_000);
    expect(shares.index).toBeLessThanOrEqual(WRAP_KEY_BUSIEST_SHARE);
    expect(WRAP_KEY_BUSIEST_SHARE).toBe(1.25 / 64);
  }, 30_000);

  it('writes a key summary once per group: its busiest item takes fewer write units than the busiest index key', () => {
    const objects = 64_000;
    for (const processes of [64, 1000, 10_000]) {
      const writes = summaryWrites(objects, processes);
      expect([...writes.values()].reduce((a, b) => a + b, 0)).toBe(objects / JOBS_PER_GROUP);
      // Random picks are uneven with few processes (about 4/64 of the groups on the busiest item
      // with 64, 1.7/64 with 1,000), but a group writes it once, at two units (transactional),
      // where the busiest index key takes up to WRAP_KEY_BUSIEST_SHARE of the objects' wraps.
      const busiestUnits = Math.max(...writes.values()) * 2;
      expect(busiestUnits, `${processes} processes`).toBeLessThan(objects * WRAP_KEY_BUSIEST_SHARE);
    }
  });

  it('fails that bound with the unsharded layout it replaces (one partition key took every index write)', () => {
    expect(busiestShares(unshardedWrites, 10_000).index).toBe(1);
  });
});
