import { describe, expect, it } from 'vitest';
import { DeadlineReachedError, estimateWorkMs, JobDeadline } from '../../../../shared/lifecycle/deadline.js';

const MiB = 1024 * 1024;

describe('estimateWorkMs', () => {
  it('charges bytes through the function four times the time of a server-side copy', () => {
    expect(estimateWorkMs(320 * MiB, 'stream')).toBe(11_000);
    expect(estimateWorkMs(320 * MiB, 'copy')).toBe(3_500);
    expect(estimateWorkMs(undefined, 'copy')).toBe(1_000);
  });
});

describe('JobDeadline', () => {
  const options = { marginMs: 15_000, functionTimeoutMs: 300_000 };

  it('refuses work that does not fit before the deadline less the margin', () => {
    const deadline = new JobDeadline(() => 40_000, options);
    expect(() => deadline.assertCanFinish(20_000, 'copy of k')).not.toThrow();
    expect(() => deadline.assertCanFinish(30_000, 'copy of k')).toThrow(DeadlineReachedError);
    expect(() => deadline.assertCanFinish(30_000, 'copy of k')).toThrow(/needs ~30s, 25s left/);
  });

  it('does not refuse work longer than any invocation: a fresh one could not do better', () => {
    const deadline = new JobDeadline(() => 1_000, options);
    expect(() => deadline.assertCanFinish(290_000, 'copy of k')).not.toThrow();
  });

  it('reads the time left from the Lambda context at each check', () => {
    let left = 100_000;
    const deadline = JobDeadline.fromContext({ getRemainingTimeInMillis: () => left }, options);
    expect(() => deadline.assertCanFinish(50_000, 'k')).not.toThrow();
    left = 20_000;
    expect(() => deadline.assertCanFinish(50_000, 'k')).toThrow(DeadlineReachedError);
  });
});
