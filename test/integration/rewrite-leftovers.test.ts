import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  GetObjectAclCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('leftovers');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

async function emptyBucket(label: string) {
  const bucket = uniqueBucket(label);
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await pipeline.clients.s3
    .send(new DeleteBucketEncryptionCommand({ Bucket: bucket }))
    .catch(() => undefined);
  return bucket;
}

const runIdOf = (stderr: string) => /run (\S+):/.exec(stderr)?.[1] ?? '';

describe('what a rewrite leaves behind is said, per object and per run', () => {
  it('counts the plaintext versions a versioned bucket keeps, and verify --versions lists them', async () => {
    const bucket = await emptyBucket('versions');
    const s3 = pipeline.clients.s3;
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'report.csv', Body: 'v1' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'report.csv', Body: 'v2' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other.csv', Body: 'only' }));

    const encrypt = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--local',
      '--no-progress',
    ]);
    expect(encrypt.status, encrypt.stderr).toBe(0);
    // report.csv's two plaintext writes and other.csv's one are now noncurrent, all plaintext.
    expect(encrypt.stdout).toMatch(/plaintext versions left\s+3 of 3 noncurrent versions/);
    expect(encrypt.stdout).toMatch(/verify s3:\/\/\S+ --versions/);

    const verify = runCli(['verify', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyArn]);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/plaintext versions left\s+3 of 3/);
    const listed = runCli(['verify', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyArn, '--versions']);
    expect(listed.status).toBe(1);
    expect(listed.stdout.match(/^PLAINTEXT VERSION {2}s3:\/\/\S+\/report\.csv {2}version /gm)).toHaveLength(
      2,
    );
    expect(listed.stdout.match(/^PLAINTEXT VERSION {2}s3:\/\/\S+\/other\.csv /gm)).toHaveLength(1);
  });

  it('says per object when ACL grants are not carried, and --keep-acl re-applies them', async () => {
    const bucket = await emptyBucket('acl');
    const s3 = pipeline.clients.s3;
    await s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket: bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] },
      }),
    );
    for (const key of ['public.txt', 'shared.txt'])
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key, ACL: 'public-read' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'private.txt', Body: 'p' }));
    const allUsersRead = async (key: string) =>
      ((await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }))).Grants ?? []).some(
        (g) => g.Grantee?.URI?.endsWith('/AllUsers') && g.Permission === 'READ',
      );
    expect(await allUsersRead('public.txt')).toBe(true);

    const dropped = runCli([
      'encrypt',
      `s3://${bucket}/public.txt`,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--local',
      '--no-progress',
    ]);
    expect(dropped.status, dropped.stderr).toBe(0);
    expect(dropped.stdout).toMatch(/warning: acl-not-carried\s+1/);
    const records = await recordsOfRun(pipeline, runIdOf(dropped.stderr));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      key: 'public.txt',
      decision: 'encrypted',
      warnings: ['acl-not-carried'],
    });

    const kept = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--keep-acl',
      '--local',
      '--no-progress',
    ]);
    expect(kept.status, kept.stderr).toBe(0);
    expect(kept.stdout).not.toMatch(/acl-not-carried/);
    expect(await allUsersRead('shared.txt')).toBe(true);
    expect(await allUsersRead('private.txt')).toBe(false);
  });
});
