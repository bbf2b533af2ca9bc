import { describe, expect, it } from 'vitest';
import { ClaimsReporter, type RunHolder, type RunHolders } from '../../../../shared/runs/run-holders.js';
import { LocalClaims } from '../../../../shared/worker/local-claims.js';

function recordingHolders() {
  const reports: Array<{ runId: string } & RunHolder> = [];
  const holders = {
    report: async (runId: string, holder: RunHolder) => void reports.push({ runId, ...holder }),
  };
  return { holders: holders as unknown as RunHolders, reports };
}

const ref = (key: string) => ({ bucket: 'b', key, operation: 'encrypt' as const });

describe('ClaimsReporter', () => {
  it('reports the claims held per run, then zero once they are gone, then nothing more', async () => {
    const claims = new LocalClaims();
    const { holders, reports } = recordingHolders();
    const reporter = new ClaimsReporter(claims, holders, 2000, 'local:h:1:t1:process');
    claims.add({ ref: ref('a'), owner: 'o1', runId: 'R1', leaseUntil: 5000 });
    claims.add({ ref: ref('b'), owner: 'o2', runId: 'R1', leaseUntil: 7000 });
    await reporter.tick(10_000);
    expect(reports.map(({ at: _at, ...r }) => r)).toEqual([
      { runId: 'R1', owner: 'local:h:1:t1:process', claims: 2, leaseUntil: 7000 },
    ]);
    // Rate-limited: no second report within `everyMs`.
    await reporter.tick(11_000);
    expect(reports).toHaveLength(1);
    claims.remove(ref('a'), 'o1');
    claims.remove(ref('b'), 'o2');
    await reporter.flush();
    expect(reports[1]).toMatchObject({ runId: 'R1', claims: 0 });
    await reporter.flush();
    expect(reports).toHaveLength(2);
  });
});
