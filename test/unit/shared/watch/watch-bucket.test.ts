import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { watchBucket } from '../../../../shared/watch/watch-bucket.js';
import type { WatchPolicy, WatchPolicyStore } from '../../../../shared/watch/watch-policy.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';

/** Fakes that note, in order, each request and store write a watch makes. */
function fakes(steps: string[]) {
  const client = (name: string, answer: (command: string) => unknown) =>
    ({
      send: async (command: object) => {
        const commandName = command.constructor.name;
        steps.push(`${name}.${commandName}`);
        return answer(commandName);
      },
    }) as never;
  return {
    kms: client('kms', () => ({
      KeyMetadata: {
        Arn: KEY,
        KeyState: 'Enabled',
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeySpec: 'SYMMETRIC_DEFAULT',
      },
    })) as KMSClient,
    s3: client('s3', () => ({})) as S3Client,
    sqs: client('sqs', () => ({
      Attributes: { QueueArn: 'arn:aws:sqs:us-east-1:111122223333:events' },
    })) as SQSClient,
    policies: {
      put: async (policy: WatchPolicy) => void steps.push(`store.put ${policy.keyArn}`),
    } as unknown as WatchPolicyStore,
    eventsQueueUrl: 'https://sqs/events',
  };
}

describe('watchBucket', () => {
  it('tells the resolved key before it stores the watch or touches the bucket notification', async () => {
    const steps: string[] = [];
    const policy = await watchBucket(
      fakes(steps),
      { bucket: 'bkt', prefix: '', suffix: '', mode: 'sse-kms', key: 'alias/records', otherKmsKeys: 'leave' },
      (resolved) => {
        steps.push(`said ${resolved.mode} ${resolved.keyArn} ${resolved.otherKmsKeys}`);
      },
    );
    expect(policy).toMatchObject({ keyArn: KEY, otherKmsKeys: 'leave' });
    const said = steps.indexOf(`said sse-kms ${KEY} leave`);
    expect(said).toBeGreaterThan(-1);
    expect(said).toBeLessThan(steps.indexOf(`store.put ${KEY}`));
    expect(steps.slice(said + 1).every((step) => !step.startsWith('kms.'))).toBe(true);
    expect(steps.findIndex((s) => s.startsWith('s3.PutBucketNotification'))).toBeGreaterThan(said);
  });

  it('waits for what it tells before storing: a failure there (a control setup cannot read) stores nothing', async () => {
    const steps: string[] = [];
    await expect(
      watchBucket(
        fakes(steps),
        { bucket: 'bkt', prefix: '', suffix: '', mode: 'sse-kms', key: KEY },
        async () => {
          await Promise.resolve();
          throw new Error('AccessDenied: GetBucketPolicy');
        },
      ),
    ).rejects.toThrow('AccessDenied: GetBucketPolicy');
    expect(
      steps.filter((s) => s.startsWith('store.') || s.startsWith('sqs.') || s.includes('Notification')),
    ).toEqual([]);
  });

  it('refuses --other-kms-keys outside sse-kms before saying or storing anything', async () => {
    const steps: string[] = [];
    await expect(
      watchBucket(
        fakes(steps),
        { bucket: 'bkt', prefix: '', suffix: '', mode: 'envelope', key: KEY, otherKmsKeys: 'leave' },
        () => {
          steps.push('said');
        },
      ),
    ).rejects.toThrow('--other-kms-keys is used only with --mode sse-kms');
    expect(steps.filter((s) => s === 'said' || s.startsWith('store.'))).toEqual([]);
  });
});
