import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { META_V3 } from '../../shared/envelope/format.js';
import { inventoryFilePage } from '../../shared/jobs/inventory-file.js';
import { type InventoryFileMessage, parseScanQueueMessage } from '../../shared/jobs/messages.js';
import { startRun } from '../../shared/jobs/start-run.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { writeReportOfBucket } from '../helpers/inventory-report.js';
import { createKmsKey, readPlaintext, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * `encrypt --inventory`: a run enumerated from a real S3 Inventory report on the local stack, one
 * scan message per data file; rows the report cannot decide are HEADed by the encrypt handler.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let inventoryBucket: string;
let keyArn: string;
const plainKeys = Array.from({ length: 10 }, (_, i) => `data/object ${i}+${i}.txt`);

async function inventoryOfBucket(format: 'CSV' | 'Parquet', keys: string[], tamper = false): Promise<string> {
  const report = { bucket, reportBucket: inventoryBucket, keys, format, rowsPerFile: 5, tamper };
  return (await writeReportOfBucket(pipeline.clients.s3, report)).manifest;
}

async function scanQueueDepth(): Promise<number> {
  const out = await pipeline.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: pipeline.queues.scan,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

beforeAll(async () => {
  pipeline = await startPipeline('inventory-run');
  bucket = uniqueBucket('inv-run');
  inventoryBucket = uniqueBucket('inv-run-reports');
  keyArn = await createKmsKey(pipeline.clients.kms);
  const s3 = pipeline.clients.s3;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: inventoryBucket }));
  await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })).catch(() => undefined);
  const put = (input: Omit<PutObjectCommandInput, 'Bucket'>) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, ...input }));
  for (const key of plainKeys) await put({ Key: key, Body: `plaintext of ${key}` });
  await put({ Key: 'kms/ok', Body: 'already', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn });
  await putEnvelopeObject(pipeline.clients, {
    bucket,
    key: 'env/v3',
    body: Buffer.from('sealed by a client'),
    keyArn,
    format: 'v3',
  });
});

describe('encrypt --inventory', () => {
  it('enumerates from the report, one scan message per data file, and encrypts what needs it', async () => {
    const manifest = await inventoryOfBucket('Parquet', [...plainKeys, 'kms/ok', 'env/v3']);
    const envelopeBefore = (await headObject(pipeline.clients.s3, bucket, 'env/v3'))!;
    // Written after the report: an inventory run does not know it (docs/large-buckets.md).
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'later/new', Body: 'new' }));

    const run = await startRun(
      { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
      {
        bucket,
        prefix: '',
        mode: 'sse-kms',
        key: keyArn,
        inventory: manifest,
      },
    );
    expect(await scanQueueDepth()).toBe(3);
    const { run: done, unsettled } = await pipeline.process(run.runId);
    expect(unsettled).toBe(0);
    expect(done).toMatchObject({ discovered: 12, pagesScanned: 3, scanComplete: true });
    expect(done.counts).toMatchObject({ encrypted: 10, compliant: 2, skipped: 0, failed: 0 });
    for (const key of plainKeys) {
      const head = (await headObject(pipeline.clients.s3, bucket, key))!;
      expect(head.serverSideEncryption, key).toBe('aws:kms');
      expect(head.kmsKeyArn, key).toBe(keyArn);
      expect((await readPlaintext(pipeline.clients, bucket, key)).toString()).toBe(`plaintext of ${key}`);
    }
    // The NOT-SSE row that is an envelope: recognised by the handler's HEAD, never written.
    const envelopeAfter = (await headObject(pipeline.clients.s3, bucket, 'env/v3'))!;
    expect(envelopeAfter.etag).toBe(envelopeBefore.etag);
    expect(envelopeAfter.metadata[META_V3.wrappedKey]).toBe(envelopeBefore.metadata[META_V3.wrappedKey]);
    expect(
      (await headObject(pipeline.clients.s3, bucket, 'later/new'))!.serverSideEncryption,
    ).toBeUndefined();
  });

  it('reads a large data file in chunks, one message each, and counts a redelivered chunk once', async () => {
    const manifest = await inventoryOfBucket('CSV', plainKeys.slice(0, 3));
    const run = await startRun(
      { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
      { bucket, prefix: '', mode: 'sse-s3', inventory: manifest },
    );
    const deps = {
      ...pipeline.clients,
      runs: pipeline.runs,
      queues: pipeline.queues,
      // Settled rows are committed as decided chunks (docs/large-buckets.md).
      chunks: pipeline.chunks,
      auditLocation: pipeline.config.auditLocation,
      config: { scanPageSize: 1000, leaseSeconds: pipeline.config.leaseSeconds, actor: 'it-inventory-run' },
    };
    const small = { rowsPerMessage: 2 };
    const first = parseScanQueueMessage(await firstScanMessage()) as InventoryFileMessage;
    expect(first).toMatchObject({ runId: run.runId, rowStart: 0, chunk: 1 });
    // The first test left these objects under SSE-KMS: an sse-s3 run settles their rows itself.
    expect(await inventoryFilePage(first, deps, small)).toMatchObject({
      enqueued: 0,
      settled: 2,
      hasNextPage: true,
    });
    expect(await inventoryFilePage(first, deps, small)).toMatchObject({
      enqueued: 0,
      settled: 0,
      duplicate: true,
    });
    expect(await pipeline.runs.get(run.runId)).toMatchObject({ discovered: 2, scanComplete: false });

    const second = parseScanQueueMessage(await firstScanMessage()) as InventoryFileMessage;
    expect(second).toMatchObject({ rowStart: 2, chunk: 2, page: 1 });
    expect(await inventoryFilePage(second, deps, small)).toMatchObject({
      enqueued: 0,
      settled: 1,
      hasNextPage: false,
    });
    expect(await inventoryFilePage(second, deps, small)).toMatchObject({ enqueued: 0, duplicate: true });
    expect(await pipeline.runs.get(run.runId)).toMatchObject({
      discovered: 3,
      pagesScanned: 2,
      scanComplete: true,
    });
    expect(await scanQueueDepth()).toBe(0);
    const { run: done, unsettled } = await pipeline.process(run.runId);
    expect(unsettled).toBe(0);
    expect(done.counts).toMatchObject({ encrypted: 0, compliant: 3 });
  });

  it('refuses a report whose data file does not match its MD5, and records and queues nothing', async () => {
    const manifest = await inventoryOfBucket('CSV', plainKeys, true);
    const before = await runsOfBucket();
    await expect(
      startRun(
        { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
        {
          bucket,
          prefix: '',
          mode: 'sse-s3',
          inventory: manifest,
        },
      ),
    ).rejects.toThrow(/inventory data file .*part-1\.csv\.gz does not match its manifest/);
    expect(await runsOfBucket()).toEqual(before);
    expect(await scanQueueDepth()).toBe(0);
    // The CLI says so and exits 1.
    const out = runCli(['encrypt', `s3://${bucket}`, '--mode', 'sse-s3', '--inventory', manifest]);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/error: inventory data file .*part-1\.csv\.gz does not match its manifest/);
    expect(await runsOfBucket()).toEqual(before);
  });
});

/** This file's bucket's recent runs (the ledger table is shared with other test files and sessions). */
async function runsOfBucket(): Promise<string[]> {
  const ids = await pipeline.runs.recent(50);
  const runs = await Promise.all(ids.map((id) => pipeline.runs.get(id)));
  return runs.filter((run) => run?.bucket === bucket).map((run) => run!.runId);
}

/** Takes the run's one scan message off the queue (the test delivers it itself). */
async function firstScanMessage(): Promise<string> {
  const out = await pipeline.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: pipeline.queues.scan, MaxNumberOfMessages: 1, WaitTimeSeconds: 2 }),
  );
  const message = out.Messages![0]!;
  await pipeline.clients.sqs.send(
    new DeleteMessageCommand({ QueueUrl: pipeline.queues.scan, ReceiptHandle: message.ReceiptHandle }),
  );
  return message.Body!;
}
