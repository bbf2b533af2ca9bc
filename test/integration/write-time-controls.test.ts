import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EstatePlan } from '../../shared/estate/estate-plan.js';
import type { PolicyDocument } from '../../shared/estate/upload-policy.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * `setup --watch` in sse-kms / sse-s3 mode makes uploads compliant at write time: bucket default
 * encryption, and with --deny-unencrypted deny statements merged into the bucket policy. LocalStack
 * stores bucket policies but does not evaluate them on requests (without its IAM enforcement), so
 * what is tested is what S3 keeps, not that S3 refuses an upload (docs/estate.md).
 */
let pipeline: Awaited<ReturnType<typeof startPipeline>>;
let keyArn: string;

const USERS_OWN = (bucket: string) => ({
  Sid: 'UsersOwn',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::000000000000:root' },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${bucket}/*`,
});

async function newBucket(label: string, policy = false): Promise<string> {
  const bucket = uniqueBucket(label);
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await pipeline.clients.s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
  if (policy) {
    await pipeline.clients.s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [USERS_OWN(bucket)] }),
      }),
    );
  }
  return bucket;
}

const defaultEncryption = async (bucket: string) =>
  (await pipeline.clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))
    .ServerSideEncryptionConfiguration?.Rules;

const bucketPolicy = async (bucket: string) =>
  JSON.parse(
    (await pipeline.clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!,
  ) as PolicyDocument;

beforeAll(async () => {
  pipeline = await startPipeline('wtc');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

describe('setup --watch: enforcement at write time', () => {
  it('sse-kms: sets default encryption under the key with Bucket Key, printing the change before making it', async () => {
    const bucket = await newBucket('wtc-kms');
    const out = runCli(['setup', '--watch', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyArn]);
    expect(out.status, out.stderr).toBe(0);
    const lines = out.stdout.split('\n');
    const announced = lines.findIndex((l) => l.startsWith('change  default-encryption'));
    const made = lines.findIndex((l) => l.startsWith('changed default-encryption'));
    expect(announced).toBeGreaterThanOrEqual(0);
    expect(made).toBeGreaterThan(announced);
    expect(lines[announced]).toContain(`none -> aws:kms under ${keyArn}, Bucket Key on`);
    expect(await defaultEncryption(bucket)).toEqual([
      {
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
        BucketKeyEnabled: true,
      },
    ]);
    // No bucket policy is written without --deny-unencrypted.
    await expect(pipeline.clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).rejects.toThrow();
    const again = runCli(['setup', '--watch', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyArn]);
    expect(again.stdout).toContain(
      `write-time controls of s3://${bucket}: already in place, nothing changed`,
    );
  });

  it('sse-s3: sets AES256 default encryption', async () => {
    const bucket = await newBucket('wtc-s3');
    const out = runCli(['setup', '--watch', `s3://${bucket}`, '--mode', 'sse-s3']);
    expect(out.status, out.stderr).toBe(0);
    expect(await defaultEncryption(bucket)).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false },
    ]);
  });

  it('--deny-unencrypted merges the deny statements into the policy, keeping the user statement, once', async () => {
    const bucket = await newBucket('wtc-deny', true);
    const args = [
      'setup',
      '--watch',
      `s3://${bucket}/in/`,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--deny-unencrypted',
    ];
    const out = runCli(args);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(
      /change {2}bucket-policy {2}s3:\/\/\S+: 1 statements -> 1 of them kept, plus S3SealDeny/,
    );
    const policy = await bucketPolicy(bucket);
    expect(policy.Statement[0]).toEqual(USERS_OWN(bucket));
    const ours = policy.Statement.slice(1);
    expect(ours.map((s) => s.Sid?.replace(/[0-9a-f]{12}$/, ''))).toEqual([
      'S3SealDenySseC',
      'S3SealDenyOtherEncryption',
      'S3SealDenyOtherKmsKey',
      'S3SealDenyKmsWithoutKey',
    ]);
    for (const statement of ours) {
      expect(statement).toMatchObject({
        Effect: 'Deny',
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${bucket}/in/*`,
      });
    }
    expect(ours[2]?.Condition).toEqual({
      StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn },
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
    });
    // Idempotent: the second setup finds everything in place and writes nothing.
    const again = runCli(args);
    expect(again.stdout).toContain('already in place, nothing changed');
    expect(await bucketPolicy(bucket)).toEqual(policy);
    // plan --all-buckets now finds nothing lacking.
    const plan = runCli([
      'plan',
      '--all-buckets',
      '--bucket-prefix',
      bucket,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--json',
    ]);
    expect(plan.status, plan.stderr).toBe(0);
    const rows = (JSON.parse(plan.stdout) as EstatePlan).buckets;
    expect(rows.map((r) => [r.bucket, r.lacks])).toEqual([[bucket, []]]);
  });

  it('with --no-default-encryption, leaves the default as it is and still merges the deny statements', async () => {
    const bucket = await newBucket('wtc-nodef');
    const out = runCli([
      'setup',
      '--watch',
      `s3://${bucket}`,
      '--mode',
      'sse-s3',
      '--no-default-encryption',
      '--deny-unencrypted',
    ]);
    expect(out.status, out.stderr).toBe(0);
    // Left as it was: none (LocalStack answers an empty configuration where AWS would say SSE-S3).
    expect(await defaultEncryption(bucket).catch(() => undefined)).toBeUndefined();
    const sids = (await bucketPolicy(bucket)).Statement.map((s) => s.Sid?.replace(/[0-9a-f]{12}$/, ''));
    expect(sids).toEqual(['S3SealDenySseC']);
  });

  it.each([
    [
      ['--mode', 'envelope', '--deny-unencrypted'],
      '--deny-unencrypted and --no-default-encryption are for --mode sse-kms and sse-s3',
    ],
    [
      ['--mode', 'envelope', '--no-default-encryption'],
      '--deny-unencrypted and --no-default-encryption are for --mode sse-kms and sse-s3',
    ],
  ])('refuses %j before changing anything', async (extra, message) => {
    const bucket = await newBucket('wtc-refused');
    const out = runCli(['setup', '--watch', `s3://${bucket}`, '--key', keyArn, ...extra]);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain(message);
    const notifications = await pipeline.clients.s3.send(
      new GetBucketNotificationConfigurationCommand({ Bucket: bucket }),
    );
    expect(notifications.QueueConfigurations ?? []).toEqual([]);
  });

  it('refuses --deny-unencrypted without --watch', () => {
    const out = runCli(['setup', '--deny-unencrypted']);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('--deny-unencrypted and --no-default-encryption are used only with --watch');
  });
});
