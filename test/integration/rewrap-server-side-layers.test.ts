import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import type { RewrapJob } from '../../shared/jobs/messages.js';
import { sourceKeyReason } from '../../shared/rewrap/source-key-reason.js';
import { counterReason } from '../../shared/runs/run-counts.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { oneRewrapChunk, rewrapOne } from '../helpers/one-object.js';
import {
  crashingAfter,
  createKmsKey,
  readPlaintext,
  sha256,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';

/**
 * A re-wrap from A moves every layer under A: an S3EC envelope may also sit under a server-side
 * layer (SSE-KMS or DSSE-KMS) of its own key, and a DSSE-KMS object names its key like SSE-KMS.
 * Left under A, such an object becomes unreadable once A is retired.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyA: string;
let keyB: string;
let keyC: string;

beforeAll(async () => {
  pipeline = await startPipeline('rwlayers');
  const keys = await Promise.all([1, 2, 3].map(() => createKmsKey(pipeline.clients.kms)));
  [keyA, keyB, keyC] = [keys[0]!, keys[1]!, keys[2]!];
});

async function bucketOf(label: string) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  return bucket;
}

const job = (bucket: string, key: string): RewrapJob => {
  const runId = newRunId();
  return { runId, jobId: `job-${runId}`, bucket, key, fromKeyArn: keyA, toKeyArn: keyB };
};

async function decisionsOf(runId: string) {
  return (await recordsOfRun(pipeline, runId)).map((r) => [r.decision, r.reason]);
}

/** A client that counts the copies it sends. */
function countCopies() {
  const s3 = pipeline.newS3Client();
  let copies = 0;
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      if (String(context.commandName) === 'CopyObjectCommand') copies++;
      return next(args);
    },
    { step: 'initialize', name: 'countCopies' },
  );
  return { s3, count: () => copies };
}

async function rawDigest(bucket: string, key: string) {
  const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256(await got.Body!.transformToByteArray());
}

describe('a re-wrap from A to B', () => {
  it('moves the SSE-KMS layer of an envelope wrapped under A in the same copy', async () => {
    const bucket = await bucketOf('layer-both');
    const body = randomBytes(2048);
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'app/both.bin',
      body,
      keyArn: keyA,
      format: 'v3',
      serverSide: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA },
    });
    const raw = await rawDigest(bucket, 'app/both.bin');
    const rewrap = job(bucket, 'app/both.bin');
    expect((await rewrapOne(rewrap, pipeline.encryptDeps())).outcome).toBe('encrypted');

    const head = (await headObject(pipeline.clients.s3, bucket, 'app/both.bin'))!;
    expect(await checkDataKeyUnwraps(pipeline.clients.kms, head.metadata)).toBe(keyB);
    expect(head.serverSideEncryption).toBe('aws:kms');
    expect(head.kmsKeyArn).toBe(keyB);
    expect(await rawDigest(bucket, 'app/both.bin')).toBe(raw);
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'app/both.bin'))).toBe(sha256(body));
    expect((await decisionsOf(rewrap.runId)).map(([decision]) => decision)).toEqual(['rewrapped']);
  });

  it('moves only the SSE-KMS layer of an envelope wrapped under another key, and says so', async () => {
    const bucket = await bucketOf('layer-only');
    const body = randomBytes(1024);
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'app/other.bin',
      body,
      keyArn: keyC,
      format: 'v3',
      serverSide: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA },
    });
    const before = (await headObject(pipeline.clients.s3, bucket, 'app/other.bin'))!;
    const rewrap = job(bucket, 'app/other.bin');
    expect((await rewrapOne(rewrap, pipeline.encryptDeps())).outcome).toBe('encrypted');

    const head = (await headObject(pipeline.clients.s3, bucket, 'app/other.bin'))!;
    expect(head.kmsKeyArn).toBe(keyB);
    // The envelope is not this job's: its wrapped key and every metadata entry stay as they were.
    expect(head.metadata).toEqual(before.metadata);
    expect(await checkDataKeyUnwraps(pipeline.clients.kms, head.metadata)).toBe(keyC);
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'app/other.bin'))).toBe(sha256(body));
    const [[decision, reason]] = (await decisionsOf(rewrap.runId)) as [[string, string]];
    expect(decision).toBe('rewrapped');
    expect(reason).toMatch(/server-side layer from .*the envelope is under another key/);
    // A delivery again is a duplicate of the committed chunk; a new run's HEAD finds nothing under
    // A (the envelope is C's): neither writes again.
    expect((await rewrapOne(rewrap, pipeline.encryptDeps())).outcome).toBe('duplicate');
    const next = job(bucket, 'app/other.bin');
    expect(await rewrapOne(next, pipeline.encryptDeps())).toMatchObject({
      outcome: 'skipped',
      reason: 'wrapped-under-another-key',
    });
    expect((await headObject(pipeline.clients.s3, bucket, 'app/other.bin'))!.etag).toBe(head.etag);
  });

  it('moves a DSSE-KMS object under A to B and keeps it dual-layer', async () => {
    const bucket = await bucketOf('layer-dsse');
    const body = randomBytes(4096);
    const s3 = showingDsseKeys(pipeline.newS3Client());
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'dual.bin',
        Body: body,
        ContentType: 'application/x-dual',
        ServerSideEncryption: 'aws:kms:dsse',
        SSEKMSKeyId: keyA,
      }),
    );
    const rewrap = job(bucket, 'dual.bin');
    expect((await rewrapOne(rewrap, pipeline.encryptDeps({ s3 }))).outcome).toBe('encrypted');

    const head = (await headObject(s3, bucket, 'dual.bin'))!;
    expect(head.serverSideEncryption).toBe('aws:kms:dsse');
    expect(head.kmsKeyArn).toBe(keyB);
    expect(head.headers.ContentType).toBe('application/x-dual');
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'dual.bin'))).toBe(sha256(body));
    expect((await decisionsOf(rewrap.runId)).map(([decision]) => decision)).toEqual(['rewrapped']);
  });

  it('a crash after moving only the layer is reconciled by the retry: one rewrapped record, no second write', async () => {
    const bucket = await bucketOf('layer-crash');
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'c.bin',
      body: randomBytes(256),
      keyArn: keyC,
      format: 'v3',
      serverSide: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA },
    });
    // The copy lands, then the attempt fails before anything else: the chunk is given back, with
    // nothing recorded or counted.
    const crashing = crashingAfter(pipeline.newS3Client(), 'CopyObjectCommand');
    const rewrap = job(bucket, 'c.bin');
    await pipeline.runs.create({
      runId: rewrap.runId,
      bucket,
      prefix: '',
      mode: 'rewrap',
      keyArn: keyB,
      startedAt: new Date().toISOString(),
    });
    await expect(rewrapOne(rewrap, pipeline.encryptDeps({ s3: crashing }))).rejects.toThrow('crash after');
    const moved = (await headObject(pipeline.clients.s3, bucket, 'c.bin'))!;
    expect(moved.kmsKeyArn).toBe(keyB);
    const chunk = { runId: rewrap.runId, chunkId: oneRewrapChunk(rewrap).chunkId };
    expect(await pipeline.chunks.get(chunk)).toMatchObject({ state: 'RETRY', attempt: 1 });
    expect(await decisionsOf(rewrap.runId)).toEqual([]);

    // The retry is recovering: the layer under B, written since the chunk's first claim, is that
    // attempt's move (a layer-only move leaves no other mark).
    const copies = countCopies();
    expect((await rewrapOne(rewrap, pipeline.encryptDeps({ s3: copies.s3 }))).outcome).toBe('encrypted');
    expect(copies.count()).toBe(0);
    expect((await headObject(pipeline.clients.s3, bucket, 'c.bin'))!.etag).toBe(moved.etag);
    const records = await recordsOfRun(pipeline, rewrap.runId);
    expect(records.map((r) => [r.decision, r.reason, r.reconciled, r.keyArn])).toEqual([
      ['rewrapped', expect.stringMatching(/server-side layer from/), true, keyB],
    ]);
    expect(await pipeline.chunks.get(chunk)).toMatchObject({ state: 'DONE', attempt: 2 });
    // Counted once, under its source key.
    const counts = (await pipeline.runs.get(rewrap.runId))!.counts;
    expect(counts.encrypted).toBe(1);
    expect(counts.reasons[counterReason(sourceKeyReason(keyA))]).toBe(1);
  });

  it('a crash after moving the data key and the layer in one copy is reconciled: one record, no second write', async () => {
    const bucket = await bucketOf('layer-both-crash');
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'b.bin',
      body: randomBytes(256),
      keyArn: keyA,
      format: 'v3',
      serverSide: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA },
    });
    const rewrap = job(bucket, 'b.bin');
    const crashing = crashingAfter(pipeline.newS3Client(), 'CopyObjectCommand');
    await expect(rewrapOne(rewrap, pipeline.encryptDeps({ s3: crashing }))).rejects.toThrow('crash after');
    const moved = (await headObject(pipeline.clients.s3, bucket, 'b.bin'))!;
    expect(moved.kmsKeyArn).toBe(keyB);
    expect(await checkDataKeyUnwraps(pipeline.clients.kms, moved.metadata)).toBe(keyB);

    const copies = countCopies();
    expect((await rewrapOne(rewrap, pipeline.encryptDeps({ s3: copies.s3 }))).outcome).toBe('encrypted');
    expect(copies.count()).toBe(0);
    expect((await headObject(pipeline.clients.s3, bucket, 'b.bin'))!.etag).toBe(moved.etag);
    const records = await recordsOfRun(pipeline, rewrap.runId);
    expect(records.map((r) => [r.decision, r.reconciled, r.keyArn])).toEqual([['rewrapped', true, keyB]]);
  });

  it('moves the SSE-KMS layer of a client-side object it cannot read, metadata untouched', async () => {
    const bucket = await bucketOf('layer-v1');
    await pipeline.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'v1.bin',
        Body: randomBytes(64),
        Metadata: { 'x-amz-key': 'AQID', 'x-amz-iv': 'AAAAAAAAAAAAAAAA' },
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyA,
      }),
    );
    const before = (await headObject(pipeline.clients.s3, bucket, 'v1.bin'))!;
    const raw = await rawDigest(bucket, 'v1.bin');
    const rewrap = job(bucket, 'v1.bin');
    expect((await rewrapOne(rewrap, pipeline.encryptDeps())).outcome).toBe('encrypted');
    const head = (await headObject(pipeline.clients.s3, bucket, 'v1.bin'))!;
    expect(head.kmsKeyArn).toBe(keyB);
    expect(head.metadata).toEqual(before.metadata);
    expect(await rawDigest(bucket, 'v1.bin')).toBe(raw);
  });

  it('leaves an envelope under another key on SSE-S3 alone', async () => {
    const bucket = await bucketOf('layer-none');
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'plain-layer.bin',
      body: randomBytes(512),
      keyArn: keyC,
      format: 'v3',
    });
    const before = (await headObject(pipeline.clients.s3, bucket, 'plain-layer.bin'))!;
    const rewrap = job(bucket, 'plain-layer.bin');
    const result = await rewrapOne(rewrap, pipeline.encryptDeps());
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'wrapped-under-another-key' });
    expect((await headObject(pipeline.clients.s3, bucket, 'plain-layer.bin'))!.etag).toBe(before.etag);
  });
});

/**
 * LocalStack keeps a DSSE-KMS object's key but does not return it on HEAD (S3 does, as for
 * SSE-KMS): this client remembers the key each DSSE-KMS PutObject or CopyObject it sends names, and
 * fills it into HEAD answers that lack it, as S3 would.
 */
function showingDsseKeys(s3: S3Client): S3Client {
  const keys = new Map<string, string>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string; ServerSideEncryption?: string; SSEKMSKeyId?: string };
      const writes =
        context.commandName === 'PutObjectCommand' || context.commandName === 'CopyObjectCommand';
      const out = await next(args);
      if (writes && input.ServerSideEncryption === 'aws:kms:dsse') keys.set(input.Key!, input.SSEKMSKeyId!);
      const head = out.output as { ServerSideEncryption?: string; SSEKMSKeyId?: string };
      if (context.commandName === 'HeadObjectCommand' && head.ServerSideEncryption === 'aws:kms:dsse') {
        head.SSEKMSKeyId ??= keys.get(input.Key!);
      }
      return out;
    },
    { step: 'initialize', name: 'showingDsseKeys' },
  );
  return s3;
}
