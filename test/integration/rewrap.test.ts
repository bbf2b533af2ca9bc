import { DisableKeyCommand } from '@aws-sdk/client-kms';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createRewrapHandler } from '../../functions/rewrap/handler.js';
import { recordsOfRun } from '../../shared/audit/audit-records.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import { Faults } from '../../shared/faults.js';
import { rewrapObject } from '../../shared/rewrap/rewrap-object.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import {
  countCommands,
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
    expect(out.stdout).toMatch(/re-wrapped\s+40/);
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
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('re-wrapping 0 object(s)');
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
  const job = (bucket: string, runId = newRunId()) => ({
    type: 'rewrap' as const,
    runId,
    jobId: `job-${runId}`,
    bucket,
    key: 'k',
    fromKeyArn: keyA,
    toKeyArn: keyB,
  });

  it('processes duplicate deliveries once: one metadata write', async () => {
    const bucket = await envelopeObject('rw-dup');
    const first = job(bucket);
    expect((await rewrapObject(first, pipeline.encryptDeps())).outcome).toBe('encrypted');
    expect((await rewrapObject(first, pipeline.encryptDeps())).outcome).toBe('duplicate');
    expect(await versions(bucket)).toBe(3); // plaintext, envelope, re-wrapped
    expect((await readPlaintext(pipeline.clients, bucket, 'k')).toString()).toBe('secret bytes');
  });

  it('recovers from a crash between ReEncrypt and the metadata write, re-wrapping exactly once', async () => {
    const bucket = await envelopeObject('rw-crash');
    const crashing = crashingAfter(pipeline.newS3Client(), 'CopyObjectCommand');
    // Source and target the same key: only the crash marker can tell the write landed.
    const rotation = { ...job(bucket), toKeyArn: keyA, wrappedBefore: new Date().toISOString() };
    await expect(rewrapObject(rotation, pipeline.encryptDeps({ s3: crashing }))).rejects.toThrow();
    expect(await versions(bucket)).toBe(3);
    const result = await rewrapObject(rotation, pipeline.encryptDeps());
    expect(result.outcome).toBe('encrypted');
    expect(await versions(bucket)).toBe(3); // reconciled: no second write
    const index = await pipeline.ledger.get({ bucket, key: 'k', operation: 'encrypt' });
    expect((index?.wrappedAt ?? '') >= rotation.wrappedBefore).toBe(true);
    expect(index?.pendingWrap).toBeUndefined();
    expect((await readPlaintext(pipeline.clients, bucket, 'k')).toString()).toBe('secret bytes');
  });

  it('a crash at the audit append after the write: the redelivery records exactly one re-wrap, without writing again', async () => {
    const bucket = await envelopeObject('rw-audit-crash');
    const runJob = job(bucket);
    const dying = { append: async () => Promise.reject(new Error('crash at the audit append')) };
    await expect(rewrapObject(runJob, pipeline.encryptDeps({ audit: dying }))).rejects.toThrow('crash');
    expect(await versions(bucket)).toBe(3);
    expect((await rewrapObject(runJob, pipeline.encryptDeps())).outcome).toBe('encrypted');
    expect((await rewrapObject(runJob, pipeline.encryptDeps())).outcome).toBe('duplicate');
    expect(await versions(bucket)).toBe(3); // no second write
    const records = [];
    for await (const r of recordsOfRun(pipeline.clients.dynamo, pipeline.config.auditTable, runJob.runId))
      records.push(r);
    expect(records.map((r) => [r.key, r.decision])).toEqual([['k', 'rewrapped']]);
    const after = (await headObject(pipeline.clients.s3, bucket, 'k'))!;
    expect(await checkDataKeyUnwraps(pipeline.clients.kms, after.metadata)).toBe(keyB);
  });

  it('two concurrent deliveries of one job: one ReEncrypt, one write, one audit record, one count', async () => {
    const bucket = await envelopeObject('rw-race');
    const runJob = job(bucket);
    await pipeline.runs.create({
      runId: runJob.runId,
      bucket,
      prefix: '',
      mode: 'rewrap',
      keyArn: keyB,
      startedAt: new Date().toISOString(),
    });
    const s3 = pipeline.newS3Client();
    const kms = pipeline.newKmsClient();
    const writes = countCommands(s3, /^(PutObject|CopyObject|UploadPartCopy|UpdateObjectEncryption)/);
    const reEncrypts = countCommands(kms, /^ReEncrypt/);
    const handler = createRewrapHandler(() => ({
      ...pipeline.encryptDeps({ s3, kms }),
      runs: pipeline.runs,
    }));
    const event = (ids: string[]): SQSEvent => ({
      Records: ids.map((id) => ({ messageId: id, receiptHandle: id, body: JSON.stringify(runJob) }) as never),
    });
    // Both deliveries in one batch run in parallel: one claims the rewrap item, the other finds its
    // lease live and is handed back; its retry finds the job done.
    const first = await handler(event(['a', 'b']), {} as never);
    expect(first.batchItemFailures).toHaveLength(1);
    const again = await handler(event(first.batchItemFailures.map((f) => f.itemIdentifier)), {} as never);
    expect(again.batchItemFailures).toEqual([]);
    expect(reEncrypts).toEqual(['ReEncryptCommand']);
    expect(writes).toEqual(['CopyObjectCommand']);
    expect(await versions(bucket)).toBe(3);
    const records = [];
    for await (const r of recordsOfRun(pipeline.clients.dynamo, pipeline.config.auditTable, runJob.runId))
      records.push(r);
    expect(records.map((r) => r.decision)).toEqual(['rewrapped']);
    expect((await pipeline.runs.get(runJob.runId))?.counts.encrypted).toBe(1);
    const after = (await headObject(pipeline.clients.s3, bucket, 'k'))!;
    expect(await checkDataKeyUnwraps(pipeline.clients.kms, after.metadata)).toBe(keyB);
    expect((await readPlaintext(pipeline.clients, bucket, 'k')).toString()).toBe('secret bytes');
  });

  it('a crash between the metadata write and the finish is reconciled: no second ReEncrypt or write', async () => {
    const bucket = await envelopeObject('rw-finish-crash');
    const runJob = job(bucket);
    const crashing = pipeline.encryptDeps({ faults: new Faults({ 'before-ledger-finish': 1 }) });
    await expect(rewrapObject(runJob, crashing)).rejects.toThrow('injected crash');
    const claim = await pipeline.ledger.get({ bucket, key: 'k', operation: 'rewrap' });
    expect(claim?.state).toBe('IN_PROGRESS');
    // The redelivery, while the crashed attempt's lease is still live: S3 proves the write landed.
    const s3 = pipeline.newS3Client();
    const kms = pipeline.newKmsClient();
    const writes = countCommands(s3, /^(PutObject|CopyObject|UploadPartCopy)/);
    const reEncrypts = countCommands(kms, /^ReEncrypt/);
    const retried = await rewrapObject(runJob, pipeline.encryptDeps({ s3, kms }));
    expect(retried.outcome).toBe('encrypted');
    expect(writes).toEqual([]);
    expect(reEncrypts).toEqual([]);
    expect(await versions(bucket)).toBe(3);
    const item = await pipeline.ledger.get({ bucket, key: 'k', operation: 'rewrap' });
    expect(item).toMatchObject({ state: 'DONE', reconciled: true });
    // Only the object's `encrypt` item indexes its key: the rewrap item must not count it again.
    expect(item?.keyArn).toBeUndefined();
    const index = await pipeline.ledger.get({ bucket, key: 'k', operation: 'encrypt' });
    expect(index).toMatchObject({ keyArn: keyB });
    expect(index?.pendingWrap).toBeUndefined();
    expect((await rewrapObject(runJob, pipeline.encryptDeps())).outcome).toBe('duplicate');
  });
});
