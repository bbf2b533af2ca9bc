import { describe, expect, it, vi } from 'vitest';
import type { ChunkItem, ChunkStore, ClaimChunkInput } from '../../../../shared/chunks/chunk-store.js';
import { LocalClaims } from '../../../../shared/worker/local-claims.js';

const NOW = new Date('2026-11-23T10:00:00.000Z');

/** A store that grants every claim but of chunks named `taken…`, leasing for the asked seconds. */
function fakeStore(): ChunkStore & { [K in 'claim' | 'commit' | 'giveBack']: ReturnType<typeof vi.fn> } {
  return {
    get: vi.fn(async () => undefined),
    getMany: vi.fn(async () => []),
    listRun: vi.fn(async function* () {}),
    claim: vi.fn(async (input: ClaimChunkInput, now?: Date) => {
      const item: ChunkItem = {
        runId: input.runId,
        chunkId: input.chunkId,
        state: 'IN_PROGRESS',
        owner: input.owner,
        leaseExpiresAt: (now ?? NOW).getTime() + input.leaseSeconds * 1000,
        attempt: 1,
        membership: input.membership,
        salts: ['00'],
        firstClaimedAt: (now ?? NOW).toISOString(),
        updatedAt: (now ?? NOW).toISOString(),
      };
      return input.chunkId.startsWith('taken') ? { claimed: false, existing: item } : { claimed: true, item };
    }),
    commit: vi.fn(async () => true),
    giveBack: vi.fn(async () => true),
  } as never;
}

const claim = (chunkId: string, owner: string, runId = 'R1', leaseSeconds = 900): ClaimChunkInput => ({
  runId,
  chunkId,
  owner,
  leaseSeconds,
  membership: 'm',
});
const commit = { log: { key: 'audit/runs/R1/chunks/a/1.jsonl.gz', sha256: 'h' }, records: [], keyArns: [] };

describe('LocalClaims', () => {
  it('holds the chunks claimed through its store until they are committed or given back', async () => {
    const claims = new LocalClaims(
      () => false,
      () => 'o',
    );
    const chunks = claims.track(fakeStore());
    await chunks.claim(claim('a', 'o1'), NOW);
    await chunks.claim(claim('b', 'o2', 'R1', 60), NOW);
    await chunks.claim(claim('c', 'o3', 'R2'), NOW);
    await chunks.claim(claim('taken', 'o4'), NOW);
    expect(claims.list().map((c) => c.ref.chunkId)).toEqual(['a', 'b', 'c']);
    expect(claims.byRun()).toEqual(
      new Map([
        ['R1', { claims: 2, leaseUntil: NOW.getTime() + 900_000 }],
        ['R2', { claims: 1, leaseUntil: NOW.getTime() + 900_000 }],
      ]),
    );
    await chunks.commit({ runId: 'R1', chunkId: 'a' }, 'o1', commit);
    await chunks.giveBack({ runId: 'R1', chunkId: 'b' }, 'o2', 'throttled');
    expect(claims.list().map((c) => c.ref.chunkId)).toEqual(['c']);
    // Another attempt's owner does not end this one's hold.
    await chunks.commit({ runId: 'R2', chunkId: 'c' }, 'other', commit);
    expect(claims.list()).toHaveLength(1);
  });

  it("counts the objects of a run's held chunks: none for a claim that did not say, none once ended", async () => {
    const local = new LocalClaims(() => false);
    const chunks = local.track(fakeStore());
    await chunks.claim({ ...claim('a', 'o1'), objects: 100 }, NOW);
    await chunks.claim({ ...claim('b', 'o1'), objects: 40 }, NOW);
    await chunks.claim({ ...claim('c', 'o1', 'R2'), objects: 7 }, NOW);
    await chunks.claim(claim('d', 'o1'), NOW);
    await chunks.claim({ ...claim('taken-e', 'o1'), objects: 100 }, NOW);
    expect(local.heldObjects('R1')).toBe(140);
    expect(local.heldObjects('R2')).toBe(7);
    await chunks.commit({ runId: 'R1', chunkId: 'a' }, 'o1', commit);
    await chunks.giveBack({ runId: 'R1', chunkId: 'b' }, 'o1', 'stop');
    expect(local.heldObjects('R1')).toBe(0);
    expect(local.heldObjects('R3')).toBe(0);
  });

  it('stops holding a chunk whose commit was refused: another attempt took it over', async () => {
    const store = fakeStore();
    store.commit.mockResolvedValueOnce(false);
    const claims = new LocalClaims(
      () => false,
      () => 'o',
    );
    const chunks = claims.track(store);
    await chunks.claim(claim('a', 'o1'), NOW);
    expect(await chunks.commit({ runId: 'R1', chunkId: 'a' }, 'o1', commit)).toBe(false);
    expect(claims.list()).toEqual([]);
  });

  it('counts, per run, the outcomes of the commits that held (a refused one counts nothing)', async () => {
    const store = fakeStore();
    const claims = new LocalClaims(
      () => false,
      () => 'o',
    );
    const chunks = claims.track(store);
    const records = (...decisions: string[]) =>
      decisions.map((decision) => ({ hash: 'h', decision, at: 'now' })) as never;
    await chunks.claim(claim('a', 'o1'), NOW);
    await chunks.commit({ runId: 'R1', chunkId: 'a' }, 'o1', {
      ...commit,
      records: records('encrypted', 'rewrapped', 'skipped'),
    });
    store.commit.mockResolvedValueOnce(false);
    await chunks.claim(claim('b', 'o1'), NOW);
    await chunks.commit({ runId: 'R1', chunkId: 'b' }, 'o1', { ...commit, records: records('failed') });
    expect(claims.committed('R1')).toMatchObject({ encrypted: 2, skipped: 1, failed: 0, compliant: 0 });
    expect(claims.committed('R2')).toMatchObject({ encrypted: 0, skipped: 0 });
  });

  it('wakes those waiting for the next commit when one is counted, not when one is refused', async () => {
    const store = fakeStore();
    const claims = new LocalClaims(
      () => false,
      () => 'o',
    );
    const chunks = claims.track(store);
    let woken = 0;
    const wait = () => claims.nextCommit().then(() => woken++);
    const first = [wait(), wait()];
    store.commit.mockResolvedValueOnce(false);
    await chunks.claim(claim('a', 'o1'), NOW);
    await chunks.commit({ runId: 'R1', chunkId: 'a' }, 'o1', commit);
    await Promise.resolve();
    expect(woken).toBe(0);
    await chunks.claim(claim('b', 'o1'), NOW);
    await chunks.commit({ runId: 'R1', chunkId: 'b' }, 'o1', commit);
    await Promise.all(first);
    expect(woken).toBe(2);
    // A fresh wait is for the commit after that one.
    const next = wait();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(woken).toBe(2);
    await chunks.claim(claim('c', 'o1'), NOW);
    await chunks.commit({ runId: 'R1', chunkId: 'c' }, 'o1', commit);
    await next;
    expect(woken).toBe(3);
  });

  it('stops holding a chunk whose commit failed, and passes the error on', async () => {
    const store = fakeStore();
    store.commit.mockRejectedValueOnce(new Error('throttled'));
    const claims = new LocalClaims(
      () => false,
      () => 'o',
    );
    const chunks = claims.track(store);
    await chunks.claim(claim('a', 'o1'), NOW);
    await expect(chunks.commit({ runId: 'R1', chunkId: 'a' }, 'o1', commit)).rejects.toThrow('throttled');
    expect(claims.list()).toEqual([]);
  });

  it('gives every chunk still held back through the store that claimed it, once, with the reason', async () => {
    const first = fakeStore();
    const second = fakeStore();
    const claims = new LocalClaims(
      () => false,
      () => 'o',
    );
    await claims.track(first).claim(claim('a', 'o1'), NOW);
    await claims.track(second).claim(claim('b', 'o2', 'R2'), NOW);
    second.giveBack.mockResolvedValueOnce(false);
    // A refused give-back (taken over meanwhile) is not counted.
    expect(await claims.releaseAll('interrupted by SIGINT')).toBe(1);
    expect(first.giveBack).toHaveBeenCalledWith({ runId: 'R1', chunkId: 'a' }, 'o1', 'interrupted by SIGINT');
    expect(second.giveBack).toHaveBeenCalledWith(
      { runId: 'R2', chunkId: 'b' },
      'o2',
      'interrupted by SIGINT',
    );
    expect(first.giveBack).toHaveBeenCalledTimes(1);
    expect(claims.list()).toEqual([]);
    expect(await claims.releaseAll('again')).toBe(0);
    expect(first.giveBack).toHaveBeenCalledTimes(1);
  });

  it('passes reads through untouched', async () => {
    const store = fakeStore();
    const chunks = new LocalClaims().track(store);
    await chunks.get({ runId: 'R1', chunkId: 'a' });
    expect(store.get).toHaveBeenCalledWith({ runId: 'R1', chunkId: 'a' });
    expect(chunks.listRun('R1')).toBeDefined();
    expect(store.listRun).toHaveBeenCalledWith('R1');
    await chunks.getMany([{ runId: 'R1', chunkId: 'b' }]);
    expect(store.getMany).toHaveBeenCalledWith([{ runId: 'R1', chunkId: 'b' }]);
  });

  it('hands out fresh owner tokens and asks its probe whether an owner is gone', () => {
    let n = 0;
    const claims = new LocalClaims(
      (owner) => owner === 'dead',
      () => `t${n++}`,
    );
    expect([claims.newOwner(), claims.newOwner()]).toEqual(['t0', 't1']);
    expect(claims.ownerGone('dead')).toBe(true);
    expect(claims.ownerGone('alive')).toBe(false);
  });
});
