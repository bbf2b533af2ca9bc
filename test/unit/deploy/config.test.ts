import { describe, expect, it } from 'vitest';
import { bucketKeys, parseDeployConfig } from '../../../deploy/config.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111';
const OLD_KEY = 'arn:aws:kms:us-east-1:111122223333:key/22222222-2222-4222-8222-222222222222';
const parse = (input: unknown, region = 'us-east-1') =>
  parseDeployConfig(input, { region, source: 'test.json' });
/** The ConfigError's message, for assertions on what it names. */
function problems(input: unknown, region?: string): string {
  try {
    parse(input, region);
  } catch (error) {
    expect((error as Error).name).toBe('ConfigError');
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('parseDeployConfig', () => {
  it('fills the defaults for rotation and concurrency', () => {
    const config = parse({ buckets: [{ name: 'my-bucket', mode: 'sse-kms', kmsKeyArn: KEY }] });
    expect(config.rotation).toEqual({ schedule: 'rate(1 day)', aliases: [] });
    expect(config.concurrency).toEqual({ scan: 5, encrypt: 20, events: 10, rewrap: 10 });
    expect(config.buckets[0]!.previousKmsKeyArns).toEqual([]);
  });

  it('keeps audit logs a year by default, and takes whole days from 1 to 100 years', () => {
    const bucket = { name: 'my-bucket', mode: 'sse-s3' };
    expect(parse({ buckets: [bucket] }).audit).toEqual({ retentionDays: 365 });
    expect(parse({ buckets: [bucket], audit: { retentionDays: 2555 } }).audit).toEqual({
      retentionDays: 2555,
    });
    expect(problems({ buckets: [bucket], audit: { retentionDays: 0 } })).toContain('audit.retentionDays');
    expect(problems({ buckets: [bucket], audit: { retentionDays: 1.5 } })).toContain('audit.retentionDays');
    expect(problems({ buckets: [bucket], audit: { retentionDays: 30, mode: 'governance' } })).toContain(
      'audit',
    );
  });

  it('names each bad field, all at once', () => {
    const message = problems({
      buckets: [
        { name: 'Bad_Bucket', mode: 'sse-c', kmsKeyArn: KEY },
        { name: 'ok-bucket', mode: 'envelope', kmsKeyArn: 'alias/my-key' },
      ],
      rotation: { schedule: 'rate(2 day)' },
    });
    expect(message).toContain('invalid deployment config test.json');
    expect(message).toContain('buckets[0].name: not a valid S3 bucket name');
    expect(message).toContain(
      'buckets[0].mode: unknown mode "sse-c" (expected one of envelope, sse-kms, sse-s3)',
    );
    expect(message).toContain('buckets[1].kmsKeyArn: not a KMS key ARN: "alias/my-key"');
    expect(message).toContain('rotation.schedule: "rate(2 day)": use rate(1 day), rate(N days)');
  });

  it('requires buckets, a bucket name, and a key for KMS modes', () => {
    expect(problems({})).toContain('buckets: required');
    expect(problems({ buckets: [] })).toContain('buckets');
    expect(problems({ buckets: [{ mode: 'sse-kms', kmsKeyArn: KEY }] })).toContain(
      'buckets[0].name: required',
    );
    expect(problems({ buckets: [{ name: 'my-bucket', mode: 'envelope' }] })).toContain(
      'buckets[0].kmsKeyArn: mode envelope needs a key ARN',
    );
  });

  it('refuses a key for sse-s3, unknown fields, duplicate buckets and keys from another region', () => {
    expect(problems({ buckets: [{ name: 'b-1', mode: 'sse-s3', kmsKeyArn: KEY }] })).toContain(
      'buckets[0].kmsKeyArn: mode sse-s3 uses no KMS key',
    );
    expect(problems({ buckets: [{ name: 'b-1', mode: 'sse-s3', keyArn: KEY }] })).toMatch(
      /buckets\[0\].*keyArn/,
    );
    expect(
      problems({
        buckets: [
          { name: 'b-1', mode: 'sse-s3' },
          { name: 'b-1', mode: 'sse-s3' },
        ],
      }),
    ).toContain('buckets[1].name: b-1 is listed twice');
    expect(
      problems(
        { buckets: [{ name: 'b-1', mode: 'sse-kms', kmsKeyArn: KEY, previousKmsKeyArns: [OLD_KEY] }] },
        'eu-west-1',
      ),
    ).toContain('buckets[0].previousKmsKeyArns[0]: key is in us-east-1 but the stack deploys to eu-west-1');
  });

  it('accepts rate and six-field cron schedules only', () => {
    const withSchedule = (schedule: string) => ({
      buckets: [{ name: 'b-1', mode: 'sse-s3' }],
      rotation: { schedule },
    });
    expect(parse(withSchedule('rate(6 hours)')).rotation.schedule).toBe('rate(6 hours)');
    expect(parse(withSchedule('cron(0 3 * * ? *)')).rotation.schedule).toBe('cron(0 3 * * ? *)');
    expect(problems(withSchedule('every day'))).toContain('rotation.schedule');
    expect(problems(withSchedule('rate(0 days)'))).toContain('rotation.schedule');
  });
});

describe('bucketKeys', () => {
  it('lists the current key first, then previous ones, without duplicates', () => {
    const config = parse({
      buckets: [{ name: 'b-1', mode: 'sse-kms', kmsKeyArn: KEY, previousKmsKeyArns: [OLD_KEY, KEY] }],
    });
    expect(bucketKeys(config.buckets[0]!)).toEqual([KEY, OLD_KEY]);
  });
});
