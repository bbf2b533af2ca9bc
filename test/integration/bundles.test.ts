import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../../shared/jobs/start-run.js';
import { settled } from '../../shared/runs/run-store.js';
import { pollQueue, type SqsHandler } from '../../shared/worker/queue-poller.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import {
  createKmsKey,
  describeObject,
  readPlaintext,
  sha256,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';
import { extractZip, runOsls } from '../helpers/serverless.js';

/**
 * What `serverless package` ships, run: the esbuild bundles of the scan and encrypt functions,
 * unpacked from their zips and imported as Lambda imports them (ESM .mjs, bundled SDK, the
 * createRequire banner), drive a whole envelope backfill against LocalStack. Catches what a
 * packaging test cannot: a bundle that packs but fails to load or run.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
const handlers: Record<'scan' | 'encrypt', SqsHandler> = {} as never;

beforeAll(async () => {
  pipeline = await startPipeline('bundles');
  const packaged = runOsls('package', ['--stage', 'test']);
  expect(packaged.status, packaged.output).toBe(0);
  for (const fn of ['scan', 'encrypt'] as const) {
    const dir = extractZip(join(packaged.packageDir, `${fn}.zip`));
    const module = await import(pathToFileURL(join(dir, `functions/${fn}/handler.mjs`)).href);
    handlers[fn] = module.handler;
  }
});

const controller = new AbortController();
afterAll(() => controller.abort());

describe('the packaged bundles', () => {
  it('run an envelope backfill end to end: every object encrypted, readable, audited', async () => {
    const { s3 } = pipeline.clients;
    const bucket = uniqueBucket('bundles');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const objects = new Map<string, Buffer>();
    for (let i = 0; i < 11; i++) objects.set(`docs/${i}.txt`, randomBytes(1000 + i * 97));
    objects.set('big/six-mib.bin', randomBytes(6 * 1024 * 1024)); // multipart (5 MiB threshold)
    for (const [key, body] of objects) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: { origin: 'bundle-test' } }),
      );
    }
    const keyArn = await createKmsKey(pipeline.clients.kms);
    const run = await startRun(
      { ...pipeline.clients, runs: pipeline.runs, queues: pipeline.queues },
      { bucket, prefix: '', mode: 'envelope', key: keyArn },
    );

    const poll = (queueUrl: string, handler: SqsHandler, functionName: string) =>
      pollQueue({ sqs: pipeline.clients.sqs, queueUrl, handler, functionName, signal: controller.signal });
    const pollers = [
      poll(pipeline.queues.scan, handlers.scan, 's3-seal-test-scan'),
      poll(pipeline.queues.encrypt, handlers.encrypt, 's3-seal-test-encrypt'),
      poll(pipeline.queues.encrypt, handlers.encrypt, 's3-seal-test-encrypt'),
    ];
    let done = await pipeline.runs.get(run.runId);
    for (
      let waited = 0;
      waited < 120_000 && !(done?.scanComplete && settled(done.counts) >= done.discovered);
    ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      waited += 250;
      done = await pipeline.runs.get(run.runId);
    }
    controller.abort();
    await Promise.all(pollers);

    expect(done?.discovered).toBe(objects.size);
    expect(done?.counts.encrypted).toBe(objects.size);
    for (const [key, body] of objects) {
      const now = await describeObject(s3, bucket, key);
      expect([now.metadata['x-amz-c'], now.metadata['x-amz-w']], key).toEqual(['115', '12']);
      expect(now.userMetadata.origin).toBe('bundle-test');
      expect(sha256(await readPlaintext(pipeline.clients, bucket, key)), key).toBe(sha256(body));
    }
    // One committed record per object, each encrypted: the packaged handlers wrote and committed
    // the chunk logs.
    const audited = await recordsOfRun(pipeline, run.runId);
    expect(audited.map((r) => r.key).sort()).toEqual([...objects.keys()].sort());
    expect(audited.map((r) => r.decision)).toEqual(Array(objects.size).fill('encrypted'));
  });
});
