import { randomBytes, randomUUID } from 'node:crypto';
import { ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LargeObjectJobSchema } from '../../cli/large-object-handler.js';
import { seedBucket } from '../../cli/seed-bucket.js';
import { handler as encryptHandler } from '../../functions/encrypt/handler.js';
import { handler as scanHandler } from '../../functions/scan/handler.js';
import { chunkIdFor, type EncryptChunk } from '../../shared/chunks/chunk-message.js';
import { DynamoDbUploadLedger } from '../../shared/chunks/chunk-uploads.js';
import { largeEncryptChunk } from '../../shared/chunks/large-chunk.js';
import type { ChunkDeps } from '../../shared/chunks/run-chunk.js';
import { runChunk } from '../../shared/chunks/run-chunk.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { type EncryptDeps, encryptChunkKind } from '../../shared/jobs/encrypt-object.js';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { LargeObjectProgress } from '../../shared/runs/large-object-progress.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { listUploadedParts } from '../../shared/s3/multipart-tracker.js';
import { headObject } from '../../shared/s3/object-head.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
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

    // The scan page knows sizes: the big object goes alone in a `large` chunk to the large-object
    // queue, the small one in a chunk to the encrypt queue.
    const pages = await drainQueue(queues.scan);
    expect(pages).toHaveLength(1);
    expect((await scanHandler(sqsEvent(pages, queues.scan), context)).batchItemFailures).toEqual([]);
    const chunks = await drainQueue(queues.encrypt);
    const smallChunk = JSON.parse(chunks[0]!.Body!) as EncryptChunk;
    expect(chunks.map((m) => (JSON.parse(m.Body!) as EncryptChunk).intents.map((i) => i.key))).toEqual([
      ['data/small.txt'],
    ]);
    expect(smallChunk.large).toBeUndefined();
    const routed = await drainQueue(queues.large);
    expect(routed).toHaveLength(1);
    const bigChunk = LargeObjectJobSchema.parse(JSON.parse(routed[0]!.Body!)) as EncryptChunk;
    expect(bigChunk).toMatchObject({ type: 'encrypt-chunk', runId: run.runId, large: true });
    expect(bigChunk.intents).toEqual([expect.objectContaining({ key: 'data/big.bin', size: big.length })]);

    // The encrypt Lambda handler does the small chunk; a chunk naming the big one without a size
    // (a stale listing) is handed off on its HEAD, untouched and unrecorded, as a `large` chunk of
    // its own.
    const sizeless: EncryptChunk = {
      ...smallChunk,
      chunkId: chunkIdFor(run.runId, 'test:sizeless'),
      origin: 'test:sizeless',
      intents: [{ key: 'data/big.bin' }],
    };
    const handed = await encryptHandler(
      sqsEvent(
        [...chunks, { MessageId: 'sizeless', ReceiptHandle: 'r', Body: JSON.stringify(sizeless) }],
        queues.encrypt,
      ),
      context,
    );
    expect(handed.batchItemFailures).toEqual([]);
    expect((await headObject(pipeline.clients.s3, bucket, 'data/big.bin'))!.etag).toBe(bigEtag);
    expect(await pipeline.trail.decisionOf(run.runId, bucket, 'data/big.bin')).toBeUndefined();
    const handedOff = await drainQueue(queues.large);
    expect(handedOff).toHaveLength(1);
    expect(LargeObjectJobSchema.parse(JSON.parse(handedOff[0]!.Body!))).toMatchObject({
      type: 'encrypt-chunk',
      runId: run.runId,
      chunkId: chunkIdFor(run.runId, `large:${bucket}/data/big.bin`),
      intents: [{ key: 'data/big.bin' }],
      large: true,
    });
    // Both chunks name the same object of the run; only the listing's goes back for the worker, so
    // the run decides big.bin once (the hand-off's own chunk is a different chunk of the run).
    await pipeline.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queues.large, MessageBody: routed[0]!.Body! }),
    );
    expect(await waitingOn(queues.large)).toBe(1);

    // Only the worker serves the large-object queue: the real CLI, until its queues are idle.
    const worker = runCli(['worker', '--until-idle', '--idle-seconds', '2', '--concurrency', '2']);
    expect(worker.status, worker.stderr).toBe(0);
    expect(worker.stderr).toMatch(/large object s3:\/\/.*data\/big\.bin: \d+ parts/);

    const head = (await headObject(pipeline.clients.s3, bucket, 'data/big.bin'))!;
    expect(envelopeFormatOf(head.metadata)).toBe('v3');
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'data/big.bin'))).toBe(sha256(big));
    // The large chunk committed, its upload forgotten on its item, none left open in S3.
    const item = (await pipeline.chunks.get({ runId: run.runId, chunkId: bigChunk.chunkId }))!;
    expect(item).toMatchObject({ state: 'DONE', attempt: 1, records: 1 });
    const ref = { runId: run.runId, chunkId: bigChunk.chunkId, key: 'data/big.bin' };
    expect(await uploads.recorded(ref)).toBeUndefined();
    const records = await recordsOfRun(pipeline, run.runId);
    expect(records.filter((r) => r.key === 'data/big.bin').map((r) => [r.chunkId, r.decision])).toEqual([
      [bigChunk.chunkId, 'encrypted'],
    ]);
    // The worker reported its progress beside the run, for `s3-seal status`.
    const progress = new LargeObjectProgress(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    const [entry] = await progress.list(run.runId);
    expect(entry).toMatchObject({ bucket, key: 'data/big.bin' });
    expect(entry!.totalBytes).toBeGreaterThan(big.length);
    expect(entry!.bytesDone).toBe(entry!.totalBytes);
    const finished = (await pipeline.runs.get(run.runId))!;
    expect(finished.counts.encrypted).toBe(2);
    expect(finished.auditRecords).toBe(2);
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

/** The upload ids a client's requests create, complete and abort: which upload ended how. */
function watchUploads(s3: S3Client) {
  const seen = { created: [] as string[], completed: [] as string[], aborted: [] as string[] };
  s3.middlewareStack.add(
    (next, ctx) => async (args) => {
      const out = await next(args);
      const input = args.input as { UploadId?: string };
      if (ctx.commandName === 'CreateMultipartUploadCommand') {
        seen.created.push((out.output as { UploadId: string }).UploadId);
      }
      if (ctx.commandName === 'CompleteMultipartUploadCommand') seen.completed.push(input.UploadId!);
      if (ctx.commandName === 'AbortMultipartUploadCommand') seen.aborted.push(input.UploadId!);
      return out;
    },
    { step: 'initialize', name: 'watchUploads' },
  );
  return seen;
}

/** A large object's job as the worker runs it: alone in its `large` chunk, through the chunk lifecycle. */
function largeJob(bucket: string, mode: EncryptJob['mode']): { job: EncryptJob; chunk: EncryptChunk } {
  const job: EncryptJob = {
    runId: newRunId(),
    jobId: `job-${randomUUID()}`,
    bucket,
    key: 'big.bin',
    mode,
    keyArn,
  };
  return { job, chunk: largeEncryptChunk(job) };
}

async function runLarge(chunk: EncryptChunk, deps: EncryptDeps & ChunkDeps) {
  const outcome = await runChunk(chunk, encryptChunkKind(deps), deps);
  if (outcome.state !== 'committed') throw new Error(`the chunk was not committed: ${outcome.detail}`);
  return outcome.results[0]!;
}

const uploadRef = (chunk: EncryptChunk) => ({ runId: chunk.runId, chunkId: chunk.chunkId, key: 'big.bin' });

async function untilUploadRecorded(chunk: EncryptChunk) {
  for (let i = 0; i < 100; i++) {
    const recorded = await uploads.recorded(uploadRef(chunk));
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
  it('leaves its upload id on the chunk item; the take-over resumes or aborts it and leaves no upload', async () => {
    const body = randomBytes(12 * MiB);
    const bucket = await bucketWith(`crash-${mode}`, { 'big.bin': body });
    const { job, chunk } = largeJob(bucket, mode);
    const serves = { largeObjects: { serves: true as const }, uploads };
    // The first attempt dies at its first UploadPart (envelope: the upload is recorded before any
    // part is sent), or after two of its three UploadPartCopy (copy).
    const partCommand = mode === 'envelope' ? 'UploadPartCommand' : 'UploadPartCopyCommand';
    const dying = dyingAfter(pipeline.newS3Client(), partCommand, mode === 'envelope' ? 0 : 2);
    void runLarge(chunk, pipeline.encryptDeps({ ...serves, s3: dying })).catch(() => undefined);
    const left = await untilUploadRecorded(chunk);
    expect(left).toMatchObject({ kind: mode === 'envelope' ? 'envelope' : 'copy', runId: job.runId });
    expect(await uploadsLeft(bucket)).toBe(1);
    if (mode === 'sse-kms') await untilParts(bucket, 'big.bin', left.uploadId, 2);
    expect(await pipeline.chunks.get(chunk)).toMatchObject({ state: 'IN_PROGRESS', attempt: 1 });

    // After the lease, another attempt takes the chunk over.
    const s3 = pipeline.newS3Client();
    const copies = countCalls(s3, 'UploadPartCopyCommand');
    const ended = watchUploads(s3);
    const result = await runLarge(chunk, pipeline.encryptDeps({ ...serves, s3, now: afterTheLease }));
    expect(result.outcome).toBe('encrypted');
    expect(await uploadsLeft(bucket)).toBe(0);
    expect(await pipeline.chunks.get(chunk)).toMatchObject({ state: 'DONE', attempt: 2, records: 1 });
    expect(await uploads.recorded(uploadRef(chunk))).toBeUndefined();
    const record = await pipeline.trail.decisionOf(job.runId, bucket, 'big.bin');
    expect(record).toMatchObject({ decision: 'encrypted', chunkId: chunk.chunkId });
    expect(record?.reconciled).toBeFalsy();
    if (mode === 'envelope') {
      // A GCM stream cannot continue: the crashed upload was aborted and a new one completed.
      expect(ended.aborted).toEqual([left.uploadId]);
      expect(ended.created).toHaveLength(1);
      expect(ended.completed).toEqual(ended.created);
      expect(ended.completed).not.toContain(left.uploadId);
    } else {
      // Server-side copies resume: the two parts already copied are kept, only the third is copied.
      expect(ended).toEqual({ created: [], completed: [left.uploadId], aborted: [] });
      expect(copies.count).toBe(1);
      expect((await headObject(pipeline.clients.s3, bucket, 'big.bin'))!.kmsKeyArn).toBe(keyArn);
    }
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'big.bin'))).toBe(sha256(body));
  });
});

describe.each(['envelope', 'sse-kms'] as const)('a %s multipart write that loses to a user write', (mode) => {
  it('is aborted, forgotten on the chunk item, recorded superseded, and the user bytes stay', async () => {
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
    const ended = watchUploads(raced);
    const { job, chunk } = largeJob(bucket, mode);
    const result = await runLarge(
      chunk,
      pipeline.encryptDeps({ s3: raced, largeObjects: { serves: true }, uploads }),
    );
    expect(result.outcome).toBe('superseded');
    // Our one upload was aborted (its Complete refused), none is left open in S3 or on the item.
    expect(ended.created).toHaveLength(1);
    expect(ended.aborted).toEqual(ended.created);
    expect(await uploadsLeft(bucket)).toBe(0);
    expect(await pipeline.chunks.get(chunk)).toMatchObject({ state: 'DONE', records: 1 });
    expect(await uploads.recorded(uploadRef(chunk))).toBeUndefined();
    expect(await pipeline.trail.decisionOf(job.runId, bucket, 'big.bin')).toMatchObject({
      decision: 'superseded',
    });
    expect(await readPlaintext(pipeline.clients, bucket, 'big.bin')).toEqual(newer);
  });
});
