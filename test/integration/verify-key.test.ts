import { CreateBucketCommand, DeleteBucketEncryptionCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

let bucket: string;
let key: string;
let otherKey: string;

/** The keys `verify` reported as not compliant. */
const reported = (stdout: string) =>
  [...stdout.matchAll(/^NOT COMPLIANT {2}s3:\/\/[^/]+\/(\S+) {2}(.*)$/gm)].map((m) => m[1]).sort();

beforeAll(async () => {
  const pipeline = await startPipeline('verify-key');
  const s3 = pipeline.clients.s3;
  [key, otherKey] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
  bucket = uniqueBucket('verify-key');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // No default encryption, so a plain PUT stores a plaintext object, as before 2023.
  await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket }));
  const put = (Key: string, sse: Partial<PutObjectCommand['input']> = {}) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key, ...sse }));
  await put('good/sse-kms', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key });
  await put('bad/sse-kms-other', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: otherKey });
  await put('bad/sse-s3', { ServerSideEncryption: 'AES256' });
  await put('bad/plain');
  // Envelope objects written by the pipeline itself, one under each key.
  await put('good/envelope');
  await put('bad/envelope-other');
  expect((await pipeline.backfill(bucket, 'envelope', key, 'good/envelope')).run.counts.encrypted).toBe(1);
  expect(
    (await pipeline.backfill(bucket, 'envelope', otherKey, 'bad/envelope-other')).run.counts.encrypted,
  ).toBe(1);
});

describe('verify --key K without --mode', () => {
  it('passes only objects under K: SSE-KMS with its ARN, or an envelope whose data key unwraps under K', () => {
    const out = runCli(['verify', `s3://${bucket}`, '--key', key]);
    expect(out.status, out.stderr).toBe(1);
    expect(reported(out.stdout)).toEqual([
      'bad/envelope-other',
      'bad/plain',
      'bad/sse-kms-other',
      'bad/sse-s3',
    ]);
    expect(out.stdout).toContain(`bad/sse-kms-other  not protected under ${key} (aws:kms under ${otherKey})`);
    expect(out.stdout).toContain(
      `bad/envelope-other  S3EC v3 data key is wrapped under ${otherKey}, not ${key}`,
    );
    expect(out.stdout).toContain('verified 6 objects');
    expect(out.stdout).toContain('2 compliant, 4 not');
  });

  it('exits 0 where everything is under K', () => {
    const out = runCli(['verify', `s3://${bucket}/good/`, '--key', key]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toContain('verified 2 objects');
  });

  it('without --key, any protection still counts', () => {
    const out = runCli(['verify', `s3://${bucket}`]);
    expect(reported(out.stdout)).toEqual(['bad/plain']);
  });

  it('refuses --key with --mode sse-s3, whose key S3 manages', () => {
    const out = runCli(['verify', `s3://${bucket}`, '--mode', 'sse-s3', '--key', key]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('--key is not used with --mode sse-s3');
  });
});
