import { InjectedCrashError } from './errors.js';

/** Named points in the encrypt path where a crash can be injected to prove recovery. */
export const FAULT_POINTS = [
  'after-claim',
  'after-data-key',
  'after-s3-write',
  'before-ledger-finish',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/**
 * Fault injection that production code can carry: with no points armed (the default), `check` does
 * nothing. Tests and the soak arm points with a probability each.
 */
export class Faults {
  constructor(
    private readonly armed: Partial<Record<FaultPoint, number>> = {},
    private readonly random: () => number = Math.random,
  ) {}

  static none(): Faults {
    return new Faults();
  }

  check(point: FaultPoint): void {
    const rate = this.armed[point];
    if (rate !== undefined && rate > 0 && this.random() < rate) throw new InjectedCrashError(point);
  }
}
