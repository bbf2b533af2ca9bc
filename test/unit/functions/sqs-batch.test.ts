import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../../functions/sqs-batch.js';
import { LeaseHeldError, RetryableError } from '../../../shared/errors.js';
import { DeadlineReachedError } from '../../../shared/lifecycle/deadline.js';

describe('retryDelaySeconds', () => {
  it('backs off exponentially by receive count, capped at 15 minutes', () => {
    const error = new RetryableError('throttled');
    expect([1, 2, 3, 4, 9, 10, 20].map((n) => retryDelaySeconds(error, n))).toEqual([
      2, 4, 8, 16, 512, 900, 900,
    ]);
  });

  it('never waits longer than a held lease has left', () => {
    expect(retryDelaySeconds(new LeaseHeldError('held', 3), 5)).toBe(4);
    expect(retryDelaySeconds(new LeaseHeldError('held', 800), 2)).toBe(4);
  });

  it('sends a record not started for the deadline straight back, to a fresh invocation', () => {
    expect(retryDelaySeconds(new DeadlineReachedError('not started'), 7)).toBe(0);
  });

  it('spans more than the 15-minute lease within ten receives', () => {
    const total = Array.from({ length: 9 }, (_, i) =>
      retryDelaySeconds(new RetryableError('x'), i + 1),
    ).reduce((a, b) => a + b);
    expect(total).toBeGreaterThan(900);
  });
});
