import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../shared/errors.js';
import { earlierMovesOf, watchesDisagreeing, watchMovesFor } from '../../../../shared/watch/watch-moves.js';
import { notificationIdFor, type WatchPolicy } from '../../../../shared/watch/watch-policy.js';

const A = 'arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
const B = 'arn:aws:kms:us-east-1:111122223333:key/bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';
const C = 'arn:aws:kms:us-east-1:111122223333:key/cccccccc-cccc-cccc-cccc-cccccccccccc';

const watch = (bucket: string, prefix: string, keyArn: string | undefined, suffix = ''): WatchPolicy => ({
  bucket,
  prefix,
  suffix,
  mode: keyArn ? 'sse-kms' : 'sse-s3',
  ...(keyArn ? { keyArn } : {}),
  notificationId: notificationIdFor(prefix, suffix),
  createdAt: '2026-12-01T00:00:00.000Z',
});

describe('which watches a re-wrap from A to B carries along', () => {
  it('moves every watch naming A inside the re-wrapped bucket and prefix, whatever its suffix', () => {
    const watches = [
      watch('b', '', A),
      watch('b', 'logs/', A, '.gz'),
      watch('b', 'x/', C),
      watch('b', 'y/', undefined),
    ];
    const moves = watchMovesFor(watches, { bucket: 'b', prefix: '', fromKeyArn: A, toKeyArn: B });
    expect(moves.map((m) => [m.prefix, m.suffix, m.fromKeyArn, m.toKeyArn])).toEqual([
      ['', '', A, B],
      ['logs/', '.gz', A, B],
    ]);
  });

  it('leaves watches the re-wrap does not reach: another bucket, a disjoint prefix', () => {
    const watches = [watch('other', '', A), watch('b', 'logs/', A)];
    expect(watchMovesFor(watches, { bucket: 'b', prefix: 'data/', fromKeyArn: A, toKeyArn: B })).toEqual([]);
  });

  it('moves watches in every bucket when the re-wrap covers every bucket (an alias that moved)', () => {
    const watches = [watch('one', '', A), watch('two', 'p/', A), watch('three', '', C)];
    const moves = watchMovesFor(watches, { prefix: '', fromKeyArn: A, toKeyArn: B });
    expect(moves.map((m) => m.bucket)).toEqual(['one', 'two']);
  });

  it('moves nothing on a rotation: the watch already names the key', () => {
    expect(
      watchMovesFor([watch('b', '', A)], { bucket: 'b', prefix: '', fromKeyArn: A, toKeyArn: A }),
    ).toEqual([]);
  });

  it('refuses a re-wrap narrower than a watch naming A, saying both ways out', () => {
    const run = () =>
      watchMovesFor([watch('b', '', A, '.csv')], {
        bucket: 'b',
        prefix: 'logs/',
        fromKeyArn: A,
        toKeyArn: B,
      });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(
      `the watch on s3://b/*.csv (sse-kms) seals new uploads under ${A} and covers more than s3://b/logs/: re-wrap s3://b/ whole (the watch then moves to ${B} with it), or first point the watch where you want it (s3-seal setup --watch s3://b/ --mode sse-kms --key ${B} --suffix .csv)`,
    );
  });
});

describe('watches an earlier plan of the same move took along', () => {
  const movedBefore = (bucket: string, prefix: string, from: string, to: string): WatchPolicy => ({
    ...watch(bucket, prefix, to),
    movedFrom: from,
    movedBy: 'earlier-run',
    movedAt: '2026-12-02T00:00:00.000Z',
  });

  it('names the watches moved from A to B inside the scope, so their controls are carried again', () => {
    const watches = [
      movedBefore('b', 'logs/', A, B),
      movedBefore('b', 'x/', C, B), // moved to B from another key
      movedBefore('other', '', A, B), // another bucket
      watch('b', 'y/', B), // set up under B, never moved
      watch('b', 'z/', A), // still under A: this plan's own move
    ];
    const scope = { bucket: 'b', prefix: '', fromKeyArn: A, toKeyArn: B };
    expect(earlierMovesOf(watches, scope)).toEqual([
      {
        bucket: 'b',
        prefix: 'logs/',
        suffix: '',
        mode: 'sse-kms',
        notificationId: notificationIdFor('logs/', ''),
        fromKeyArn: A,
        toKeyArn: B,
      },
    ]);
    expect(earlierMovesOf(watches, { prefix: '', fromKeyArn: A, toKeyArn: B }).map((m) => m.bucket)).toEqual([
      'b',
      'other',
    ]);
    expect(earlierMovesOf(watches, { ...scope, prefix: 'data/' })).toEqual([]);
    expect(earlierMovesOf(watches, { ...scope, toKeyArn: A })).toEqual([]);
  });
});

describe('watches verify names', () => {
  it('names a watch over the verified prefix whose key or mode differs from the one asked', () => {
    const watches = [watch('b', '', A), watch('b', 'other/', B), watch('b', 'data/x/', B)];
    const lines = watchesDisagreeing(watches, 'data/', { keyArn: B });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `the watch on s3://b/* protects new uploads with sse-kms under ${A}, not sse-kms under ${B}`,
    );
    expect(watchesDisagreeing(watches, 'data/', { keyArn: A })).toHaveLength(1);
    expect(watchesDisagreeing(watches, 'data/', {})).toEqual([]);
    expect(watchesDisagreeing([watch('b', '', B)], '', { mode: 'envelope', keyArn: B })[0]).toContain(
      'protects new uploads with sse-kms',
    );
  });
});
