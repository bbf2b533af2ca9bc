import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import type { PolicyDocument } from '../../shared/estate/upload-policy.js';
import { headObject } from '../../shared/s3/object-head.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * A re-wrap from A to B that moves an sse-kms watch carries the write-time controls `setup --watch`
 * set along (docs/architecture.md, "Live enforcement"): left under A, the deny statements would
 * refuse the re-wrap's own copies under B (on AWS; LocalStack does not evaluate bucket policies)
 * and the default would keep putting new uploads under A.
 */
let pipeline: Awaited<ReturnType<typeof startPipeline>>;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  pipeline = await startPipeline('wmc');
  [keyA, keyB] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
});

const USERS_OWN = (bucket: string) => ({
  Sid: 'UsersOwn',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::000000000000:root' },
  Action: 's3:GetObject',
  Resource: `arn:aws:s3:::${bucket}/*`,
});

describe('rewrap carries a watch’s write-time controls along', () => {
  it('moves the default encryption and s3-seal’s deny statements from A to B, keeping the user’s statement', async () => {
    const bucket = uniqueBucket('wmc');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await pipeline.clients.s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [USERS_OWN(bucket)] }),
      }),
    );
    const setup = runCli([
      'setup',
      '--watch',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      keyA,
      '--deny-unencrypted',
    ]);
    expect(setup.status, setup.stderr).toBe(0);
    // Uploads that name no encryption land under A by the default.
    for (let i = 0; i < 3; i++) {
      await pipeline.clients.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `o${i}`, Body: `body ${i}` }),
      );
    }

    const cli = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      keyA,
      '--to',
      keyB,
      '--scan',
      '--local',
      '--no-progress',
    ]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stderr).toContain(`watch s3://${bucket}/* (sse-kms) moved from ${keyA} to ${keyB}`);
    const lines = cli.stderr.split('\n');
    const announced = lines.findIndex((l) => l.startsWith('change  default-encryption'));
    expect(lines[announced]).toContain(
      `aws:kms under ${keyA}, Bucket Key on -> aws:kms under ${keyB}, Bucket Key on`,
    );
    expect(lines.findIndex((l) => l.startsWith('changed default-encryption'))).toBeGreaterThan(announced);
    expect(lines.some((l) => l.startsWith('changed bucket-policy'))).toBe(true);

    const rules = (await pipeline.clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))
      .ServerSideEncryptionConfiguration?.Rules;
    expect(rules).toEqual([
      {
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyB },
        BucketKeyEnabled: true,
      },
    ]);
    const policy = JSON.parse(
      (await pipeline.clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!,
    ) as PolicyDocument;
    expect(policy.Statement[0]).toEqual(USERS_OWN(bucket));
    const keyTests = policy.Statement.flatMap((s) =>
      Object.values(s.Condition?.StringNotEquals ?? {}).flatMap((v) => (Array.isArray(v) ? v : [v])),
    );
    expect(keyTests).toContain(keyB);
    expect(keyTests).not.toContain(keyA);
    expect(policy.Statement).toHaveLength(5);

    // The objects moved too, and the watch names B.
    for (const key of await listKeys(pipeline.clients.s3, bucket)) {
      expect((await headObject(pipeline.clients.s3, bucket, key))?.kmsKeyArn, key).toBe(keyB);
    }
    const watches = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable, 0);
    expect((await watches.forBucket(bucket)).map((w) => w.keyArn)).toEqual([keyB]);
  });
});
