import { type Run, settled } from './run-store.js';

/**
 * `failed`: its scan can never finish (see {@link Run.scanFailed}); nothing will settle the rest.
 * `watching` / `ended`: a live-enforcement run of today / of a past UTC day ({@link Run.watch}).
 */
export type RunState = 'scanning' | 'running' | 'done' | 'failed' | 'watching' | 'ended';

export interface RunStatus {
  state: RunState;
  settled: number;
  remaining: number;
  /** Share of discovered objects settled, 0..1 (1 for an empty finished run). */
  fraction: number;
  /** Objects settled per second between the start and the last counted batch. */
  ratePerSecond?: number;
  /** Seconds until the objects discovered so far settle, at that rate (unknown while scanning). */
  etaSeconds?: number;
}

/** Where a run stands, from its record alone (pure, so `status` and its tests agree). */
export function runStatus(run: Run, now: Date = new Date()): RunStatus {
  const done = settled(run.counts);
  if (run.watch) {
    // No scan, nothing to wait for: each upload is one job, decided as it comes.
    const today = now.toISOString().slice(0, 10);
    return {
      state: run.runId.endsWith(today) ? 'watching' : 'ended',
      settled: done,
      remaining: 0,
      fraction: 1,
    };
  }
  const remaining = Math.max(0, run.discovered - done);
  const state: RunState = run.scanFailed
    ? 'failed'
    : !run.scanComplete
      ? 'scanning'
      : remaining === 0
        ? 'done'
        : 'running';
  const started = Date.parse(run.startedAt);
  const last = run.lastProgressAt ? Date.parse(run.lastProgressAt) : undefined;
  const elapsed = ((state === 'done' ? (last ?? now.getTime()) : now.getTime()) - started) / 1000;
  const ratePerSecond = done > 0 && elapsed > 0 ? done / elapsed : undefined;
  return {
    state,
    settled: done,
    remaining,
    fraction: run.discovered > 0 ? done / run.discovered : state === 'done' ? 1 : 0,
    ratePerSecond,
    etaSeconds: state === 'running' && ratePerSecond ? remaining / ratePerSecond : undefined,
  };
}
