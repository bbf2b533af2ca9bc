import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEventsHandler } from '../../functions/events/handler.js';
import { EVENT_CHUNK_TTL_SECONDS, watchRunId } from '../../shared/events/event-chunk.js';
import { headObject } from '../../shared/s3/object-head.js';
import { notificationIdFor, WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import {
  countCommands,
  createKmsKey,
  readPlaintext,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';
import { objectCreatedEvent } from '../helpers/s3-events.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('own-writes');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

const created = (bucket: string, key: string, eTag: string, sequencer: string): SQSEvent =>
  objectCreatedEvent({ bucket, key, eTag, sequencer }, `${key}-${sequencer}`);

/** A backfilled bucket under a watch, and an events handler whose S3 and KMS requests are counted. */
async function watchedBackfill(mode: 'envelope' | 'sse-kms') {
  const bucket = uniqueBucket(`own-${mode}`);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: 'bytes' }));
  const policies = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable);
  await policies.put({
    bucket,
    prefix: '',
    suffix: '',
    mode,
    keyArn,
    notificationId: notificationIdFor('', ''),
    createdAt: new Date().toISOString(),
  });
  const { run } = await pipeline.backfill(bucket, mode, keyArn);
  expect(run.counts.encrypted).toBe(1);
  const s3 = pipeline.newS3Client();
  const kms = pipeline.newKmsClient();
  const s3Sent = countCommands(s3, /./);
  const kmsSent = countCommands(kms, /./);
  const handler = createEventsHandler(() => ({
    ...pipeline.encryptDeps({ s3, kms }),
    runs: pipeline.runs,
    policies,
  }));
  const head = (await headObject(pipeline.clients.s3, bucket, 'doc.txt'))!;
  return { bucket, handler, s3Sent, kmsSent, echoEtag: head.etag.replace(/"/g, '') };
}

describe('the echo of our own write on a watched bucket', () => {
  it('sse-kms: costs one HEAD and records nothing: no chunk, no watch run', async () => {
    const { bucket, handler, s3Sent, kmsSent, echoEtag } = await watchedBackfill('sse-kms');
    const runId = watchRunId(bucket, new Date());
    expect(
      (await handler(created(bucket, 'doc.txt', echoEtag, '02'), {} as never)).batchItemFailures,
    ).toEqual([]);
    expect(s3Sent).toEqual(['HeadObjectCommand']);
    expect(kmsSent).toEqual([]);
    expect(await pipeline.trail.chunksOf(runId)).toEqual([]);
    expect(await pipeline.runs.get(runId)).toBeUndefined();
  });

  it('envelope: costs one HEAD and one KMS Decrypt naming the watch key, and records nothing', async () => {
    const { bucket, handler, s3Sent, kmsSent, echoEtag } = await watchedBackfill('envelope');
    const runId = watchRunId(bucket, new Date());
    expect(
      (await handler(created(bucket, 'doc.txt', echoEtag, '02'), {} as never)).batchItemFailures,
    ).toEqual([]);
    expect(s3Sent).toEqual(['HeadObjectCommand']);
    expect(kmsSent).toEqual(['DecryptCommand']);
    expect(await pipeline.trail.chunksOf(runId)).toEqual([]);
    expect(await pipeline.runs.get(runId)).toBeUndefined();
  });
});

describe('a user’s upload on a watched bucket', () => {
  it('is one chunk of the watch run that expires after a day; its redelivery and echo record nothing more', async () => {
    const { bucket, handler, s3Sent } = await watchedBackfill('sse-kms');
    const runId = watchRunId(bucket, new Date());
    const put = await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: 'new user bytes' }),
    );
    const upload = created(bucket, 'doc.txt', put.ETag!.replace(/"/g, ''), '03');
    const before = Date.now();
    expect((await handler(upload, {} as never)).batchItemFailures).toEqual([]);
    // The check's HEAD, then the chunk's own HEAD before its write: one more than before, for
    // uploads that need a decision only.
    expect(s3Sent.filter((name) => name === 'HeadObjectCommand')).toHaveLength(2);
    expect((await headObject(pipeline.clients.s3, bucket, 'doc.txt'))?.kmsKeyArn).toBe(keyArn);
    expect((await readPlaintext(pipeline.clients, bucket, 'doc.txt')).toString()).toBe('new user bytes');

    const items = await pipeline.trail.chunksOf(runId);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ state: 'DONE', attempt: 1, records: 1 });
    const expiresAt = Number(items[0]!.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) + EVENT_CHUNK_TTL_SECONDS);
    expect(expiresAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + EVENT_CHUNK_TTL_SECONDS);
    const records = await pipeline.trail.records(runId);
    expect(records).toEqual([
      expect.objectContaining({ key: 'doc.txt', decision: 'encrypted', position: 0 }),
    ]);
    expect((await pipeline.runs.get(runId))?.counts.encrypted).toBe(1);

    // Redelivered (S3 delivers at least once) and then our write's echo: acknowledged, nothing counted.
    const echo = (await headObject(pipeline.clients.s3, bucket, 'doc.txt'))!.etag.replace(/"/g, '');
    expect((await handler(upload, {} as never)).batchItemFailures).toEqual([]);
    expect((await handler(created(bucket, 'doc.txt', echo, '04'), {} as never)).batchItemFailures).toEqual(
      [],
    );
    expect(await pipeline.trail.chunksOf(runId)).toEqual(items);
    expect((await pipeline.runs.get(runId))?.counts.encrypted).toBe(1);
  });
});
