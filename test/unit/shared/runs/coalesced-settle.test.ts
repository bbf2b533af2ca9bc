import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoalescedSettler } from '../../../../shared/runs/coalesced-settle.js';

function closer() {
  const checks: string[] = [];
  return {
    checks,
    settle: async (ids: Iterable<string>) => void checks.push(...[...ids].map((id) => `batch:${id}`)),
    closeIfComplete: async (id: string) => void checks.push(`trailing:${id}`),
  };
}

describe('close checks of a local process', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('checks a run at once, then at most once an interval, never dropping the last ask', async () => {
    const inner = closer();
    const settler = new CoalescedSettler(inner, 1000, () => Date.now());
    await settler.settle(['r1', 'r1']);
    expect(inner.checks).toEqual(['batch:r1']);
    await vi.advanceTimersByTimeAsync(100);
    await settler.settle(['r1']);
    await settler.settle(['r1', 'r2']);
    // r2 was never checked: at once; r1 asked twice within the interval: one trailing check.
    expect(inner.checks).toEqual(['batch:r1', 'batch:r2']);
    await vi.advanceTimersByTimeAsync(900);
    expect(inner.checks).toEqual(['batch:r1', 'batch:r2', 'trailing:r1']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(inner.checks).toHaveLength(3);
  });

  it('runs the pending trailing checks when flushed (the process is about to end)', async () => {
    const inner = closer();
    const settler = new CoalescedSettler(inner, 1000, () => Date.now());
    await settler.settle(['r1']);
    await settler.settle(['r1']);
    await settler.flush();
    expect(inner.checks).toEqual(['batch:r1', 'trailing:r1']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(inner.checks).toHaveLength(2);
  });
});
