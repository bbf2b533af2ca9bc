import { describe, expect, it } from 'vitest';
import { type LocalState, RunLooks } from '../../../cli/run-looks.js';
import { emptyCounts, type Run } from '../../../shared/runs/run-store.js';

const T0 = 1_000_000;
const timing = { idleMs: 2000, busyMs: 5000, afterBatchMs: 1000 };

const state = (over: Partial<LocalState> & { encrypted?: number } = {}): LocalState => {
  const { encrypted = 0, ...rest } = over;
  return { now: T0, batches: 0, claims: 0, committed: { ...emptyCounts(), encrypted }, ...rest };
};

const runOf = (over: Partial<Run> & { encrypted?: number } = {}): Run => {
  const { encrypted = 0, ...rest } = over;
  return {
    runId: 'R1',
    bucket: 'b',
    prefix: '',
    mode: 'sse-kms',
    startedAt: new Date(T0).toISOString(),
    discovered: 600,
    pagesScanned: 1,
    scanComplete: true,
    counts: { ...emptyCounts(), encrypted },
    ...rest,
  };
};

describe('RunLooks', () => {
  it('looks first after a batch finished, no sooner than afterBatchMs after the start', () => {
    const looks = new RunLooks(T0, timing);
    expect(looks.due(state({ now: T0 + 300, batches: 1, claims: 3 }))).toBe(false);
    expect(looks.due(state({ now: T0 + 1000, batches: 1, claims: 3 }))).toBe(true);
    expect(looks.estimate(state())).toBeUndefined();
  });

  it('while it works, looks every busyMs; between looks it estimates from its own commits', () => {
    const looks = new RunLooks(T0, timing);
    looks.looked(runOf({ encrypted: 100 }), state({ now: T0 + 1000, batches: 1, claims: 4, encrypted: 100 }));
    const working = state({ now: T0 + 4000, batches: 3, claims: 4, encrypted: 300 });
    expect(looks.due(working)).toBe(false);
    expect(looks.estimate(working)?.counts.encrypted).toBe(300);
    expect(looks.due({ ...working, now: T0 + 6000 })).toBe(true);
  });

  it('looks as soon as its own commits bring the last count up to the objects discovered', () => {
    const looks = new RunLooks(T0, timing);
    looks.looked(runOf({ encrypted: 100 }), state({ now: T0 + 1000, batches: 1, claims: 4, encrypted: 100 }));
    expect(looks.due(state({ now: T0 + 1100, batches: 1, claims: 1, encrypted: 599 }))).toBe(false);
    expect(looks.due(state({ now: T0 + 1200, batches: 1, claims: 1, encrypted: 600 }))).toBe(true);
  });

  it('does not go by its estimate while the scan is not complete; a finished batch with nothing held prompts a look', () => {
    const looks = new RunLooks(T0, timing);
    looks.looked(
      runOf({ scanComplete: false, discovered: 100 }),
      state({ now: T0 + 1000, batches: 1, claims: 0 }),
    );
    expect(looks.due(state({ now: T0 + 1500, batches: 1, claims: 2, encrypted: 100 }))).toBe(false);
    // The batch finished and this process holds nothing of the run: the run may be complete.
    expect(looks.due(state({ now: T0 + 1500, batches: 2, claims: 0, encrypted: 100 }))).toBe(false);
    expect(looks.due(state({ now: T0 + 2000, batches: 2, claims: 0, encrypted: 100 }))).toBe(true);
    // Still holding chunks when the batch finished: no look until busyMs.
    expect(looks.due(state({ now: T0 + 2000, batches: 2, claims: 1, encrypted: 100 }))).toBe(false);
  });

  it('holding nothing and with no batch finished, looks every idleMs (stalls, other processes, the scan)', () => {
    const looks = new RunLooks(T0, timing);
    looks.looked(runOf({ encrypted: 10 }), state({ now: T0 + 1000, batches: 1, encrypted: 10 }));
    expect(looks.due(state({ now: T0 + 2900, batches: 1, encrypted: 10 }))).toBe(false);
    expect(looks.due(state({ now: T0 + 3000, batches: 1, encrypted: 10 }))).toBe(true);
  });
});
