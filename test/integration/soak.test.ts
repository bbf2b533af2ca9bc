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
        // A crash drawn mid-upload is held until the uploads in flight land (shared/fault-middleware.ts),
        // and a crash ends every chunk the worker holds; the rate is per chunk attempt (faults.ts).
        // A thousand objects are ten chunks and a few redeliveries: at 0.2 about one run in twelve
        // drew no crash at all (0.8^11) and failed below; at 0.4, one in several hundred.
        '--crash-rate',
        '0.4',
        // Per message received: a thousand objects are about fifteen messages (ten chunks, the scan),
        // so 0.1 drew no duplicate at all in about one run of five.
        '--dup-rate',
        '0.3',
        '--throttle-rate',
        '0.05',
        '--slow-rate',
        '0.005',
        '--overwrite-rate',
        '0.02',
        // Per batch: a batch is up to ten chunks now, so a run of a thousand objects has about ten
        // (at 0.3 one run in thirty would draw none; at 0.5, one in a thousand).
        '--batch-retry-rate',
        '0.5',
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
    // Every fault kind was actually exercised, or the run proves nothing.
    expect(figures.faults.crash).toBeGreaterThan(0);
    expect(figures.faults.duplicate).toBeGreaterThan(0);
    expect(figures.faults.throttle).toBeGreaterThan(0);
    // Batches whose after-batch step failed came back whole: counts stayed exact, the run closed.
    expect(figures.faults.batchretry).toBeGreaterThan(0);
    const { encrypted, compliant, skipped, superseded, failed } = figures.counts;
    expect(encrypted + compliant + skipped + superseded + failed).toBe(1000);
    expect(figures.restarts).toBe(figures.faults.crash);
    expect(figures.overwritten).toBeGreaterThan(0);
    expect(figures.audit_records).toBe(1000);
  }, 600_000);
});
