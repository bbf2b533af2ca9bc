import { describe, expect, it } from 'vitest';
import { ShardPool } from '../../../../shared/runs/shard-pool.js';

describe('ShardPool', () => {
  it('keeps the shards it adopted (affinity) and caches what each append left', async () => {
    const pool = new ShardPool(32, () => 0.5);
    const first = await pool.acquire('run-1');
    expect(first.known).toBeUndefined();
    pool.release(first, { ver: 3, digest: 'd' });
    const again = await pool.acquire('run-1');
    expect(again.shard).toBe(first.shard);
    expect(again.known).toEqual({ ver: 3, digest: 'd' });
    pool.release(again, undefined);
    expect((await pool.acquire('run-1')).known).toBeUndefined();
  });

  it('gives appends in flight at once different shards, and makes the next wait when all are busy', async () => {
    const pool = new ShardPool(2);
    const a = await pool.acquire('run-1');
    const b = await pool.acquire('run-1');
    expect(a.shard).not.toBe(b.shard);
    // Another run's shards are separate items: the same shard numbers are free for it.
    const other = await pool.acquire('run-2');
    expect([a.shard, b.shard]).toContain(other.shard);
    let third: number | undefined;
    const waiting = pool.acquire('run-1').then((lease) => {
      third = lease.shard;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(third).toBeUndefined();
    pool.release(other, undefined);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(third).toBeUndefined();
    pool.release(b, { ver: 1, digest: 'x' });
    await waiting;
    expect(third).toBe(b.shard);
  });

  it('refuses a shard count DynamoDB keys cannot name', () => {
    expect(() => new ShardPool(0)).toThrow(/1 to 100/);
    expect(() => new ShardPool(101)).toThrow(/1 to 100/);
  });
});
