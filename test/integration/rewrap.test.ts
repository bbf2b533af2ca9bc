import { DisableKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createRewrapHandler } from '../../functions/rewrap/handler.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import { LeaseHeldError } from '../../shared/errors.js';
import { Faults } from '../../shared/faults.js';
import type { RewrapJob } from '../../shared/jobs/messages.js';
import { sourceKeyReason } from '../../shared/rewrap/source-key-reason.js';
import { counterReason } from '../../shared/runs/run-counts.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { oneRewrapChunk, rewrapOne } from '../helpers/one-object.js';
import {
  crashingAfter,
  createKmsKey,
  describeObject,
  listKeys,
  readPlaintext,
  sha256,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyA: string;
let keyB: string;
let keyC: string;

const cli = runCli;

async function rawDigest(bucket: string, key: string): Promise<string> {
  const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return sha256(await got.Body!.transformToByteArray());
}

async function snapshot(bucket: string) {
  const state = new Map<
    string,
    { raw: string; plain: string; view: Awaited<ReturnType<typeof describeObject>> }
  >();
  for (const key of await listKeys(pipeline.clients.s3, bucket)) {
    state.set(key, {
      raw: await rawDigest(bucket, key),
      plain: sha256(await readPlaintext(pipeline.clients, bucket, key)),
      view: await describeObject(pipeline.clients.s3, bucket, key),
    });
  }
  return state;
}

beforeAll(async () => {
  pipeline = await startPipeline('rewrap');
  const keys = await Promise.all([1, 2, 3].map(() => createKmsKey(pipeline.clients.kms)));
  [keyA, keyB, keyC] = [keys[0]!, keys[1]!, keys[2]!];
});

describe('rewrap --from A --to B', () => {
  const envelopeBucket = uniqueBucket('rw-env');
  const kmsBucket = uniqueBucket('rw-kms');
  const otherBucket = uniqueBucket('rw-other');
  let before: Awaited<ReturnType<typeof snapshot>>;
  let otherBefore: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    await seedBucket(pipeline.clients.s3, envelopeBucket, { objects: 40 });
    await seedBucket(pipeline.clients.s3, kmsBucket, { objects: 15 });
    await seedBucket(pipeline.clients.s3, otherBucket, { objects: 10 });
    expect((await pipeline.backfill(envelopeBucket, 'envelope', keyA)).run.counts.encrypted).toBe(40);
    expect((await pipeline.backfill(kmsBucket, 'sse-kms', keyA)).run.counts.encrypted).toBe(15);
    expect((await pipeline.backfill(otherBucket, 'envelope', keyC)).run.counts.encrypted).toBe(10);
    before = await snapshot(envelopeBucket);
    otherBefore = await snapshot(otherBucket);
  });

  it('refuses a disabled target key and changes nothing', async () => {
    const disabled = await createKmsKey(pipeline.clients.kms);
    await pipeline.clients.kms.send(new DisableKeyCommand({ KeyId: disabled }));
    const out = cli(['rewrap', `s3://${envelopeBucket}`, '--from', keyA, '--to', disabled, '--local']);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('is Disabled');
    for (const [key, was] of before)
      expect((await headObject(pipeline.clients.s3, envelopeBucket, key))!.etag, key).toBe(was.view.etag);
  });

  it('re-wraps every envelope object: KMS reports B, ciphertext byte-identical, plaintext and metadata intact', async () => {
    const out = cli([
      'rewrap',
      `s3://${envelopeBucket}`,
      '--from',
      keyA,
      '--to',
      keyB,
      '--local',
      '--no-progress',
    ]);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/re-wrapped\s+40\n/);
    // Counted under its source key, exactly: every object came from A.
    expect(out.stdout).toMatch(new RegExp(`from ${keyA}\\s+40\\n`));
    expect(out.stdout).not.toMatch(/already compliant\s+[1-9]/);
    for (const [key, was] of before) {
      const head = (await headObject(pipeline.clients.s3, envelopeBucket, key))!;
      expect(await checkDataKeyUnwraps(pipeline.clients.kms, head.metadata), key).toBe(keyB);
      expect(await rawDigest(envelopeBucket, key), key).toBe(was.raw);
      expect(sha256(await readPlaintext(pipeline.clients, envelopeBucket, key)), key).toBe(was.plain);
      const now = await describeObject(pipeline.clients.s3, envelopeBucket, key);
      expect(now.userMetadata, key).toEqual(was.view.userMetadata);
      expect(now.tags, key).toEqual(was.view.tags);
      expect(now.contentType, key).toBe(was.view.contentType);
      expect(now.cacheControl, key).toBe(was.view.cacheControl);
    }
  });

  it('leaves objects under other keys untouched', async () => {
    for (const [key, was] of otherBefore) {
      expect((await headObject(pipeline.clients.s3, otherBucket, key))!.etag, key).toBe(was.view.etag);
    }
  });

  it('moves SSE-KMS objects to B with their bytes unchanged', async () => {
    const plain = new Map<string, string>();
    for (const key of await listKeys(pipeline.clients.s3, kmsBucket)) {
      plain.set(key, sha256(await readPlaintext(pipeline.clients, kmsBucket, key)));
    }
    const out = cli([
      'rewrap',
      `s3://${kmsBucket}`,
      '--from',
      keyA,
      '--to',
      keyB,
      '--local',
      '--no-progress',
    ]);
    expect(out.status, out.stderr).toBe(0);
    for (const [key, digest] of plain) {
      expect((await headObject(pipeline.clients.s3, kmsBucket, key))!.kmsKeyArn, key).toBe(keyB);
      expect(sha256(await readPlaintext(pipeline.clients, kmsBucket, key)), key).toBe(digest);
    }
  });

  it('finds nothing left under A for these buckets, and `keys` counts B', async () => {
    const etags = new Map<string, string>();
    for (const key of before.keys())
      etags.set(key, (await headObject(pipeline.clients.s3, envelopeBucket, key))!.etag);
    const again = cli([
      'rewrap',
      `s3://${envelopeBucket}`,
      '--from',
      keyA,
      '--to',
      keyB,
      '--local',
      '--no-progress',
    ]);
    expect(again.status, again.stderr).toBe(0);
    // A's manifest (the backfill's) still names the 40 objects: each HEAD (and KMS) finds it under B
    // already. Nothing is re-wrapped or written again.
    expect(again.stdout).toMatch(/re-wrapped\s+0\n/);
    expect(again.stdout).toMatch(/already compliant\s+40\n/);
    for (const [key, etag] of etags)
      expect((await headObject(pipeline.clients.s3, envelopeBucket, key))!.etag, key).toBe(etag);
    const keys = cli(['keys']);
    expect(keys.status).toBe(0);
    expect(keys.stdout).toMatch(new RegExp(`${keyB}\\s+\\d+ object`));
  });
});

describe('rewrapping one object', () => {
  async function envelopeObject(label: string) {
    const bucket = uniqueBucket(label);
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await pipeline.clients.s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'secret bytes' }));
    expect((await pipeline.backfill(bucket, 'envelope', keyA)).run.counts.encrypted).toBe(1);
    return bucket;
  }
  const versions = async (bucket: string) =>
    (await pipeline.clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }))).Versions?.length ?? 0;
  const job = (bucket: string, runId = newRunId()): RewrapJob => ({
    runId,
    jobId: `job-${runId}`,
    bucket,
    key: 'k',
    fromKeyArn: keyA,
    toKeyArn: keyB,
  });
  /** The run item, so that its counts (summed from the tally shards the commits write) can be read. */
  const createRun = (runJob: RewrapJob) =>
    pipeline.runs.create({
      runId: runJob.runId,
      bucket: runJob.bucket,
      prefix: '',
      mode: 'rewrap',
      keyArn: runJob.toKeyArn,
      startedAt: new Date().toISOString(),
    });
  /** The reason counter a re-wrap from `keyArn` is counted under (its source key). */
  const fromKey = (keyArn: string) => counterReason(sourceKeyReason(keyArn));
  const chunkOf = (runJob: RewrapJob) =>
    pipeline.chunks.get({ runId: runJob.runId, chunkId: oneRewrapChunk(runJob).chunkId });
  /** Past any lease a crashed attempt left: the next claim takes the chunk over. */
  const afterLease = () => new Date(Date.now() + (pipeline.config.leaseSeconds + 60) * 1000);
  /** The writes a client sends to `bucket` (chunk logs go to the audit bucket and are not counted). */
  const writesTo = (s3: S3Client, bucket: string) => {
    const sent: string[] = [];
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName);
        const target = (args.input as { Bucket?: string }).Bucket;
        if (
          target === bucket &&
          /^(PutObject|CopyObject|UploadPartCopy|CompleteMultipart|UpdateObjectEncryption)/.test(name)
        )
          sent.push(name);
        return next(args);
      },
      { step: 'initialize', name: `writesTo-${bucket}` },
    );
    return sent;
  };
  /** Each ReEncrypt a client sends: from which key to which, and whether KMS did it. */
  const reEncryptsOf = (kms: KMSClient) => {
    const sent: Array<{ from?: string; to?: string; ok: boolean }> = [];
    kms.middlewareStack.add(
      (next, context) => async (args) => {
        if (String(context.commandName) !== 'ReEncryptCommand') return next(args);
        const input = args.input as { SourceKeyId?: string; DestinationKeyId?: string };
        const call = { from: input.SourceKeyId, to: input.DestinationKeyId, ok: false };
        sent.push(call);
        const out = await next(args);
        call.ok = true;
        return out;
      },
      { step: 'initialize', name: 'reEncryptsOf' },
    );
    return sent;
  };

  it('processes duplicate deliveries once: one metadata write', async () => {
    const bucket = await envelopeObject('rw-dup');
    const first = job(bucket);
    expect((await rewrapOne(first, pipeline.encryptDeps())).outcome).toBe('encrypted');
    expect((await rewrapOne(first, pipeline.encryptDeps())).outcome).toBe('duplicate');
    expect(await versions(bucket)).toBe(3); // plaintext, envelope, re-wrapped
    expect((await readPlaintext(pipeline.clients, bucket, 'k')).toString()).toBe('secret bytes');
    expect((await recordsOfRun(pipeline, first.runId)).map((r) => [r.key, r.decision])).toEqual([
      ['k', 'rewrapped'],
    ]);
  });

  it('recovers from a crash right after the metadata write of a rotation, re-wrapping exactly once', async () => {
    const bucket = await envelopeObject('rw-crash');
    const crashing = crashingAfter(pipeline.newS3Client(), 'CopyObjectCommand');
    // Source and target the same key: KMS cannot tell the write landed, only S3's LastModified can.
    const rotation = { ...job(bucket), toKeyArn: keyA, wrappedBefore: new Date().toISOString() };
    await expect(rewrapOne(rotation, pipeline.encryptDeps({ s3: crashing }))).rejects.toThrow('crash after');
    expect(await versions(bucket)).toBe(3);
    // The failure gave the chunk back: the redelivery claims it at once, recovering.
    expect(await chunkOf(rotation)).toMatchObject({ state: 'RETRY', attempt: 1 });
    const s3 = pipeline.newS3Client();
    const writes = writesTo(s3, bucket);
    const result = await rewrapOne(rotation, pipeline.encryptDeps({ s3 }));
    expect(result.outcome).toBe('encrypted');
    expect(writes).toEqual([]);
    expect(await versions(bucket)).toBe(3); // reconciled: no second write
    const record = await pipeline.trail.decisionOf(rotation.runId, bucket, 'k');
    expect(record).toMatchObject({ decision: 'rewrapped', reconciled: true, keyArn: keyA });
    // Its manifest entry (the record's time) dates the wrap after the rotation's cut-off.
    expect(record!.at >= rotation.wrappedBefore).toBe(true);
    expect(await chunkOf(rotation)).toMatchObject({ state: 'DONE', attempt: 2, keyArns: [keyA] });
    expect((await readPlaintext(pipeline.clients, bucket, 'k')).toString()).toBe('secret bytes');
  });

  it('a crash at the chunk log after the write: the next attempt records exactly one re-wrap, without writing again', async () => {
    const bucket = await envelopeObject('rw-log-crash');
    const runJob = job(bucket);
    await createRun(runJob);
    // The object's copy lands; the chunk log PUT to the audit bucket dies, so nothing is committed.
    const dying = pipeline.newS3Client();
    dying.middlewareStack.add(
      (next, context) => async (args) => {
        const target = (args.input as { Bucket?: string }).Bucket;
        if (
          String(context.commandName) === 'PutObjectCommand' &&
          target === pipeline.config.auditLocation.bucket
        )
          throw new Error('crash at the chunk log');
        return next(args);
      },
      { step: 'initialize', name: 'dyingChunkLog' },
    );
    await expect(rewrapOne(runJob, pipeline.encryptDeps({ s3: dying }))).rejects.toThrow('crash');
    expect(await versions(bucket)).toBe(3);
    expect(await chunkOf(runJob)).toMatchObject({ state: 'IN_PROGRESS', attempt: 1 });
    expect(await recordsOfRun(pipeline, runJob.runId)).toEqual([]);
    // After the lease: the take-over re-HEADs, KMS shows the data key under B, S3 shows it written
    // since the first claim: reconciled, not written again.
    const s3 = pipeline.newS3Client();
    const writes = writesTo(s3, bucket);
    const later = pipeline.encryptDeps({ s3, now: afterLease });
    expect((await rewrapOne(runJob, later)).outcome).toBe('encrypted');
    expect((await rewrapOne(runJob, later)).outcome).toBe('duplicate');
    expect(writes).toEqual([]);
    expect(await versions(bucket)).toBe(3); // no second write
    const records = await recordsOfRun(pipeline, runJob.runId);
    expect(records.map((r) => [r.key, r.decision, r.reconciled])).toEqual([['k', 'rewrapped', true]]);
    const counts = (await pipeline.runs.get(runJob.runId))!.counts;
    expect(counts.encrypted).toBe(1);
    expect(counts.compliant).toBe(0);
    expect(counts.reasons[fromKey(keyA)]).toBe(1);
    const after = (await headObject(pipeline.clients.s3, bucket, 'k'))!;
    expect(await checkDataKeyUnwraps(pipeline.clients.kms, after.metadata)).toBe(keyB);
  });

  it('two concurrent deliveries of one chunk: one ReEncrypt, one write, one audit record, one count', async () => {
    const bucket = await envelopeObject('rw-race');
    const runJob = job(bucket);
    await createRun(runJob);
    const s3 = pipeline.newS3Client();
    const kms = pipeline.newKmsClient();
    const writes = writesTo(s3, bucket);
    const reEncrypts = reEncryptsOf(kms);
    const handler = createRewrapHandler(() => ({
      ...pipeline.encryptDeps({ s3, kms }),
      runs: pipeline.runs,
    }));
    const body = JSON.stringify(oneRewrapChunk(runJob));
    const event = (ids: string[]): SQSEvent => ({
      Records: ids.map((id) => ({ messageId: id, receiptHandle: id, body }) as never),
    });
    // Both deliveries in one batch run in parallel: one claims the chunk, the other finds its lease
    // live and is handed back (before any KMS call); its retry finds the chunk committed.
    const first = await handler(event(['a', 'b']), {} as never);
    expect(first.batchItemFailures).toHaveLength(1);
    const again = await handler(event(first.batchItemFailures.map((f) => f.itemIdentifier)), {} as never);
    expect(again.batchItemFailures).toEqual([]);
    expect(reEncrypts).toEqual([{ from: keyA, to: keyB, ok: true }]);
    expect(writes).toEqual(['CopyObjectCommand']);
    expect(await versions(bucket)).toBe(3);
    const records = await recordsOfRun(pipeline, runJob.runId);
    expect(records.map((r) => r.decision)).toEqual(['rewrapped']);
    const counts = (await pipeline.runs.get(runJob.runId))!.counts;
    expect(counts.encrypted).toBe(1);
    expect(counts.reasons[fromKey(keyA)]).toBe(1);
    const after = (await headObject(pipeline.clients.s3, bucket, 'k'))!;
    expect(await checkDataKeyUnwraps(pipeline.clients.kms, after.metadata)).toBe(keyB);
    expect((await readPlaintext(pipeline.clients, bucket, 'k')).toString()).toBe('secret bytes');
  });

  it('a crash between the metadata write and the commit is reconciled: no ReEncrypt without a claim, no second write', async () => {
    const bucket = await envelopeObject('rw-commit-crash');
    const runJob = job(bucket);
    await createRun(runJob);
    const crashing = pipeline.encryptDeps({ faults: new Faults({ 'before-ledger-finish': 1 }) });
    await expect(rewrapOne(runJob, crashing)).rejects.toThrow('injected crash');
    expect(await versions(bucket)).toBe(3);
    expect(await chunkOf(runJob)).toMatchObject({ state: 'IN_PROGRESS', attempt: 1 });
    const s3 = pipeline.newS3Client();
    const kms = pipeline.newKmsClient();
    const writes = writesTo(s3, bucket);
    const reEncrypts = reEncryptsOf(kms);
    // A redelivery while the crashed attempt's lease is live touches neither KMS nor the object.
    await expect(rewrapOne(runJob, pipeline.encryptDeps({ s3, kms }))).rejects.toBeInstanceOf(LeaseHeldError);
    expect(reEncrypts).toEqual([]);
    expect(writes).toEqual([]);
    // After the lease: the take-over asks KMS which key wraps the data key (A refuses, B holds it),
    // and S3 shows the object written since the first claim: reconciled.
    const retried = await rewrapOne(runJob, pipeline.encryptDeps({ s3, kms, now: afterLease }));
    expect(retried.outcome).toBe('encrypted');
    expect(writes).toEqual([]);
    // No second re-wrap from A: the only ReEncrypt KMS did was B to B (a probe; nothing kept).
    expect(reEncrypts.filter((r) => r.ok)).toEqual([{ from: keyB, to: keyB, ok: true }]);
    expect(await versions(bucket)).toBe(3);
    const record = await pipeline.trail.decisionOf(runJob.runId, bucket, 'k');
    expect(record).toMatchObject({ decision: 'rewrapped', reconciled: true, keyArn: keyB });
    // The object is left under B for the manifests compacted at close, once.
    expect(await chunkOf(runJob)).toMatchObject({ state: 'DONE', attempt: 2, keyArns: [keyB] });
    const counts = (await pipeline.runs.get(runJob.runId))!.counts;
    expect(counts.encrypted).toBe(1);
    expect(counts.reasons[fromKey(keyA)]).toBe(1);
    expect((await rewrapOne(runJob, pipeline.encryptDeps())).outcome).toBe('duplicate');
    expect((await recordsOfRun(pipeline, runJob.runId)).length).toBe(1);
  });
});
