import { randomBytes } from 'node:crypto';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { handler as rewrapHandler } from '../../functions/rewrap/handler.js';
import { handler as scanHandler } from '../../functions/scan/handler.js';
import { recordsOfRun } from '../../shared/audit/audit-records.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import type { RewrapJob } from '../../shared/jobs/messages.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
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

async function rawDigest(bucket: string, key: string): Promise<string> {
  const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256(await got.Body!.transformToByteArray());
}

describe.each(['envelope', 'sse-kms'] as const)('a %s re-wrap of an object too large for Lambda', (mode) => {
  it('is handed from the rewrap handler to the large-object queue, and s3-seal worker re-wraps it', async () => {
    const big = randomBytes(12 * MiB);
    const bucket = uniqueBucket(`rwl-${mode === 'envelope' ? 'env' : 'kms'}`);
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await pipeline.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'big.bin',
        Body: big,
        ContentType: 'application/x-big',
        Metadata: { owner: 'team-a' },
      }),
    );
    await pipeline.clients.s3.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: 'big.bin',
        Tagging: { TagSet: [{ Key: 'tier', Value: 'gold' }] },
      }),
    );
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'small.txt', Body: 'small' }));
    // Protected under A by a local backfill (its own large-object poller seals the big one).
    expect((await pipeline.backfill(bucket, mode, keyA)).run.counts.encrypted).toBe(2);
    const before = await describeObject(pipeline.clients.s3, bucket, 'big.bin');
    const rawBefore = await rawDigest(bucket, 'big.bin');

    // The run is planned from the wrap index onto the scan queue; the test plays the event sources.
    const planned = runCli(['rewrap', `s3://${bucket}`, '--from', keyA, '--to', keyB]);
    expect(planned.status, planned.stderr).toBe(0);
    const runId = planned.stdout.trim();
    const { queues } = pipeline;
    for (let pages = await drainQueue(queues.scan); pages.length > 0; pages = await drainQueue(queues.scan)) {
      expect((await scanHandler(sqsEvent(pages, queues.scan), context)).batchItemFailures).toEqual([]);
    }
    const jobs = await drainQueue(queues.rewrap);
    expect(jobs.map((m) => (JSON.parse(m.Body!) as RewrapJob).key).sort()).toEqual(['big.bin', 'small.txt']);

    // The rewrap Lambda handler re-wraps the small object and hands the big one over on its HEAD,
    // before any claim, KMS call or write.
    expect((await rewrapHandler(sqsEvent(jobs, queues.rewrap), context)).batchItemFailures).toEqual([]);
    expect((await headObject(pipeline.clients.s3, bucket, 'big.bin'))!.etag).toBe(before.etag);
    expect(await pipeline.ledger.get({ bucket, key: 'big.bin', operation: 'rewrap' })).toBeUndefined();
    expect(await waitingOn(queues.large)).toBe(1);
    expect((await pipeline.runs.get(runId))!.counts.encrypted ?? 0).toBe(1);

    // A rewrap Lambda that receives the job already marked large (a redelivery, a misrouted copy)
    // hands it back before any request: the worker then meets the job twice and counts it once.
    const bigJob = jobs.find((m) => (JSON.parse(m.Body!) as RewrapJob).key === 'big.bin')!;
    const marked: RewrapJob = { ...(JSON.parse(bigJob.Body!) as RewrapJob), large: true };
    const again = { MessageId: 'marked', ReceiptHandle: 'r', Body: JSON.stringify(marked) };
    expect((await rewrapHandler(sqsEvent([again], queues.rewrap), context)).batchItemFailures).toEqual([]);
    expect(await waitingOn(queues.large)).toBe(2);
    expect(await pipeline.ledger.get({ bucket, key: 'big.bin', operation: 'rewrap' })).toBeUndefined();

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

    // The multipart copy ran under the job's claim, tracked in the ledger, and left no upload behind.
    const item = (await pipeline.ledger.get({ bucket, key: 'big.bin', operation: 'rewrap' }))!;
    expect(item.state).toBe('DONE');
    expect(item.upload).toBeUndefined();
    expect(item.lastUpload?.how).toBe('completed');
    const uploads = await pipeline.clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toHaveLength(0);
    // The wrap index follows the object to B.
    const indexed = (await pipeline.ledger.get({ bucket, key: 'big.bin', operation: 'encrypt' }))!;
    expect(indexed.keyArn).toBe(keyB);

    // Counted once, by the worker, and audited once.
    const records = [];
    for await (const r of recordsOfRun(pipeline.clients.dynamo, pipeline.config.auditTable, runId)) {
      records.push(r);
    }
    expect(records.filter((r) => r.key === 'big.bin').map((r) => r.decision)).toEqual(['rewrapped']);
    expect((await pipeline.runs.get(runId))!.counts.encrypted).toBe(2);
  });
});
