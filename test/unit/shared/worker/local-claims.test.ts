import { describe, expect, it, vi } from 'vitest';
import type { ClaimInput, Ledger } from '../../../../shared/ledger/ledger.js';
import { LocalClaims } from '../../../../shared/worker/local-claims.js';

function fakeLedger(): Ledger {
  return {
    get: vi.fn(async () => undefined),
    claim: vi.fn(async (input: ClaimInput) => ({ claimed: !input.key.startsWith('taken') })),
    finish: vi.fn(async () => true),
    release: vi.fn(async () => true),
    recordDecision: vi.fn(async () => true),
    recordWrap: vi.fn(async () => undefined),
    recordPendingWrap: vi.fn(async () => undefined),
    reconcile: vi.fn(async () => true),
  };
}

const claim = (key: string, owner: string, runId = 'R1'): ClaimInput => ({
  bucket: 'b',
  key,
  operation: 'encrypt',
  runId,
  jobId: `j-${key}`,
  owner,
  leaseSeconds: 900,
  sourceEtag: '"e"',
  mode: 'envelope',
  method: 'envelope',
});

describe('LocalClaims', () => {
  it('keeps the claims taken through its ledger until they are finished, released or reconciled', async () => {
    const inner = fakeLedger();
    const claims = new LocalClaims(
      () => false,
      () => 'o',
    );
    const ledger = claims.track(inner);
    const now = new Date('2026-11-23T10:00:00.000Z');
    await ledger.claim(claim('a', 'o1'), now);
    await ledger.claim(claim('b', 'o2'), now);
    await ledger.claim(claim('c', 'o3', 'R2'), now);
    await ledger.claim(claim('taken', 'o4'), now);
    expect(claims.list().map((c) => c.ref.key)).toEqual(['a', 'b', 'c']);
    expect(claims.byRun()).toEqual(
      new Map([
        ['R1', { claims: 2, leaseUntil: now.getTime() + 900_000 }],
        ['R2', { claims: 1, leaseUntil: now.getTime() + 900_000 }],
      ]),
    );
    await ledger.finish({ bucket: 'b', key: 'a', operation: 'encrypt' }, 'o1', { state: 'DONE' });
    await ledger.release({ bucket: 'b', key: 'b', operation: 'encrypt' }, 'o2', 'throttled');
    expect(claims.list().map((c) => c.ref.key)).toEqual(['c']);
    // Another attempt's owner does not end this one's claim.
    await ledger.finish({ bucket: 'b', key: 'c', operation: 'encrypt' }, 'other', { state: 'DONE' });
    expect(claims.list()).toHaveLength(1);
  });

  it('releases every claim still held, once, with the reason', async () => {
    const inner = fakeLedger();
    const claims = new LocalClaims(
      () => false,
      () => 'o',
    );
    const ledger = claims.track(inner);
    await ledger.claim(claim('a', 'o1'));
    await ledger.claim(claim('b', 'o2'));
    expect(await claims.releaseAll(inner, 'interrupted by SIGINT')).toBe(2);
    expect(inner.release).toHaveBeenCalledWith(
      { bucket: 'b', key: 'a', operation: 'encrypt' },
      'o1',
      'interrupted by SIGINT',
    );
    expect(claims.list()).toEqual([]);
    expect(await claims.releaseAll(inner, 'again')).toBe(0);
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
