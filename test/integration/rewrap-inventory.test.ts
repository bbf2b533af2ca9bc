import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChunkRecord } from '../../shared/chunks/chunk-log-types.js';
import { checkDataKeyUnwraps } from '../../shared/envelope/open-object.js';
import { planRewrap } from '../../shared/rewrap/plan-rewrap.js';
import { headObject } from '../../shared/s3/object-head.js';
import { SseCustomerKey } from '../../shared/s3/sse-c-key.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { writeReportOfBucket } from '../helpers/inventory-report.js';
import { createKmsKey, readPlaintext, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * `rewrap --inventory` (docs/large-buckets.md): a re-wrap of objects s3-seal never wrote (an
 * application's SSE-KMS objects and client-side S3EC envelopes under key A), which no per-key
 * manifest names (no s3-seal run recorded them), enumerated from a real S3 Inventory report, one scan message per data
 * file. The rewrap handler's HEAD decides every row but SSE-C ones, which are settled from the
 * report without a request.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let inventoryBucket: string;
let keyA: string;
let keyB: string;
let keyC: string;
const kmsKeys = ['app/kms 0', 'app/kms+1', 'app/kms-2', 'app/kms-3'];
const envelopeKeys = ['app/env-0', 'app/env-1'];
/** Every S3 request the in-process pipeline sends, by the object key it names. */
const requestsByKey = new Map<string, string[]>();

const put = (input: Omit<PutObjectCommandInput, 'Bucket'>) =>
  pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, ...input }));

beforeAll(async () => {
  pipeline = await startPipeline('rewrap-inventory');
  bucket = uniqueBucket('rw-inv');
  inventoryBucket = uniqueBucket('rw-inv-reports');
  const keys = await Promise.all([1, 2, 3].map(() => createKmsKey(pipeline.clients.kms)));
  [keyA, keyB, keyC] = [keys[0]!, keys[1]!, keys[2]!];
  const s3 = pipeline.clients.s3;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: inventoryBucket }));
  await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })).catch(() => undefined);
  // Written by an application, not by s3-seal: no run recorded them, so no manifest names them.
  for (const key of kmsKeys) {
    await put({ Key: key, Body: `app data ${key}`, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA });
  }
  for (const key of envelopeKeys) {
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key,
      body: Buffer.from(`sealed ${key}`),
      keyArn: keyA,
      format: 'v3',
    });
  }
  await put({ Key: 'other/kms', Body: 'under C', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyC });
  await put({ Key: 'plain/1', Body: 'plaintext' });
  await put({ Key: 'ssec/secret', Body: 'customer', ...SseCustomerKey.random().params() });
  await put({ Key: 'later/stale', Body: 'first', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA });
  pipeline.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string };
      if (input.Bucket === bucket && input.Key !== undefined) {
        requestsByKey.set(input.Key, [...(requestsByKey.get(input.Key) ?? []), String(context.commandName)]);
      }
      return next(args);
    },
    { step: 'initialize', name: 'requestsByKey' },
  );
});

/** A report of the bucket as it is now (two data files), written where S3 would put it. */
async function inventoryOfBucket(format: 'CSV' | 'Parquet', tamper = false): Promise<string> {
  const { manifest } = await writeReportOfBucket(pipeline.clients.s3, {
    bucket,
    reportBucket: inventoryBucket,
    keys: [...kmsKeys, ...envelopeKeys, 'other/kms', 'plain/1', 'later/stale'],
    format,
    rowsPerFile: 5,
    extra: [{ key: 'ssec/secret', size: 8, etag: 'c0ffee', encryptionStatus: 'SSE-C' }],
    tamper,
  });
  return manifest;
}

async function scanQueueDepth(): Promise<number> {
  const out = await pipeline.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: pipeline.queues.scan,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

async function etagsOf(keys: string[]): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  for (const key of keys) etags.set(key, (await headObject(pipeline.clients.s3, bucket, key))!.etag);
  return etags;
}

describe('rewrap --inventory', () => {
  it("key A's manifests name none of these objects: a plan from the manifests finds nothing", async () => {
    const run = await planRewrap(pipeline.plannerDeps(), {
      bucket,
      prefix: '',
      fromKeyArn: keyA,
      toKeyArn: keyB,
    });
    expect(run).toMatchObject({ scanComplete: true, discovered: 0 });
  });

  it('re-wraps every object under A from a Parquet report; SSE-C rows are settled without a request', async () => {
    const manifest = await inventoryOfBucket('Parquet');
    // Overwritten after the report: its row's ETag is stale, the handler's HEAD reads the new one.
    await put({ Key: 'later/stale', Body: 'second', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA });
    const untouched = await etagsOf(['other/kms', 'plain/1']);
    const envelopesBefore = new Map<string, Record<string, string>>();
    for (const key of envelopeKeys) {
      envelopesBefore.set(key, (await headObject(pipeline.clients.s3, bucket, key))!.metadata);
    }
    requestsByKey.clear();

    const run = await planRewrap(pipeline.plannerDeps(), {
      bucket,
      prefix: '',
      fromKeyArn: keyA,
      toKeyArn: keyB,
      inventory: manifest,
    });
    expect(run).toMatchObject({ scanComplete: false, chains: 2 });
    expect(await scanQueueDepth()).toBe(2);
    const { run: done, unsettled } = await pipeline.process(run.runId);
    expect(unsettled).toBe(0);
    expect(done).toMatchObject({ discovered: 10, pagesScanned: 2, scanComplete: true, auditRecords: 10 });
    expect(done.counts).toMatchObject({ encrypted: 7, compliant: 0, skipped: 3, failed: 0 });

    for (const key of [...kmsKeys, 'later/stale']) {
      const head = (await headObject(pipeline.clients.s3, bucket, key))!;
      expect(head.kmsKeyArn, key).toBe(keyB);
    }
    for (const key of kmsKeys) {
      expect((await readPlaintext(pipeline.clients, bucket, key)).toString()).toBe(`app data ${key}`);
    }
    expect((await readPlaintext(pipeline.clients, bucket, 'later/stale')).toString()).toBe('second');
    for (const key of envelopeKeys) {
      const head = (await headObject(pipeline.clients.s3, bucket, key))!;
      expect(await checkDataKeyUnwraps(pipeline.clients.kms, head.metadata), key).toBe(keyB);
      expect((await readPlaintext(pipeline.clients, bucket, key)).toString()).toBe(`sealed ${key}`);
      // Only the wrapped key changed.
      const { 'x-amz-3': wrappedBefore, ...restBefore } = envelopesBefore.get(key)!;
      const { 'x-amz-3': wrappedAfter, ...restAfter } = head.metadata;
      expect(wrappedAfter).not.toBe(wrappedBefore);
      expect(restAfter).toEqual(restBefore);
    }
    for (const [key, etag] of untouched) {
      expect((await headObject(pipeline.clients.s3, bucket, key))!.etag, key).toBe(etag);
    }
    // The SSE-C row: not one request by any part of the pipeline; the others were HEADed, not written.
    expect(requestsByKey.get('ssec/secret')).toBeUndefined();
    for (const key of ['other/kms', 'plain/1']) {
      expect(requestsByKey.get(key), key).toContain('HeadObjectCommand');
      expect(
        requestsByKey.get(key)!.filter((name) => name !== 'HeadObjectCommand'),
        key,
      ).toEqual([]);
    }

    const all = await recordsOfRun(pipeline, run.runId);
    expect(all).toHaveLength(10);
    const records = new Map<string, ChunkRecord>(all.map((record) => [record.key, record]));
    expect(records.size).toBe(10);
    expect(records.get('ssec/secret')).toMatchObject({
      decision: 'skipped',
      mode: 'rewrap',
      reason: 'not-kms-protected',
      method: 'inventory-row',
    });
    expect(records.get('plain/1')).toMatchObject({ decision: 'skipped', reason: 'not-kms-protected' });
    for (const key of [...kmsKeys, ...envelopeKeys, 'later/stale']) {
      expect(records.get(key), key).toMatchObject({ decision: 'rewrapped', mode: 'rewrap' });
    }
    const verified = runCli(['audit', 'verify', '--run', run.runId]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
  });

  it('through the CLI: `rewrap --inventory` from a CSV report moves them on to C', async () => {
    const manifest = await inventoryOfBucket('CSV');
    const out = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      keyB,
      '--to',
      keyC,
      '--inventory',
      manifest,
      '--local',
      '--no-progress',
    ]);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stderr).toContain('re-wrapping the objects of 2 inventory data file(s)');
    expect(out.stdout).toMatch(/re-wrapped\s+7/);
    for (const key of [...kmsKeys, 'later/stale', 'other/kms']) {
      expect((await headObject(pipeline.clients.s3, bucket, key))!.kmsKeyArn, key).toBe(keyC);
    }
    for (const key of envelopeKeys) {
      const head = (await headObject(pipeline.clients.s3, bucket, key))!;
      expect(await checkDataKeyUnwraps(pipeline.clients.kms, head.metadata), key).toBe(keyC);
    }
  });

  it('a report whose data file fails its MD5 check changes nothing and exits 1 naming the file', async () => {
    const manifest = await inventoryOfBucket('CSV', true);
    const before = await etagsOf([...kmsKeys, ...envelopeKeys]);
    const depth = await scanQueueDepth();
    const out = runCli(['rewrap', `s3://${bucket}`, '--from', keyC, '--to', keyB, '--inventory', manifest]);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/data\/part-1.*MD5|MD5.*data\/part-1/);
    expect(await scanQueueDepth()).toBe(depth);
    for (const [key, etag] of before) {
      expect((await headObject(pipeline.clients.s3, bucket, key))!.etag, key).toBe(etag);
    }
  });

  it('refuses --scan together with --inventory', () => {
    const out = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      keyC,
      '--to',
      keyB,
      '--scan',
      '--inventory',
      `s3://${inventoryBucket}/x/manifest.json`,
    ]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('--scan lists the bucket and --inventory reads a report: give one of them');
  });
});
