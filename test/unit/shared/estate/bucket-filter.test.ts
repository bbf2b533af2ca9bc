import { describe, expect, it } from 'vitest';
import type { BucketControls } from '../../../../shared/estate/bucket-controls.js';
import {
  type BucketFilter,
  globToRegExp,
  nameMatches,
  parseTagFilter,
  tagsMatch,
} from '../../../../shared/estate/bucket-filter.js';
import { controlGaps } from '../../../../shared/estate/control-gaps.js';

describe('bucket filters', () => {
  it('globs match the whole name; dots and other characters are literal', () => {
    expect(globToRegExp('logs-*').test('logs-2026')).toBe(true);
    expect(globToRegExp('logs-*').test('my-logs-2026')).toBe(false);
    expect(globToRegExp('a.?').test('a.b')).toBe(true);
    expect(globToRegExp('a.?').test('axb')).toBe(false);
    expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true);
  });

  it('every name filter must hold', () => {
    const filter: BucketFilter = { prefix: 'prod-', pattern: '*-data', tags: [] };
    expect(nameMatches(filter, 'prod-x-data')).toBe(true);
    expect(nameMatches(filter, 'dev-x-data')).toBe(false);
    expect(nameMatches(filter, 'prod-x-logs')).toBe(false);
  });

  it('tags: KEY=VALUE needs that value, KEY alone any value; all must match', () => {
    expect(parseTagFilter('team=blue=green')).toEqual({ key: 'team', value: 'blue=green' });
    expect(parseTagFilter('owner')).toEqual({ key: 'owner' });
    const filter: BucketFilter = { tags: [parseTagFilter('team=blue'), parseTagFilter('owner')] };
    expect(tagsMatch(filter, { team: 'blue', owner: '' })).toBe(true);
    expect(tagsMatch(filter, { team: 'red', owner: 'x' })).toBe(false);
    expect(tagsMatch(filter, { team: 'blue' })).toBe(false);
  });
});

describe('control gaps', () => {
  const KEY = 'arn:aws:kms:us-east-1:111122223333:key/k1';
  const controls = (over: Partial<BucketControls>): BucketControls => ({
    versioning: 'off',
    objectLock: 'off',
    uploadPolicy: { headerRequired: false, deniesSseC: false },
    unreadable: {},
    ...over,
  });

  it('sse-kms needs default encryption under the key, Bucket Key, and a policy that refuses other keys', () => {
    const policy = { mode: 'sse-kms' as const, keyArn: KEY };
    expect(controlGaps(controls({}), policy, undefined)).toEqual([
      'default-encryption',
      'bucket-key',
      'deny-policy',
    ]);
    const kms = { algorithm: 'aws:kms', kmsKeyId: 'alias/ours', bucketKeyEnabled: true };
    expect(controlGaps(controls({ defaultEncryption: kms }), policy, KEY)).toEqual(['deny-policy']);
    expect(
      controlGaps(
        controls({ defaultEncryption: kms }),
        policy,
        'arn:aws:kms:us-east-1:111122223333:key/other',
      ),
    ).toEqual(['default-encryption', 'deny-policy']);
    const enforced = { headerRequired: false, deniesSseC: false, keys: ['k1'] };
    expect(controlGaps(controls({ defaultEncryption: kms, uploadPolicy: enforced }), policy, KEY)).toEqual(
      [],
    );
  });

  it('sse-s3 is satisfied by any default encryption; envelope has no server-side controls', () => {
    const aes = { algorithm: 'AES256', bucketKeyEnabled: false };
    expect(controlGaps(controls({ defaultEncryption: aes }), { mode: 'sse-s3' }, undefined)).toEqual([
      'deny-policy',
    ]);
    expect(controlGaps(controls({}), { mode: 'envelope', keyArn: KEY }, undefined)).toEqual([]);
  });

  it('a control S3 would not show is not reported as missing', () => {
    const hidden = controls({
      unreadable: { defaultEncryption: 'access denied', bucketPolicy: 'access denied' },
    });
    expect(controlGaps(hidden, { mode: 'sse-kms', keyArn: KEY }, undefined)).toEqual([]);
  });
});
