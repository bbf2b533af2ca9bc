import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../shared/clients.js';
import type { ScanMessage } from '../../shared/jobs/messages.js';
import { type ScanDeps, scanPage } from '../../shared/jobs/scan-page.js';
import { newRunId, RunStore } from '../../shared/runs/run-store.js';
import { startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * A scan page is counted exactly once, whatever happens to its deliveries: the page marker and the
 * run's counters are one transaction. Before they were, a scan that died between the two left the
 * page marked done but uncounted, and its run never completed (found by the chaos soak).
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
/** Where pages' listing records go (docs/architecture.md, "Chunks"). */
let auditBucket: string;

beforeAll(async () => {
  pipeline = await startPipeline('scan-page');
  bucket = uniqueBucket('scan-page');
  auditBucket = uniqueBucket('scan-page-audit');
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: auditBucket }));
  for (let i = 0; i < 7; i++) {
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: `object ${i}` }),
    );
  }
});

async function newRun(): Promise<ScanMessage> {
  const run = await pipeline.runs.create({
    runId: newRunId(),
    bucket,
    prefix: '',
    mode: 'sse-s3',
    startedAt: new Date().toISOString(),
  });
  return { type: 'scan', runId: run.runId, bucket, prefix: '', mode: 'sse-s3', page: 1 };
}

const deps = (runs: RunStore = pipeline.runs): ScanDeps => ({
  ...pipeline.clients,
  runs,
  queues: pipeline.queues,
  auditLocation: { bucket: auditBucket, prefix: 'audit/' },
  config: { scanPageSize: 1000 },
});

async function encryptQueueDepth(): Promise<number> {
  const out = await pipeline.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: pipeline.queues.encrypt,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

describe('scanPage', () => {
  it('counts a page delivered twice once', async () => {
    const message = await newRun();
    const before = await encryptQueueDepth();
    expect(await scanPage(message, deps())).toEqual({ enqueued: 7, hasNextPage: false, duplicate: false });
    expect(await scanPage(message, deps())).toEqual({ enqueued: 0, hasNextPage: false, duplicate: true });
    const run = await pipeline.runs.get(message.runId);
    expect(run).toMatchObject({ discovered: 7, scanComplete: true });
    // Seven objects, one chunk message.
    expect((await encryptQueueDepth()) - before).toBe(1);
  });

  it('a delivery that dies while recording the page leaves it unrecorded; the redelivery counts it once', async () => {
    const message = await newRun();
    // A DynamoDB client whose first write of the page's counters never reaches DynamoDB: the
    // process "died" there (with the marker written first and the counters second, this is where
    // a page got marked done but never counted).
    const dying = createClients(pipeline.config).dynamo;
    let crashed = false;
    const writesCounters = (input: { TransactItems?: unknown; UpdateExpression?: string }) =>
      input.TransactItems !== undefined || input.UpdateExpression?.includes('discovered');
    dying.middlewareStack.add(
      (next) => async (args) => {
        if (!crashed && writesCounters(args.input as never)) {
          crashed = true;
          throw new Error('crashed while recording the page');
        }
        return next(args);
      },
      { step: 'initialize', name: 'crashOnce' },
    );
    await expect(scanPage(message, deps(new RunStore(dying, pipeline.config.ledgerTable)))).rejects.toThrow(
      'crashed while recording',
    );
    expect(await pipeline.runs.get(message.runId)).toMatchObject({ discovered: 0, scanComplete: false });

    // The bucket changes before the redelivery: the page's listing record keeps its membership.
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k7', Body: 'late' }));
    try {
      expect((await scanPage(message, deps())).duplicate).toBe(false);
    } finally {
      await pipeline.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k7' }));
    }
    expect((await scanPage(message, deps())).duplicate).toBe(true);
    expect(await pipeline.runs.get(message.runId)).toMatchObject({ discovered: 7, scanComplete: true });
  });
});
