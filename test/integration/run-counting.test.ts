import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEncryptHandler } from '../../functions/encrypt/handler.js';
import { createEventsHandler } from '../../functions/events/handler.js';
import { recordsOfRun } from '../../shared/audit/audit-records.js';
import type { ChainedRecord } from '../../shared/audit/hash-chain.js';
import { MULTISET_HASH_ALGORITHM } from '../../shared/audit/multiset-hash.js';
import { RunCloser } from '../../shared/audit/run-digest.js';
import { recomputedDigest, verifyAudit } from '../../shared/audit/verify-audit.js';
import { createClients } from '../../shared/clients.js';
import { Faults, NO_FAULTS } from '../../shared/faults.js';
import { RunStore, settled } from '../../shared/runs/run-store.js';
import { notificationIdFor, WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { batchOf, plannedRun } from '../helpers/planned-run.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('run-counting');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

/** A RunStore whose every call fails, as the after-batch step's DynamoDB calls would in an outage. */
function failingRuns(): RunStore {
  const down = createClients(pipeline.config).dynamo;
  down.middlewareStack.add(
    () => async () => {
      throw Object.assign(new Error('injected: DynamoDB unavailable'), { name: 'InternalServerError' });
    },
    { step: 'initialize', name: 'failEverything' },
  );
  return new RunStore(down, pipeline.config.ledgerTable);
}

describe('run accounting', () => {
  it('counts exactly and closes the run when the after-batch step fails and Lambda retries the batch', async () => {
    const bucket = uniqueBucket('count-retry');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 7, maxObjectBytes: 512 });
    const { runId, jobs } = await plannedRun(pipeline, bucket, keyArn);
    const event = batchOf(jobs);

    const broken = failingRuns();
    const first = createEncryptHandler(() => ({
      ...pipeline.encryptDeps(),
      runs: broken,
      closer: new RunCloser(broken),
    }));
    // The jobs ran (objects protected, audited); the step after the batch failed: the whole batch comes back.
    await expect(first(event, {} as never)).rejects.toThrow(/DynamoDB unavailable/);

    const retry = createEncryptHandler(() => ({
      ...pipeline.encryptDeps(),
      runs: pipeline.runs,
      closer: new RunCloser(pipeline.runs),
    }));
    expect((await retry(event, {} as never)).batchItemFailures).toEqual([]);

    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 7, compliant: 0, skipped: 0, failed: 0 });
    expect(settled(run.counts)).toBe(run.discovered);
    expect(run.auditRecords).toBe(7);
    expect(run.digestAlgorithm).toBe(MULTISET_HASH_ALGORITHM);
    const verified = await verifyAudit(
      {
        dynamo: pipeline.clients.dynamo,
        auditTable: pipeline.config.auditTable,
        ledgerTable: pipeline.config.ledgerTable,
        runs: pipeline.runs,
      },
      { runId },
    );
    expect(verified).toMatchObject({ digest: 'matches', records: 7, findings: [] });
  });

  it('the batchretry fault fails the after-batch step: the retried batch counts nothing twice', async () => {
    const bucket = uniqueBucket('count-fault');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 4, maxObjectBytes: 512 });
    const { runId, jobs } = await plannedRun(pipeline, bucket, keyArn);
    const faults = new Faults({}, () => 0, { ...NO_FAULTS, batchretry: 1 }, 'throw');
    const deps = { ...pipeline.encryptDeps(), runs: pipeline.runs, closer: new RunCloser(pipeline.runs) };
    const failing = createEncryptHandler(() => ({ ...deps, faults }));
    await expect(failing(batchOf(jobs), {} as never)).rejects.toThrow(/after-batch/);
    expect(faults.injected.batchretry).toBe(1);
    // Counted already (by the audit appends), not yet closed: the failed step was the close check.
    expect((await pipeline.runs.get(runId))!).toMatchObject({ counts: { encrypted: 4 } });
    expect((await pipeline.runs.get(runId))!.auditDigest).toBeUndefined();
    await createEncryptHandler(() => deps)(batchOf(jobs), {} as never);
    await createEncryptHandler(() => deps)(batchOf(jobs), {} as never);
    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 4, compliant: 0 });
    expect(run.auditRecords).toBe(4);
  });

  it('a watch decision racing a backfill redelivery leaves the backfill counts exact', async () => {
    const bucket = uniqueBucket('count-watch');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: 'bytes' }));
    const policies = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    await policies.put({
      bucket,
      prefix: '',
      suffix: '',
      mode: 'sse-kms',
      keyArn,
      notificationId: notificationIdFor('', ''),
      createdAt: new Date().toISOString(),
    });
    const { runId, jobs } = await plannedRun(pipeline, bucket, keyArn);
    const deps = { ...pipeline.encryptDeps(), runs: pipeline.runs, closer: new RunCloser(pipeline.runs) };
    await createEncryptHandler(() => deps)(batchOf(jobs), {} as never);
    expect((await pipeline.runs.get(runId))!.counts).toMatchObject({ encrypted: 1, compliant: 0 });

    // A user writes the object again; live enforcement decides it under its watch run.
    const put = await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: 'new user bytes' }),
    );
    const events = createEventsHandler(() => ({ ...deps, policies }));
    const created: SQSEvent = {
      Records: [
        {
          messageId: 'event-1',
          receiptHandle: 'event-1',
          body: JSON.stringify({
            Records: [
              {
                eventVersion: '2.1',
                eventSource: 'aws:s3',
                eventName: 'ObjectCreated:Put',
                s3: {
                  bucket: { name: bucket },
                  object: { key: 'doc.txt', eTag: put.ETag!.replace(/"/g, ''), sequencer: '02' },
                },
              },
            ],
          }),
        } as never,
      ],
    };
    expect((await events(created, {} as never)).batchItemFailures).toEqual([]);
    const item = await pipeline.ledger.get({ bucket, key: 'doc.txt', operation: 'encrypt' });
    expect(item?.runId).not.toBe(runId);

    // The backfill's job comes back (a redelivery): it finds the object compliant, and counts nothing.
    expect((await createEncryptHandler(() => deps)(batchOf(jobs), {} as never)).batchItemFailures).toEqual(
      [],
    );
    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 1, compliant: 0, skipped: 0 });
    expect(settled(run.counts)).toBe(1);
    expect(run.auditRecords).toBe(1);
  });

  it('closes with the digest its records give, recomputed from the records themselves', async () => {
    const bucket = uniqueBucket('count-digest');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 25, maxObjectBytes: 256 });
    const { run } = await pipeline.backfill(bucket, 'sse-kms', keyArn);
    const closed = (await pipeline.runs.get(run.runId))!;
    expect(closed.auditDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(closed.digestAlgorithm).toBe(MULTISET_HASH_ALGORITHM);
    const records: ChainedRecord[] = [];
    for await (const record of recordsOfRun(pipeline.clients.dynamo, pipeline.config.auditTable, run.runId))
      records.push(record as ChainedRecord);
    expect(records).toHaveLength(25);
    expect(closed.auditRecords).toBe(25);
    expect(recomputedDigest(MULTISET_HASH_ALGORITHM, records)).toBe(closed.auditDigest);
    expect(recomputedDigest(MULTISET_HASH_ALGORITHM, records.slice(1))).not.toBe(closed.auditDigest);
  });
});
