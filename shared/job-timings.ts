/**
 * Opt-in collection of per-job durations, for benchmarks. Off by default: production handlers
 * record nothing and keep no state here.
 */
let collected: number[] | undefined;

export function collectJobTimings(): void {
  collected = [];
}

export function recordJobDuration(ms: number): void {
  collected?.push(ms);
}

/** The durations recorded since collection started (milliseconds, in completion order). */
export function jobTimings(): number[] {
  return collected ?? [];
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
