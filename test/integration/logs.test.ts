import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { parseObjectMetadata, wrappedKeyName } from '../../shared/envelope/format.js';
import { deriveV3Keys } from '../../shared/envelope/key-commitment.js';
import { decryptDataKey } from '../../shared/kms/key-service.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let output: string;

beforeAll(async () => {
  pipeline = await startPipeline('logs');
  const key = await createKmsKey(pipeline.clients.kms);
  bucket = uniqueBucket('logs');
  await seedBucket(pipeline.clients.s3, bucket, { objects: 10 });
  // The most talkative level, as an operator debugging a run would set it.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  const run = runCli([
    'encrypt',
    `s3://${bucket}`,
    '--mode',
    'envelope',
    '--key',
    key,
    '--local',
    '--no-progress',
  ]);
  delete process.env.POWERTOOLS_LOG_LEVEL;
  expect(run.status, run.stderr).toBe(0);
  output = run.stdout + run.stderr;
});

describe('logs of a full envelope run', () => {
  it('are JSON lines carrying run id, job id and object for every object handled', () => {
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const jobs = lines.filter((line) => line.message === 'job done');
    expect(jobs).toHaveLength(10);
    for (const line of jobs) {
      expect(line).toMatchObject({
        level: 'INFO',
        bucket,
        runId: expect.any(String),
        jobId: expect.any(String),
      });
      expect(typeof line.key).toBe('string');
    }
  });

  it('contain no key material: no data key (base64 or hex), no wrapped key', async () => {
    const keys = await listKeys(pipeline.clients.s3, bucket);
    expect(keys).toHaveLength(10);
    for (const key of keys) {
      const head = (await headObject(pipeline.clients.s3, bucket, key))!;
      const envelope = parseObjectMetadata(head.metadata);
      // The test unwraps each data key itself, to know what must never appear.
      const dataKey = Buffer.from(
        (await decryptDataKey(pipeline.clients.kms, envelope.wrappedKey, envelope.encryptionContext))
          .plaintext,
      );
      expect(dataKey).toHaveLength(32);
      for (const secret of [
        dataKey.toString('base64'),
        dataKey.toString('base64url'),
        dataKey.toString('hex'),
        dataKey.toString('base64').slice(0, 16),
        head.metadata[wrappedKeyName(envelope.format)]!,
        ...(envelope.format === 'v3'
          ? [deriveV3Keys(dataKey, envelope.messageId).contentKey.toString('base64')]
          : []),
      ]) {
        expect(output.includes(secret), `${key}: ${secret.slice(0, 6)}… found in the logs`).toBe(false);
      }
      expect(output.toLowerCase().includes(dataKey.toString('hex').slice(0, 16))).toBe(false);
    }
  });
});
