import { describe, expect, it } from 'vitest';
import type { ChunkStore, ClaimChunkInput } from '../../../../shared/chunks/chunk-store.js';
import { ClaimsReporter, type RunHolder, type RunHolders } from '../../../../shared/runs/run-holders.js';
import { LocalClaims } from '../../../../shared/worker/local-claims.js';

function recordingHolders() {
  const reports: Array<{ runId: string } & RunHolder> = [];
  const holders = {
    report: async (runId: string, holder: RunHolder) => void reports.push({ runId, ...holder }),
  };
  return { holders: holders as unknown as RunHolders, reports };
}

/** A chunk store granting every claim with a lease until `leaseUntil` (epoch ms, by chunk id). */
const store = (leaseUntil: Record<string, number>) =>
  ({
    claim: async (input: ClaimChunkInput) => ({
      claimed: true,
      item: { ...input, state: 'IN_PROGRESS', leaseExpiresAt: leaseUntil[input.chunkId], attempt: 1 },
    }),
    giveBack: async () => true,
  }) as unknown as ChunkStore;
const claim = (chunkId: string, owner: string): ClaimChunkInput => ({
  runId: 'R1',
  chunkId,
  owner,
  leaseSeconds: 900,
  membership: 'm',
});

describe('ClaimsReporter', () => {
  it('reports the claims held per run, then zero once they are gone, then nothing more', async () => {
    const claims = new LocalClaims();
    const { holders, reports } = recordingHolders();
    const reporter = new ClaimsReporter(claims, holders, 2000, 'local:h:1:t1:process');
    const chunks = claims.track(store({ a: 5000, b: 7000 }));
    await chunks.claim(claim('a', 'o1'));
    await chunks.claim(claim('b', 'o2'));
    await reporter.tick(10_000);
    expect(reports.map(({ at: _at, ...r }) => r)).toEqual([
      { runId: 'R1', owner: 'local:h:1:t1:process', claims: 2, leaseUntil: 7000 },
    ]);
    // Rate-limited: no second report within `everyMs`.
    await reporter.tick(11_000);
    expect(reports).toHaveLength(1);
    await chunks.giveBack({ runId: 'R1', chunkId: 'a' }, 'o1', 'throttled');
    await chunks.giveBack({ runId: 'R1', chunkId: 'b' }, 'o2', 'throttled');
    await reporter.flush();
    expect(reports[1]).toMatchObject({ runId: 'R1', claims: 0 });
    await reporter.flush();
    expect(reports).toHaveLength(2);
  });

  it('writes no last zero report for a run known complete (`status` shows holders of unfinished runs only)', async () => {
    const claims = new LocalClaims();
    const { holders, reports } = recordingHolders();
    const reporter = new ClaimsReporter(claims, holders, 2000, 'local:h:1:t1:process');
    const chunks = claims.track(store({ a: 5000 }));
    await chunks.claim(claim('a', 'o1'));
    await reporter.tick(10_000);
    await chunks.giveBack({ runId: 'R1', chunkId: 'a' }, 'o1', 'done elsewhere');
    await reporter.flush(new Set(['R1']));
    expect(reports).toHaveLength(1);
    // Nor later: the run is no longer among those it reported.
    await reporter.flush();
    expect(reports).toHaveLength(1);
  });

  it('reports a run it holds and no report names yet at once, whatever the time since the last report', async () => {
    const claims = new LocalClaims();
    const { holders, reports } = recordingHolders();
    const reporter = new ClaimsReporter(claims, holders, 10_000, 'local:h:1:t1:process');
    const chunks = claims.track(store({ a: 5000, c: 6000 }));
    // Nothing held yet: nothing to report, and the next tick is not held back by this one.
    await reporter.tick(1_000);
    expect(reports).toEqual([]);
    await chunks.claim(claim('a', 'o1'));
    await reporter.tick(1_250);
    expect(reports.map(({ runId, claims }) => [runId, claims])).toEqual([['R1', 1]]);
    await reporter.tick(2_000);
    expect(reports).toHaveLength(1);
    await chunks.claim({ ...claim('c', 'o2'), runId: 'R2' });
    await reporter.tick(2_250);
    expect(reports.slice(1).map(({ runId, claims }) => [runId, claims])).toEqual([
      ['R1', 1],
      ['R2', 1],
    ]);
  });
});
