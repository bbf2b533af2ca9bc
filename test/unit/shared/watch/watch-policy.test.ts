import { describe, expect, it } from 'vitest';
import { matchPolicy, notificationIdFor, type WatchPolicy } from '../../../../shared/watch/watch-policy.js';

const policy = (prefix: string, suffix = ''): WatchPolicy => ({
  bucket: 'b',
  prefix,
  suffix,
  mode: 'sse-s3',
  notificationId: notificationIdFor(prefix, suffix),
  createdAt: '',
});

describe('watch policies', () => {
  it('derives one stable notification id per prefix and suffix', () => {
    expect(notificationIdFor('a/', '')).toBe(notificationIdFor('a/', ''));
    expect(notificationIdFor('a/', '')).not.toBe(notificationIdFor('a/', '.csv'));
    expect(notificationIdFor('', '')).toMatch(/^s3-seal-[0-9a-f]{12}$/);
  });

  it('matches the longest prefix whose suffix also matches', () => {
    const policies = [policy(''), policy('data/'), policy('data/raw/', '.csv')];
    expect(matchPolicy(policies, 'data/raw/x.csv')?.prefix).toBe('data/raw/');
    expect(matchPolicy(policies, 'data/raw/x.json')?.prefix).toBe('data/');
    expect(matchPolicy(policies, 'other')?.prefix).toBe('');
    expect(matchPolicy([policy('data/')], 'other')).toBeUndefined();
  });
});
