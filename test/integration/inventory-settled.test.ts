import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { DeleteMessageCommand, PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { inventoryFilePage } from '../../shared/jobs/inventory-file.js';
import { type InventoryFileMessage, parseScanQueueMessage } from '../../shared/jobs/messages.js';
import { startRun } from '../../shared/jobs/start-run.js';
import type { RunStore } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { SseCustomerKey } from '../../shared/s3/sse-c-key.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { writeReportOfBucket } from '../helpers/inventory-report.js';
import { createKmsKey, readPlaintext, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * Inventory rows the row alone decides (docs/large-buckets.md, "Rows settled from the inventory"):
 * an sse-s3 run counts SSE-S3/SSE-KMS rows compliant and SSE-C rows skipped without one S3 request
 * about them; NOT-SSE rows still go to the encrypt handler, whose HEAD finds client-side envelopes.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let inventoryBucket: string;
let keyArn: string;
const sseS3Keys = ['sse/a', 'sse/b b', 'sse/c+c', 'sse/d'];
const plainKeys = ['plain/1', 'plain/2', 'plain/3'];
const settledKeys = [...sseS3Keys, 'kms/ok', 'ssec/secret'];
/** Every S3 request the in-process pipeline sends, by the object key it names. */
const requestsByKey = new Map<string, string[]>();

beforeAll(async () => {
  pipeline = await startPipeline('inventory-settled');
  bucket = uniqueBucket('inv-settled');
  inventoryBucket = uniqueBucket('inv-settled-reports');
  keyArn = await createKmsKey(pipeline.clients.kms);
  const s3 = pipeline.clients.s3;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: inventoryBucket }));
  await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })).catch(() => undefined);
  const put = (input: Omit<PutObjectCommandInput, 'Bucket'>) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, ...input }));
  for (const key of sseS3Keys) await put({ Key: key, Body: `sse-s3 ${key}`, ServerSideEncryption: 'AES256' });
  for (const key of plainKeys) await put({ Key: key, Body: `plaintext of ${key}` });
  await put({ Key: 'kms/ok', Body: 'kms', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyArn });
  await put({ Key: 'ssec/secret', Body: 'customer', ...SseCustomerKey.random().params() });
  await putEnvelopeObject(pipeline.clients, {
    bucket,
    key: 'env/v3',
    body: Buffer.from('sealed by a client'),
    keyArn,
    format: 'v3',
  });
  // The handlers run in this process on the same client (handlerRuntime): this sees all of them.
  pipeline.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string };
      if (input.Bucket === bucket && input.Key !== undefined) {
        const key = input.Key;
        requestsByKey.set(key, [...(requestsByKey.get(key) ?? []), String(context.commandName)]);
      }
      return next(args);
    },
    { step: 'initialize', name: 'requestsByKey' },
  );
});

async function inventoryOfBucket(): Promise<{ manifest: string; etags: Map<string, string> }> {
  return writeReportOfBucket(pipeline.clients.s3, {
    bucket,
    reportBucket: inventoryBucket,
    keys: [...sseS3Keys, ...plainKeys, 'kms/ok', 'env/v3'],
    format: 'CSV',
    // HEAD without the customer key is refused; the report shows SSE-C anyway.
    extra: [{ key: 'ssec/secret', size: 8, etag: 'c0ffee', encryptionStatus: 'SSE-C' }],
  });
}

describe('encrypt --inventory --mode sse-s3: rows settled from the inventory', () => {
  it('counts compliant and SSE-C rows with no S3 request about them, encrypts the rest, once per object', async () => {
    const { manifest, etags } = await inventoryOfBucket();
    // Only what the run sends counts (the report was built from HEADs).
    requestsByKey.clear();
    const run = await startRun(
      { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
      { bucket, prefix: '', mode: 'sse-s3', inventory: manifest },
    );
    const message = parseScanQueueMessage(await takeScanMessage()) as InventoryFileMessage;
    const deps = {
      ...pipeline.clients,
      runs: pipeline.runs,
      queues: pipeline.queues,
      // Settled rows are committed as decided chunks (docs/large-buckets.md).
      chunks: pipeline.chunks,
      auditLocation: pipeline.config.auditLocation,
      config: {
        scanPageSize: 1000,
        leaseSeconds: pipeline.config.leaseSeconds,
        actor: 'it-inventory-settled',
      },
    };
    // A delivery that dies after its commits and sends, before its page is recorded: the
    // redelivery finds its settled chunks committed and queues the same chunks, and the run still
    // counts each object once.
    const crashing = Object.create(pipeline.runs, {
      recordPage: { value: async () => Promise.reject(new Error('killed before the page record')) },
    }) as RunStore;
    await expect(inventoryFilePage(message, { ...deps, runs: crashing })).rejects.toThrow(/killed/);
    expect(await inventoryFilePage(message, deps)).toMatchObject({
      settled: 6,
      enqueued: 4,
      duplicate: false,
    });
    expect(await inventoryFilePage(message, deps)).toMatchObject({
      settled: 0,
      enqueued: 0,
      duplicate: true,
    });

    const { run: done, unsettled } = await pipeline.process(run.runId);
    expect(unsettled).toBe(0);
    expect(done).toMatchObject({ discovered: 10, scanComplete: true, auditRecords: 10 });
    expect(done.counts).toMatchObject({ encrypted: 3, compliant: 6, skipped: 1, failed: 0 });
    expect(done.counts.reasons).toMatchObject({ 'sse-c': 1 });

    // Not one request about a settled object, by any part of the pipeline; a HEAD for each NOT-SSE row.
    for (const key of settledKeys) expect(requestsByKey.get(key), key).toBeUndefined();
    for (const key of [...plainKeys, 'env/v3'])
      expect(requestsByKey.get(key), key).toContain('HeadObjectCommand');
    expect(requestsByKey.get('env/v3')).not.toContain('CopyObjectCommand');
    for (const key of plainKeys) {
      expect((await headObject(pipeline.clients.s3, bucket, key))!.serverSideEncryption).toBe('AES256');
      expect((await readPlaintext(pipeline.clients, bucket, key)).toString()).toBe(`plaintext of ${key}`);
    }

    // One audit record per object; the settled ones name the inventory and carry the row's ETag.
    const records = await recordsOfRun(pipeline, run.runId);
    expect(records).toHaveLength(10);
    const byKey = new Map(records.map((r) => [r.key, r]));
    for (const key of settledKeys) {
      const record = byKey.get(key)!;
      expect(record.method, key).toBe('inventory-row');
      expect(record.etagBefore, key).toBe(etags.get(key));
      expect(record.actor, key).toBe('it-inventory-settled');
    }
    expect(byKey.get('sse/a')).toMatchObject({ decision: 'compliant', method: 'inventory-row' });
    expect(byKey.get('ssec/secret')).toMatchObject({ decision: 'skipped', mode: 'sse-s3', reason: 'sse-c' });
    expect(byKey.get('env/v3')).toMatchObject({ decision: 'compliant' });

    const verified = runCli(['audit', 'verify', '--run', run.runId]);
    expect(verified.status).toBe(0);
    expect(verified.stdout + verified.stderr).toMatch(/10 audit record\(s\) of 10 object\(s\).*no problems/);
  });

  it('settles the same rows through the scan handler, whose records name its actor', async () => {
    const { manifest } = await inventoryOfBucket();
    // The first run's redelivered data file queued its chunks twice; the run closed on the first copies.
    // Its leftovers would be HEADed here (as duplicates, writing nothing): clear them first.
    for (const queue of [pipeline.queues.encrypt, pipeline.queues.scan]) {
      await pipeline.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queue }));
    }
    requestsByKey.clear();
    const run = await startRun(
      { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
      { bucket, prefix: '', mode: 'sse-s3', inventory: manifest },
    );
    const { run: done, unsettled } = await pipeline.process(run.runId);
    expect(unsettled).toBe(0);
    // The plain objects are SSE-S3 now, their rows say so: only the envelope's row needs a HEAD.
    expect(done).toMatchObject({ discovered: 10, scanComplete: true, auditRecords: 10 });
    expect(done.counts).toMatchObject({ encrypted: 0, compliant: 9, skipped: 1, failed: 0 });
    for (const key of [...settledKeys, ...plainKeys]) expect(requestsByKey.get(key), key).toBeUndefined();
    expect(requestsByKey.get('env/v3')).toContain('HeadObjectCommand');
    const actors = new Set<string>();
    for (const record of await recordsOfRun(pipeline, run.runId)) {
      if (record.key !== 'env/v3') actors.add(record.actor);
    }
    expect([...actors]).toEqual([pipeline.config.actor]);
  });
});

/** Takes the run's one scan message off the queue (the test delivers it itself). */
async function takeScanMessage(): Promise<string> {
  const out = await pipeline.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: pipeline.queues.scan, MaxNumberOfMessages: 1, WaitTimeSeconds: 2 }),
  );
  const message = out.Messages![0]!;
  await pipeline.clients.sqs.send(
    new DeleteMessageCommand({ QueueUrl: pipeline.queues.scan, ReceiptHandle: message.ReceiptHandle }),
  );
  return message.Body!;
}
