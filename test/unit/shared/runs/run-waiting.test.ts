import { describe, expect, it } from 'vitest';
import { runStatus } from '../../../../shared/runs/run-status.js';
import { emptyCounts, type Run } from '../../../../shared/runs/run-store.js';
import { runWaiting } from '../../../../shared/runs/run-waiting.js';
import { localOwnerToken } from '../../../../shared/worker/process-identity.js';

const run = (overrides: Partial<Run> = {}): Run => ({
  runId: 'R1',
  bucket: 'b',
  prefix: '',
  mode: 'envelope',
  startedAt: '2026-11-23T10:00:00.000Z',
  discovered: 120,
  pagesScanned: 1,
  scanComplete: true,
  counts: { ...emptyCounts(), encrypted: 114 },
  ...overrides,
});
const owner = localOwnerToken({ host: 'laptop~ab~1', pid: 4242, started: 't1' });
const holder = {
  owner,
  claims: 6,
  leaseUntil: Date.parse('2026-11-23T10:15:00.000Z'),
  at: '2026-11-23T10:00:30.000Z',
};
const waitingOf = (r: Run, queues: { queued: number; inFlight: number }, holders = [holder], gone = false) =>
  runWaiting(r, runStatus(r), queues, holders, () => gone);

describe('runWaiting', () => {
  it('says nothing for a finished run', () => {
    expect(waitingOf(run({ counts: { ...emptyCounts(), encrypted: 120 } }), { queued: 0, inFlight: 0 })).toBe(
      undefined,
    );
  });

  it('names jobs queued and in flight, and who holds claims until when', () => {
    const waiting = waitingOf(run(), { queued: 0, inFlight: 6 })!;
    expect(waiting.stalled).toBe(false);
    expect(waiting.lines).toEqual([
      'waiting: 0 job(s) queued, 6 in flight (all runs) for 6 object(s)',
      '6 claim(s) held by pid 4242 on laptop (lease until 2026-11-23T10:15:00.000Z, reported 2026-11-23T10:00:30.000Z)',
    ]);
  });

  it('points at resume when the holder is a process that is gone', () => {
    const waiting = waitingOf(run(), { queued: 0, inFlight: 6 }, [holder], true)!;
    expect(waiting.holders[0]!.gone).toBe(true);
    expect(waiting.lines).toEqual([
      'waiting: 0 job(s) queued, 6 in flight (all runs) for 6 object(s); `s3-seal resume R1` takes over the work of the process that is gone',
      '6 claim(s) held by pid 4242 on laptop (process gone: `s3-seal resume R1` takes them over)',
    ]);
  });

  it('says when queued jobs are not being received by anyone', () => {
    expect(waitingOf(run(), { queued: 6, inFlight: 0 }, [])!.lines).toEqual([
      'waiting: 6 job(s) queued, 0 in flight (all runs) for 6 object(s); nothing is receiving them now: `s3-seal resume R1` processes them here',
    ]);
  });

  it('calls a run with nothing queued or in flight stalled, ignoring holders that hold nothing', () => {
    const waiting = waitingOf(run({ scanComplete: false }), { queued: 0, inFlight: 0 }, [
      { ...holder, claims: 0 },
    ])!;
    expect(waiting.stalled).toBe(true);
    expect(waiting.holders).toEqual([]);
    expect(waiting.lines).toHaveLength(1);
    expect(waiting.lines[0]).toMatch(
      /^stalled: no jobs queued or in flight and 6\+ object\(s\) unaccounted: run `s3-seal resume R1`/,
    );
  });
});
