import { randomBytes, randomUUID } from 'node:crypto';
import { ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { handler as encryptHandler } from '../../functions/encrypt/handler.js';
import { handler as scanHandler } from '../../functions/scan/handler.js';
import { recordsOfRun } from '../../shared/audit/audit-records.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { encryptObject } from '../../shared/jobs/encrypt-object.js';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { DynamoDbUploadLedger } from '../../shared/ledger/upload-state.js';
import { LargeObjectProgress } from '../../shared/runs/large-object-progress.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { listUploadedParts } from '../../shared/s3/multipart-tracker.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, readPlaintext, sha256, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { drain, lambdaContext, sqsEvent, waiting } from '../helpers/sqs-source.js';

const MiB = 1024 * 1024;
// Small thresholds keep the objects small: above 7 MiB is "large", parts are 5 MiB (startPipeline).
process.env.S3SEAL_LARGE_OBJECT_BYTES = String(7 * MiB);

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
let uploads: DynamoDbUploadLedger;

beforeAll(async () => {
  pipeline = await startPipeline('large');
  keyArn = await createKmsKey(pipeline.clients.kms);
  uploads = new DynamoDbUploadLedger(pipeline.clients.dynamo, pipeline.config.ledgerTable);
});

const context = lambdaContext;
const drainQueue = (queueUrl: string) => drain(pipeline.clients.sqs, queueUrl);
const waitingOn = (queueUrl: string) => waiting(pipeline.clients.sqs, queueUrl);

async function uploadsLeft(bucket: string): Promise<number> {
  const out = await pipeline.clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).length;
}

async function bucketWith(label: string, objects: Record<string, Buffer>) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  for (const [key, body] of Object.entries(objects)) {
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  return bucket;
}

describe('the large-object route', () => {
  it('sends an object over the threshold to the large-object queue, and s3-seal worker completes it', async () => {
    const big = randomBytes(12 * MiB);
    const small = Buffer.from('a small object');
    const bucket = await bucketWith('route', { 'data/big.bin': big, 'data/small.txt': small });
    const bigEtag = (await headObject(pipeline.clients.s3, bucket, 'data/big.bin'))!.etag;
    const { queues } = pipeline;
    const run = await startRun(
      { ...pipeline.clients, runs: pipeline.runs, queues },
      {
        bucket,
        prefix: '',
        mode: 'envelope',
        key: keyArn,
        // One chain: the first page lists the bucket whole, so this one scan message queues both jobs.
        scanChains: 1,
      },
    );

    // The scan page knows sizes: the big object goes to the large-object queue at enqueue.
    const pages = await drainQueue(queues.scan);
    expect(pages).toHaveLength(1);
    expect((await scanHandler(sqsEvent(pages, queues.scan), context)).batchItemFailures).toEqual([]);
    const jobs = await drainQueue(queues.encrypt);
    expect(jobs.map((m) => (JSON.parse(m.Body!) as EncryptJob).key)).toEqual(['data/small.txt']);
    expect(await waitingOn(queues.large)).toBe(1);

    // The encrypt Lambda handler does the small job; a job for the big one that reached it without
    // a size (an old message, a stale listing) is handed off on its HEAD, untouched.
    const { size: _listed, ...smallJob } = JSON.parse(jobs[0]!.Body!) as EncryptJob;
    const sizeless: EncryptJob = { ...smallJob, key: 'data/big.bin' };
    const handed = await encryptHandler(
      sqsEvent(
        [...jobs, { MessageId: 'sizeless', ReceiptHandle: 'r', Body: JSON.stringify(sizeless) }],
        queues.encrypt,
      ),
      context,
    );
    expect(handed.batchItemFailures).toEqual([]);
    expect((await headObject(pipeline.clients.s3, bucket, 'data/big.bin'))!.etag).toBe(bigEtag);
    expect(await pipeline.ledger.get({ bucket, key: 'data/big.bin', operation: 'encrypt' })).toBeUndefined();
    expect(await waitingOn(queues.large)).toBe(2);

    // Only the worker serves the large-object queue: the real CLI, until its queues are idle.
    const worker = runCli(['worker', '--until-idle', '--idle-seconds', '2', '--concurrency', '2']);
    expect(worker.status, worker.stderr).toBe(0);
    expect(worker.stderr).toMatch(/large object s3:\/\/.*data\/big\.bin: \d+ parts/);

    const head = (await headObject(pipeline.clients.s3, bucket, 'data/big.bin'))!;
    expect(envelopeFormatOf(head.metadata)).toBe('v3');
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'data/big.bin'))).toBe(sha256(big));
    const item = (await pipeline.ledger.get({ bucket, key: 'data/big.bin', operation: 'encrypt' }))!;
    expect(item.state).toBe('DONE');
    expect(item.upload).toBeUndefined();
    expect(item.lastUpload?.how).toBe('completed');
    const records = [];
    for await (const r of recordsOfRun(pipeline.clients.dynamo, pipeline.config.auditTable, run.runId)) {
      records.push(r);
    }
    expect(records.filter((r) => r.key === 'data/big.bin').map((r) => r.decision)).toEqual(['encrypted']);
    // The worker reported its progress beside the run, for `s3-seal status`.
    const progress = new LargeObjectProgress(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    const [entry] = await progress.list(run.runId);
    expect(entry).toMatchObject({ bucket, key: 'data/big.bin' });
    expect(entry!.totalBytes).toBeGreaterThan(big.length);
    expect(entry!.bytesDone).toBe(entry!.totalBytes);
    const finished = (await pipeline.runs.get(run.runId))!;
    expect(finished.counts.encrypted).toBe(2);
    expect(await uploadsLeft(bucket)).toBe(0);
  });
});

/**
 * An S3 client whose requests of `command` (after the first `allowed` of them) never answer, as
 * when the process dies mid-upload: the attempt stops there, its upload left open.
 */
function dyingAfter(s3: S3Client, command: string, allowed: number) {
  let seen = 0;
  s3.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === command && ++seen > allowed) return new Promise<never>(() => undefined);
      return next(args);
    },
    { step: 'initialize', name: `dying-${command}` },
  );
  return s3;
}

function countCalls(s3: S3Client, command: string) {
  const calls = { count: 0 };
  s3.middlewareStack.add(
    (next, ctx) => async (args) => {
      if (ctx.commandName === command) calls.count++;
      return next(args);
    },
    { step: 'initialize', name: `count-${command}` },
  );
  return calls;
}

async function untilUploadRecorded(bucket: string, key: string) {
  for (let i = 0; i < 100; i++) {
    const recorded = await uploads.recorded({ bucket, key, operation: 'encrypt' });
    if (recorded) return recorded;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the attempt never recorded its upload');
}

async function untilParts(bucket: string, key: string, uploadId: string, parts: number) {
  for (let i = 0; i < 100; i++) {
    if ((await listUploadedParts(pipeline.clients.s3, { bucket, key }, uploadId))?.size === parts) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the upload never held ${parts} parts`);
}

const afterTheLease = () => new Date(Date.now() + (pipeline.config.leaseSeconds + 60) * 1000);

describe.each(['envelope', 'sse-kms'] as const)('a crashed %s attempt of a large object', (mode) => {
  it('leaves its upload id in the ledger; the take-over resumes or aborts it and leaves no upload', async () => {
    const body = randomBytes(12 * MiB);
    const bucket = await bucketWith(`crash-${mode}`, { 'big.bin': body });
    const job: EncryptJob = {
      type: 'encrypt',
      runId: newRunId(),
      jobId: `job-${randomUUID()}`,
      bucket,
      key: 'big.bin',
      mode,
      keyArn,
      large: true,
    };
    const serves = { largeObjects: { serves: true as const }, uploads };
    // The first attempt dies at its first UploadPart (envelope: the upload is recorded before any
    // part is sent), or after two of its three UploadPartCopy (copy).
    const partCommand = mode === 'envelope' ? 'UploadPartCommand' : 'UploadPartCopyCommand';
    const dying = dyingAfter(pipeline.newS3Client(), partCommand, mode === 'envelope' ? 0 : 2);
    void encryptObject(job, pipeline.encryptDeps({ ...serves, s3: dying })).catch(() => undefined);
    const left = await untilUploadRecorded(bucket, 'big.bin');
    expect(left.kind).toBe(mode === 'envelope' ? 'envelope' : 'copy');
    expect(await uploadsLeft(bucket)).toBe(1);
    if (mode === 'sse-kms') await untilParts(bucket, 'big.bin', left.uploadId, 2);

    // After the lease, another attempt takes the claim over.
    const s3 = pipeline.newS3Client();
    const copies = countCalls(s3, 'UploadPartCopyCommand');
    const result = await encryptObject(job, pipeline.encryptDeps({ ...serves, s3, now: afterTheLease }));
    expect(result.outcome).toBe('encrypted');
    expect(await uploadsLeft(bucket)).toBe(0);
    const item = (await pipeline.ledger.get({ bucket, key: 'big.bin', operation: 'encrypt' }))!;
    expect(item.state).toBe('DONE');
    expect(item.upload).toBeUndefined();
    if (mode === 'envelope') {
      // A GCM stream cannot continue: the crashed upload was aborted, and recorded as such.
      expect(item.abortedUploads).toContain(left.uploadId);
      expect(item.lastUpload).toMatchObject({ how: 'completed' });
      expect(item.lastUpload?.uploadId).not.toBe(left.uploadId);
    } else {
      // Server-side copies resume: the two parts already copied are kept, only the third is copied.
      expect(item.lastUpload).toMatchObject({ uploadId: left.uploadId, how: 'completed' });
      expect(copies.count).toBe(1);
      expect((await headObject(pipeline.clients.s3, bucket, 'big.bin'))!.kmsKeyArn).toBe(keyArn);
    }
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'big.bin'))).toBe(sha256(body));
  });
});

describe.each(['envelope', 'sse-kms'] as const)('a %s multipart write that loses to a user write', (mode) => {
  it('is aborted, recorded in the ledger, and the user bytes stay', async () => {
    const bucket = await bucketWith(`lost-${mode}`, { 'big.bin': randomBytes(12 * MiB) });
    const newer = Buffer.from(`the user's newer bytes ${Date.now()}`);
    // Just before our CompleteMultipartUpload (If-Match the ETag read) a user overwrites the key.
    const raced = pipeline.newS3Client();
    raced.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'CompleteMultipartUploadCommand') {
          await pipeline.clients.s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: 'big.bin', Body: newer }),
          );
        }
        return next(args);
      },
      { step: 'initialize', name: 'userWrite' },
    );
    const job: EncryptJob = {
      type: 'encrypt',
      runId: newRunId(),
      jobId: `job-${randomUUID()}`,
      bucket,
      key: 'big.bin',
      mode,
      keyArn,
      large: true,
    };
    const result = await encryptObject(
      job,
      pipeline.encryptDeps({ s3: raced, largeObjects: { serves: true }, uploads }),
    );
    expect(result.outcome).toBe('superseded');
    expect(await uploadsLeft(bucket)).toBe(0);
    const item = (await pipeline.ledger.get({ bucket, key: 'big.bin', operation: 'encrypt' }))!;
    expect(item.state).toBe('SUPERSEDED');
    expect(item.upload).toBeUndefined();
    expect(item.abortedUploads).toHaveLength(1);
    expect(item.lastUpload).toMatchObject({ uploadId: item.abortedUploads![0], how: 'aborted' });
    expect(await readPlaintext(pipeline.clients, bucket, 'big.bin')).toEqual(newer);
  });
});
