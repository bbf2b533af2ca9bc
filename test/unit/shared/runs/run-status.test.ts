import { describe, expect, it } from 'vitest';
import { runStatus } from '../../../../shared/runs/run-status.js';
import { emptyCounts, type Run } from '../../../../shared/runs/run-store.js';

const run = (overrides: Partial<Run>): Run => ({
  runId: 'r',
  bucket: 'b',
  prefix: '',
  mode: 'sse-kms',
  startedAt: '2026-11-23T10:00:00.000Z',
  discovered: 100,
  pagesScanned: 1,
  scanComplete: true,
  counts: emptyCounts(),
  ...overrides,
});

describe('runStatus', () => {
  it('gives rate and ETA from the settled count and the clock while running', () => {
    const status = runStatus(
      run({ counts: { ...emptyCounts(), encrypted: 30, compliant: 10 } }),
      new Date('2026-11-23T10:00:20.000Z'),
    );
    expect(status).toEqual({
      state: 'running',
      settled: 40,
      remaining: 60,
      fraction: 0.4,
      ratePerSecond: 2,
      etaSeconds: 30,
    });
  });

  it('measures a finished run up to its last counted batch, not to now', () => {
    const status = runStatus(
      run({
        counts: { ...emptyCounts(), encrypted: 90, skipped: 10 },
        lastProgressAt: '2026-11-23T10:00:50.000Z',
      }),
      new Date('2026-11-24T00:00:00.000Z'),
    );
    expect(status).toMatchObject({ state: 'done', remaining: 0, fraction: 1, ratePerSecond: 2 });
    expect(status.etaSeconds).toBeUndefined();
  });

  it('has no ETA while the scan is still discovering objects', () => {
    const status = runStatus(run({ scanComplete: false, counts: { ...emptyCounts(), encrypted: 5 } }));
    expect(status.state).toBe('scanning');
    expect(status.etaSeconds).toBeUndefined();
  });

  it('calls an empty finished run done', () => {
    expect(runStatus(run({ discovered: 0 }))).toMatchObject({ state: 'done', fraction: 1, settled: 0 });
  });
});

describe('runStatus of a run that cannot finish, or has no scan', () => {
  it('is failed once its scan failed, whatever its counts', () => {
    const status = runStatus(run({ scanComplete: false, scanFailed: 'inventory data file s3://i/d: bad' }));
    expect(status.state).toBe('failed');
    expect(status.etaSeconds).toBeUndefined();
  });

  it('is watching for a watch run of today and ended for one of a past day, nothing remaining', () => {
    const counts = { ...emptyCounts(), encrypted: 3, compliant: 1 };
    const today = run({
      runId: 'watch-b-2026-11-23',
      watch: true,
      discovered: 0,
      scanComplete: false,
      counts,
    });
    expect(runStatus(today, new Date('2026-11-23T18:00:00.000Z'))).toEqual({
      state: 'watching',
      settled: 4,
      remaining: 0,
      fraction: 1,
    });
    expect(runStatus(today, new Date('2026-11-24T00:00:01.000Z')).state).toBe('ended');
  });
});
