import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEventsHandler } from '../../functions/events/handler.js';
import { notificationIdFor, WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('own-writes');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

const created = (bucket: string, key: string, eTag: string): SQSEvent => ({
  Records: [
    {
      messageId: `${key}-${eTag}`,
      receiptHandle: `${key}-${eTag}`,
      body: JSON.stringify({
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: bucket }, object: { key, eTag, sequencer: '01' } },
          },
        ],
      }),
    } as never,
  ],
});

describe('the echo of our own write on a watched bucket', () => {
  it('costs one ledger read: no HEAD, no decision, and the backfill keeps its ledger item', async () => {
    const bucket = uniqueBucket('own-writes');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: 'bytes' }));
    const policies = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    await policies.put({
      bucket,
      prefix: '',
      suffix: '',
      mode: 'envelope',
      keyArn,
      notificationId: notificationIdFor('', ''),
      createdAt: new Date().toISOString(),
    });
    const { run } = await pipeline.backfill(bucket, 'envelope', keyArn);
    const before = await pipeline.ledger.get({ bucket, key: 'doc.txt', operation: 'encrypt' });
    expect(before).toMatchObject({ state: 'DONE', runId: run.runId, method: 'envelope' });

    const s3 = pipeline.newS3Client();
    const sent: string[] = [];
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const handler = createEventsHandler(() => ({
      ...pipeline.encryptDeps({ s3 }),
      runs: pipeline.runs,
      policies,
    }));
    const echo = before!.resultEtag!.replace(/"/g, '');
    expect((await handler(created(bucket, 'doc.txt', echo), {} as never)).batchItemFailures).toEqual([]);
    expect(sent).toEqual([]);
    expect(await pipeline.ledger.get({ bucket, key: 'doc.txt', operation: 'encrypt' })).toEqual(before);

    // A user's write is not an echo: it is decided as usual (a HEAD, then protection).
    const put = await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: 'new user bytes' }),
    );
    const response = await handler(created(bucket, 'doc.txt', put.ETag!.replace(/"/g, '')), {} as never);
    expect(response.batchItemFailures).toEqual([]);
    expect(sent).toContain('HeadObjectCommand');
    expect((await pipeline.ledger.get({ bucket, key: 'doc.txt', operation: 'encrypt' }))?.runId).not.toBe(
      run.runId,
    );
  });
});
