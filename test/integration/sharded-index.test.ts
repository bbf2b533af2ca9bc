import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RewrapPlanPageMessage } from '../../shared/jobs/messages.js';
import { backfillWrapKeys } from '../../shared/ledger/backfill-wrap-keys.js';
import { objectPartitionKey } from '../../shared/ledger/dynamodb-ledger.js';
import { KeySummaries, objectsUpTo, sumOfKey } from '../../shared/ledger/key-summaries.js';
import { summaryShardFor } from '../../shared/ledger/summary-shards.js';
import { wrapKeyOf, wrapShardOf } from '../../shared/ledger/wrap-key.js';
import { rewrapPlanPage } from '../../shared/rewrap/plan-page.js';
import { planRewrap, shardsToPlan } from '../../shared/rewrap/plan-rewrap.js';
import { PlanPages } from '../../shared/runs/plan-pages.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

// Plan pages are as long as listing pages: two objects a page makes the crowded shard a chain.
process.env.S3SEAL_SCAN_PAGE_SIZE = '2';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyA: string;
let keyB: string;
const bucket = uniqueBucket('sharded');
const CROWDED = 7;
const objects: string[] = [];

/** Object names that all hash to one shard, so one shard's chain spans several pages. */
function namesInShard(shard: number, count: number): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    if (wrapShardOf(bucket, `crowded/object-${i}`) === shard) names.push(`crowded/object-${i}`);
  }
  return names;
}

/** A key's objects: its months summed over all its summary items (only sums mean anything). */
const total = async (keyArn: string) =>
  objectsUpTo(
    sumOfKey(await new KeySummaries(pipeline.clients.dynamo, pipeline.config.ledgerTable).forKey(keyArn)),
  );

beforeAll(async () => {
  pipeline = await startPipeline('sharded');
  [keyA, keyB] = [await createKmsKey(pipeline.clients.kms), await createKmsKey(pipeline.clients.kms)];
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  objects.push(...namesInShard(CROWDED, 7), ...Array.from({ length: 25 }, (_, i) => `spread/${i}.txt`));
  for (const key of objects) {
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bytes of ${key}` }),
    );
  }
  expect((await pipeline.backfill(bucket, 'sse-kms', keyA)).run.counts.encrypted).toBe(objects.length);
});

describe('the sharded wrapping-key index', () => {
  it("gives every protected object its shard's index key and counts it on its process's summary item of the key", async () => {
    for (const key of objects) {
      const item = await pipeline.ledger.get({ bucket, key, operation: 'encrypt' });
      expect((item as { wrapKey?: string } | undefined)?.wrapKey, key).toBe(
        wrapKeyOf(keyA, wrapShardOf(bucket, key)),
      );
    }
    const summaries = await new KeySummaries(pipeline.clients.dynamo, pipeline.config.ledgerTable).forKey(
      keyA,
    );
    // The objects sit on many index shards, but this one process counted them all on the one summary
    // item it keeps for the key: one summary update per group, not one per object.
    expect(new Set(objects.map((key) => wrapShardOf(bucket, key))).size).toBeGreaterThan(10);
    expect(summaries.map((s) => s.shard)).toEqual([summaryShardFor(keyA)]);
    expect(objectsUpTo(summaries[0]!)).toBe(objects.length);
    const crowded = objects.filter((key) => wrapShardOf(bucket, key) === CROWDED).length;
    expect(crowded).toBeGreaterThanOrEqual(7);
    expect(await total(keyA)).toBe(objects.length);
  });

  it('plans a rewrap as chains of index pages that find every object once, a redelivered page counted once', async () => {
    const shards = new Set(objects.map((key) => wrapShardOf(bucket, key)));
    const run = await planRewrap(pipeline.plannerDeps(), {
      bucket,
      prefix: '',
      fromKeyArn: keyA,
      toKeyArn: keyB,
    });
    expect(run.chains).toBe(shards.size);
    expect(run.scanComplete).toBe(false);

    // The crowded shard's first page, delivered here and again (as SQS may redeliver it), while the
    // queued copy waits: only the first delivery enqueues and counts.
    const head: RewrapPlanPageMessage = {
      type: 'rewrap-plan',
      runId: run.runId,
      bucket,
      prefix: '',
      fromKeyArn: keyA,
      toKeyArn: keyB,
      shard: CROWDED,
      chains: run.chains,
      page: 1,
    };
    const deps = { ...pipeline.clients, queues: pipeline.queues, config: pipeline.config };
    expect(await rewrapPlanPage(head, deps)).toEqual({ enqueued: 2, hasNextPage: true, duplicate: false });
    expect(await rewrapPlanPage(head, deps)).toEqual({ enqueued: 0, hasNextPage: false, duplicate: true });

    const { run: done } = await pipeline.process(run.runId);
    expect(done.scanComplete).toBe(true);
    expect(done.discovered).toBe(objects.length);
    expect(done.counts.encrypted).toBe(objects.length);
    // Seven objects at two a page: the crowded chain alone took four pages.
    expect(done.pagesScanned).toBeGreaterThanOrEqual(shards.size + 3);
    for (const key of objects)
      expect((await headObject(pipeline.clients.s3, bucket, key))!.kmsKeyArn, key).toBe(keyB);
    expect(await total(keyA)).toBe(0);
    expect(await total(keyB)).toBe(objects.length);
  });

  it('completes a plan that finds nothing at once, with no chain', async () => {
    const run = await planRewrap(pipeline.plannerDeps(), {
      bucket,
      prefix: '',
      fromKeyArn: keyA,
      toKeyArn: keyB,
    });
    expect(run).toMatchObject({ chains: 0, scanComplete: true, discovered: 0 });
    expect(
      await planRewrap(
        pipeline.plannerDeps(),
        { prefix: '', fromKeyArn: keyA, toKeyArn: keyB },
        { skipEmpty: true },
      ),
    ).toBeUndefined();
  });

  it("completes the run when a chain's last page was counted but the process died before completing it", async () => {
    const runId = newRunId();
    await pipeline.runs.create({
      runId,
      bucket,
      prefix: '',
      mode: 'rewrap',
      keyArn: keyB,
      startedAt: new Date().toISOString(),
    });
    // The dead delivery counted the chain's only page, then stopped.
    expect(
      await new PlanPages(pipeline.clients.dynamo, pipeline.config.ledgerTable).record(runId, 3, 1, 0, true),
    ).toBe(true);
    expect((await pipeline.runs.get(runId))!.scanComplete).toBe(false);
    const redelivered: RewrapPlanPageMessage = {
      type: 'rewrap-plan',
      runId,
      bucket,
      prefix: '',
      fromKeyArn: keyA,
      toKeyArn: keyB,
      shard: 3,
      chains: 1,
      page: 1,
    };
    const deps = { ...pipeline.clients, queues: pipeline.queues, config: pipeline.config };
    expect(await rewrapPlanPage(redelivered, deps)).toMatchObject({ duplicate: true, enqueued: 0 });
    expect(await pipeline.runs.get(runId)).toMatchObject({
      scanComplete: true,
      discovered: 0,
      pagesScanned: 1,
    });
  });

  it('backfills the index key and summary of items written before the sharded index', async () => {
    // Objects alone on their shard, so their shards hold nothing else of keyB.
    const shardOf = (key: string) => wrapShardOf(bucket, key);
    const legacy = objects
      .filter((key) => objects.filter((other) => shardOf(other) === shardOf(key)).length === 1)
      .slice(0, 3);
    expect(legacy).toHaveLength(3);
    const summaries = new KeySummaries(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    for (const key of legacy) {
      // As an earlier version wrote it: keyArn and wrappedAt, no wrapKey, not counted. The count is
      // taken off the object's shard, another item than the one it was added on: only sums count.
      const out = await pipeline.clients.dynamo.send(
        new UpdateCommand({
          TableName: pipeline.config.ledgerTable,
          Key: { pk: objectPartitionKey(bucket, key), sk: 'encrypt' },
          UpdateExpression: 'REMOVE wrapKey',
          ReturnValues: 'ALL_OLD',
        }),
      );
      await summaries.add(keyB, wrapShardOf(bucket, key), out.Attributes!.wrappedAt, -1);
    }
    expect(await total(keyB)).toBe(objects.length - 3);
    const before = await shardsToPlan(pipeline.plannerDeps(), keyB);
    for (const key of legacy) expect(before).not.toContain(shardOf(key));

    expect(
      await backfillWrapKeys(pipeline.clients.dynamo, pipeline.config.ledgerTable, { keyArn: keyB }),
    ).toEqual({
      indexed: 3,
      raced: 0,
    });
    expect(await total(keyB)).toBe(objects.length);
    const after = await shardsToPlan(pipeline.plannerDeps(), keyB);
    for (const key of legacy) expect(after).toContain(shardOf(key));
    // Run again: nothing left to do.
    expect(
      await backfillWrapKeys(pipeline.clients.dynamo, pipeline.config.ledgerTable, { keyArn: keyB }),
    ).toEqual({
      indexed: 0,
      raced: 0,
    });
  });
});
