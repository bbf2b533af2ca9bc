import type { Run } from '../shared/runs/run-store.js';
import { describeWatchMove } from '../shared/watch/watch-moves.js';

/**
 * What a run did about keys beyond its counts (docs/architecture.md, "Compliance" and "Live
 * enforcement"): objects re-keyed onto the policy key, or left, by source key, one line each, and
 * the watches a re-wrap moved. For the run summary and `status`.
 */
export function keyMoveLines(run: Run, indent = '  '): string[] {
  const byKey = (counts: Record<string, number> | undefined, what: string) =>
    Object.entries(counts ?? {})
      .sort(([, a], [, b]) => b - a)
      .map(([keyArn, n]) => `${indent}${what} ${keyArn}: ${n}`);
  return [
    ...byKey(run.counts.rekeyedFrom, 're-keyed from'),
    ...byKey(run.counts.leftUnder, 'left under'),
    ...(run.watchesMoved ?? []).map((move) => `${indent}${describeWatchMove(move)}`),
  ];
}
