import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * The reduced chaos soak (the full one is `npm run soak`): about a thousand objects under every
 * fault kind at once (failed after-batch steps included), then the soak's own independent check. It is a test because it can fail: a
 * lost or doubly-encrypted object, a stuck claim, an audit gap or a stray dead letter exits 1.
 */
describe('reduced chaos soak', () => {
  it('loses nothing under crashes, duplicates, throttling, slow calls and concurrent overwrites', () => {
    const soak = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/soak.ts',
        '--objects',
        '1000',
        // Each worker's first process makes every kind below hit once (bench/soak.ts, `first`), so
        // no run misses a kind by chance (the checks below once failed so); the rates add random
        // ones on top: per chunk attempt for crashes (shared/faults.ts), per message received for
        // duplicates, per call for throttles and slow calls, per batch for batch retries.
        '--crash-rate',
        '0.2',
        '--dup-rate',
        '0.1',
        '--throttle-rate',
        '0.05',
        '--slow-rate',
        '0.005',
        '--overwrite-rate',
        '0.02',
        '--batch-retry-rate',
        '0.2',
        '--timeout-minutes',
        '7',
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
        timeout: 540_000,
        killSignal: 'SIGKILL',
      },
    );
    const lines = soak.stdout.trim().split('\n');
    expect(soak.status, `${soak.stdout}\n${soak.stderr.slice(-3000)}`).toBe(0);
    const figures = JSON.parse(lines.at(-1)!);
    expect(figures).toMatchObject({ objects: 1000, lost: 0, problems: 0 });
    // Every fault kind was exercised (the three workers' first processes are sure to: bench/soak.ts).
    expect(figures.faults.crash).toBeGreaterThan(0);
    expect(figures.faults.duplicate).toBeGreaterThan(0);
    expect(figures.faults.throttle).toBeGreaterThan(0);
    expect(figures.faults.slow).toBeGreaterThan(0);
    // Batches whose after-batch step failed came back whole: counts stayed exact, the run closed.
    expect(figures.faults.batchretry).toBeGreaterThan(0);
    const { encrypted, compliant, skipped, superseded, failed } = figures.counts;
    expect(encrypted + compliant + skipped + superseded + failed).toBe(1000);
    expect(figures.restarts).toBe(figures.faults.crash);
    expect(figures.overwritten).toBeGreaterThan(0);
    expect(figures.audit_records).toBe(1000);
  }, 600_000);
});
