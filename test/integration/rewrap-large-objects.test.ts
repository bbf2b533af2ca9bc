import { randomBytes } from 'node:crypto';
import {
  CopyObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { handler as rewrapHandler } from '../../functions/rewrap/handler.js';
import { handler as scanHandler } from '../../functions/scan/handler.js';
import { rewrapJobOf } from '../../shared/chunks/chunk-jobs.js';
import { chunkIdFor, type RewrapChunk } from '../../shared/chunks/chunk-message.js';
import { DynamoDbUploadLedger } from '../../shared/chunks/chunk-uploads.js';
import { largeRewrapChunk } from '../../shared/chunks/large-chunk.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import { manifestKey } from '../../shared/manifests/manifest-key.js';
import { manifestPages } from '../../shared/rewrap/manifest-plan.js';
import { sourceKeyReason } from '../../shared/rewrap/source-key-reason.js';
import { counterReason } from '../../shared/runs/run-counts.js';
import { headObject } from '../../shared/s3/object-head.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import {
  createKmsKey,
  describeObject,
  readPlaintext,
  sha256,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';
import { drain, lambdaContext, sqsEvent, waiting } from '../helpers/sqs-source.js';

const MiB = 1024 * 1024;
// Above 7 MiB is "large"; copies above 5 MiB go multipart in 5 MiB parts (startPipeline).
process.env.S3SEAL_LARGE_OBJECT_BYTES = String(7 * MiB);

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  pipeline = await startPipeline('rwlarge');
  [keyA, keyB] = await Promise.all([createKmsKey(pipeline.clients.kms), createKmsKey(pipeline.clients.kms)]);
});

const context = lambdaContext;
const drainQueue = (queueUrl: string) =>
  drain(pipeline.clients.sqs, queueUrl, { until: 'empty', waitSeconds: 1 });
const waitingOn = (queueUrl: string) => waiting(pipeline.clients.sqs, queueUrl);

/**
 * big.bin as a user rewrites it after the backfill, under A, 12 MiB: A's manifest still names it
 * with its old size, so the plan puts it in an ordinary chunk and only its HEAD shows it large.
 */
async function rewriteLargeUnderA(mode: 'envelope' | 'sse-kms', bucket: string, body: Buffer) {
  const { s3 } = pipeline.clients;
  if (mode === 'sse-kms') {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'big.bin',
        Body: body,
        ContentType: 'application/x-big',
        Metadata: { owner: 'team-a' },
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyA,
      }),
    );
  } else {
    // An application's own S3EC writer, then its content type set by a copy in place.
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'big.bin',
      body,
      keyArn: keyA,
      format: 'v3',
      metadata: { owner: 'team-a' },
    });
    const head = (await headObject(s3, bucket, 'big.bin'))!;
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'big.bin',
        CopySource: `${bucket}/big.bin`,
        MetadataDirective: 'REPLACE',
        Metadata: head.metadata,
        ContentType: 'application/x-big',
      }),
    );
  }
  await s3.send(
    new PutObjectTaggingCommand({
      Bucket: bucket,
      Key: 'big.bin',
      Tagging: { TagSet: [{ Key: 'tier', Value: 'gold' }] },
    }),
  );
}

async function rawDigest(bucket: string, key: string): Promise<string> {
  const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256(await got.Body!.transformToByteArray());
}

describe.each(['envelope', 'sse-kms'] as const)('a %s re-wrap of an object too large for Lambda', (mode) => {
  it('is handed from the rewrap handler to the large-object queue on its HEAD, and s3-seal worker re-wraps it', async () => {
    const big = randomBytes(12 * MiB);
    const bucket = uniqueBucket(`rwl-${mode === 'envelope' ? 'env' : 'kms'}`);
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'big.bin', Body: 'not big yet' }),
    );
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'small.txt', Body: 'small' }));
    // Protected under A by a local backfill: its run's close writes A's manifest (both objects small).
    expect((await pipeline.backfill(bucket, mode, keyA)).run.counts.encrypted).toBe(2);
    await rewriteLargeUnderA(mode, bucket, big);
    const before = await describeObject(pipeline.clients.s3, bucket, 'big.bin');
    const rawBefore = await rawDigest(bucket, 'big.bin');

    // The run is planned from A's manifests onto the rewrap queue; the test plays the event sources.
    const planned = runCli(['rewrap', `s3://${bucket}`, '--from', keyA, '--to', keyB]);
    expect(planned.status, planned.stderr).toBe(0);
    const runId = planned.stdout.trim();
    const { queues } = pipeline;
    for (let pages = await drainQueue(queues.scan); pages.length > 0; pages = await drainQueue(queues.scan)) {
      expect((await scanHandler(sqsEvent(pages, queues.scan), context)).batchItemFailures).toEqual([]);
    }
    const chunks = await drainQueue(queues.rewrap);
    const planChunks = chunks.map((m) => JSON.parse(m.Body!) as RewrapChunk);
    expect(planChunks.flatMap((c) => c.intents.map((i) => i.key)).sort()).toEqual(['big.bin', 'small.txt']);
    expect(planChunks.some((c) => c.large)).toBe(false);
    expect(await waitingOn(queues.large)).toBe(0);

    // The rewrap Lambda handler re-wraps the small object and hands the big one over on its HEAD,
    // before any KMS call or write; the hand-off records and counts nothing.
    expect((await rewrapHandler(sqsEvent(chunks, queues.rewrap), context)).batchItemFailures).toEqual([]);
    expect((await headObject(pipeline.clients.s3, bucket, 'big.bin'))!.etag).toBe(before.etag);
    if (mode === 'envelope') {
      const head = (await headObject(pipeline.clients.s3, bucket, 'big.bin'))!;
      expect(await checkDataKeyUnwraps(pipeline.clients.kms, head.metadata)).toBe(keyA);
    }
    expect(await waitingOn(queues.large)).toBe(1);
    const bigChunk = largeRewrapChunk(
      rewrapJobOf(planChunks.find((c) => c.intents.some((i) => i.key === 'big.bin'))!, { key: 'big.bin' }),
    );
    const bigRef = { runId, chunkId: chunkIdFor(runId, `large:${bucket}/big.bin`) };
    expect(bigChunk.chunkId).toBe(bigRef.chunkId);
    expect(await pipeline.chunks.get(bigRef)).toBeUndefined(); // not claimed yet
    expect((await recordsOfRun(pipeline, runId)).map((r) => [r.key, r.decision])).toEqual([
      ['small.txt', 'rewrapped'],
    ]);
    expect((await pipeline.runs.get(runId))!.counts.encrypted ?? 0).toBe(1);

    // A rewrap Lambda that receives the large chunk (a redelivered hand-off, a misrouted copy) hands
    // it on before any request: the worker then meets the chunk twice and counts it once.
    const again = { MessageId: 'marked', ReceiptHandle: 'r', Body: JSON.stringify(bigChunk) };
    expect((await rewrapHandler(sqsEvent([again], queues.rewrap), context)).batchItemFailures).toEqual([]);
    expect(await waitingOn(queues.large)).toBe(2);
    expect(await pipeline.chunks.get(bigRef)).toBeUndefined();

    // Only the worker serves the large-object queue: the real CLI, until its queues are idle.
    const worker = runCli(['worker', '--until-idle', '--idle-seconds', '2', '--concurrency', '2']);
    expect(worker.status, worker.stderr).toBe(0);
    expect(worker.stderr).toMatch(/large object s3:\/\/.*big\.bin: \d+ parts/);

    const after = await describeObject(pipeline.clients.s3, bucket, 'big.bin');
    if (mode === 'envelope') {
      const head = (await headObject(pipeline.clients.s3, bucket, 'big.bin'))!;
      expect(await checkDataKeyUnwraps(pipeline.clients.kms, head.metadata)).toBe(keyB);
      // Only the wrapped key changed: the ciphertext bytes are the same.
      expect(await rawDigest(bucket, 'big.bin')).toBe(rawBefore);
    } else {
      expect(after.kmsKeyArn).toBe(keyB);
    }
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'big.bin'))).toBe(sha256(big));
    expect(after.userMetadata).toEqual(before.userMetadata);
    expect(after.contentType).toBe('application/x-big');
    expect(after.tags).toEqual({ tier: 'gold' });

    // The multipart copy ran under the large chunk's claim, its upload tracked on the chunk item
    // and forgotten at the commit, and left no upload behind.
    expect(await pipeline.chunks.get(bigRef)).toMatchObject({
      state: 'DONE',
      attempt: 1,
      records: 1,
      keyArns: [keyB],
    });
    const uploadLedger = new DynamoDbUploadLedger(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    expect(await uploadLedger.recorded({ ...bigRef, key: 'big.bin' })).toBeUndefined();
    const uploads = await pipeline.clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toHaveLength(0);

    // Counted once, by the worker, under its source key, and audited once.
    const records = await recordsOfRun(pipeline, runId);
    expect(records.filter((r) => r.key === 'big.bin').map((r) => r.decision)).toEqual(['rewrapped']);
    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts.encrypted).toBe(2);
    expect(run.counts.compliant).toBe(0);
    expect(run.counts.reasons[counterReason(sourceKeyReason(keyA))]).toBe(2);
    // The run closed and B's manifest names both objects, big.bin with its current ETag.
    expect(run.closedAt).toBeDefined();
    const entries = [];
    for await (const page of manifestPages(
      pipeline.clients.s3,
      pipeline.config.auditLocation,
      manifestKey(pipeline.config.auditLocation, keyB, runId),
    ))
      entries.push(...page.entries);
    expect(entries.map((e) => e.key).sort()).toEqual(['big.bin', 'small.txt']);
    expect(entries.find((e) => e.key === 'big.bin')!.etag).toBe(after.etag);
  });
});
