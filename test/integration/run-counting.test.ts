import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEncryptHandler } from '../../functions/encrypt/handler.js';
import { createEventsHandler } from '../../functions/events/handler.js';
import {
  MULTISET_HASH_ALGORITHM,
  MultisetAccumulator,
  multisetDigest,
} from '../../shared/audit/multiset-hash.js';
import { RunCloser } from '../../shared/audit/run-digest.js';
import { verifyRun } from '../../shared/audit/verify-run.js';
import { lineHash } from '../../shared/chunks/chunk-log-codec.js';
import type { ChunkRecord } from '../../shared/chunks/chunk-log-types.js';
import { createClients } from '../../shared/clients.js';
import { watchRunId } from '../../shared/events/event-chunk.js';
import { Faults, NO_FAULTS } from '../../shared/faults.js';
import { RunStore, settled } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { recordsOfRun, trailOf } from '../helpers/chunk-trail.js';
import { crashingAfter, createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { batchOf, plannedRun } from '../helpers/planned-run.js';
import { objectCreatedEvent, watchWholeBucket } from '../helpers/s3-events.js';

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

/** The run's trail as `audit verify --run` checks it: committed logs, their hashes, the closing digest. */
const verified = (runId: string) => verifyRun({ source: trailOf(pipeline), runs: pipeline.runs }, runId);

/** The digest a run closes with, recomputed: MuHASH over each committed record's line hash. */
function digestOf(records: ChunkRecord[]): string {
  const accumulator = new MultisetAccumulator();
  for (const record of records) accumulator.add(lineHash(record));
  return multisetDigest(accumulator.value);
}

/** The writes `s3` sends to `bucket` (not the audit trail's log PUTs): proves a step wrote nothing. */
function writesTo(s3: S3Client, bucket: string): string[] {
  const sent: string[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const input = args.input as { Bucket?: string };
      if (input.Bucket === bucket && /Copy|Put|Upload|Delete/.test(name)) sent.push(name);
      return next(args);
    },
    { step: 'initialize', name: 'writesTo' },
  );
  return sent;
}

/** A bucket with one plaintext object `doc.txt` under an sse-kms watch, and the watch's policies. */
async function watchedObject(label: string) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: 'bytes' }));
  const policies = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable);
  await watchWholeBucket(policies, bucket, keyArn);
  return { bucket, policies };
}

/** A user writes new plaintext bytes over `doc.txt`: its ObjectCreated event, and the new ETag. */
async function userWrites(bucket: string, sequencer: string): Promise<{ event: SQSEvent; etag: string }> {
  const put = await pipeline.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'doc.txt', Body: `new user bytes ${sequencer}` }),
  );
  const eTag = put.ETag!.replace(/"/g, '');
  const event = objectCreatedEvent({ bucket, key: 'doc.txt', eTag, sequencer }, `event-${sequencer}`);
  return { event, etag: put.ETag! };
}

describe('run accounting', () => {
  it('counts exactly and closes the run when the after-batch step fails and Lambda retries the batch', async () => {
    const bucket = uniqueBucket('count-retry');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 7, maxObjectBytes: 512 });
    const { runId, chunks } = await plannedRun(pipeline, bucket, keyArn, { intentsPerChunk: 3 });
    expect(chunks.map((c) => c.intents.length)).toEqual([3, 3, 1]);
    const event = batchOf(chunks);

    const broken = failingRuns();
    const first = createEncryptHandler(() => ({
      ...pipeline.encryptDeps(),
      runs: broken,
      closer: new RunCloser(broken),
    }));
    // The chunks ran (objects protected, logged, committed); the step after the batch failed: the whole batch comes back.
    await expect(first(event, {} as never)).rejects.toThrow(/DynamoDB unavailable/);
    const counted = (await pipeline.runs.get(runId))!;
    expect(counted.counts).toMatchObject({ encrypted: 7, compliant: 0, skipped: 0, failed: 0 });
    expect(counted.auditDigest).toBeUndefined();

    const retry = createEncryptHandler(() => ({
      ...pipeline.encryptDeps(),
      runs: pipeline.runs,
      closer: new RunCloser(pipeline.runs),
    }));
    expect((await retry(event, {} as never)).batchItemFailures).toEqual([]);

    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 7, compliant: 0, skipped: 0, failed: 0 });
    expect(settled(run.counts)).toBe(run.discovered);
    expect(run.discovered).toBe(7);
    expect(run.auditRecords).toBe(7);
    expect(run.auditDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(run.digestAlgorithm).toBe(MULTISET_HASH_ALGORITHM);
    // Each chunk was claimed and committed once: the retried batch was all duplicates.
    const items = await pipeline.trail.chunksOf(runId);
    expect(items.map((i) => [i.state, i.attempt])).toEqual(items.map(() => ['DONE', 1]));
    expect(items).toHaveLength(3);
    const records = await recordsOfRun(pipeline, runId);
    expect(records.map((r) => r.key).sort()).toEqual(
      chunks.flatMap((c) => c.intents.map((i) => i.key)).sort(),
    );
    expect(records.every((r) => r.decision === 'encrypted')).toBe(true);
    for (const { key } of records) {
      const head = (await headObject(pipeline.clients.s3, bucket, key))!;
      expect(head.serverSideEncryption, key).toBe('aws:kms');
      expect(head.kmsKeyArn, key).toBe(keyArn);
    }
    expect(await verified(runId)).toMatchObject({
      digest: 'matches',
      records: 7,
      chunks: 3,
      findings: [],
      notes: [],
    });
  });

  it('the batchretry fault fails the after-batch step: the retried batch counts nothing twice', async () => {
    const bucket = uniqueBucket('count-fault');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 4, maxObjectBytes: 512 });
    const { runId, chunks } = await plannedRun(pipeline, bucket, keyArn, { intentsPerChunk: 2 });
    expect(chunks).toHaveLength(2);
    const faults = new Faults({}, () => 0, { ...NO_FAULTS, batchretry: 1 }, 'throw');
    const deps = { ...pipeline.encryptDeps(), runs: pipeline.runs, closer: new RunCloser(pipeline.runs) };
    const failing = createEncryptHandler(() => ({ ...deps, faults }));
    await expect(failing(batchOf(chunks), {} as never)).rejects.toThrow(/after-batch/);
    expect(faults.injected.batchretry).toBe(1);
    // Counted already (by the chunks' commits), not yet closed: the failed step was the close check.
    expect((await pipeline.runs.get(runId))!).toMatchObject({ counts: { encrypted: 4 } });
    expect((await pipeline.runs.get(runId))!.auditDigest).toBeUndefined();
    expect((await createEncryptHandler(() => deps)(batchOf(chunks), {} as never)).batchItemFailures).toEqual(
      [],
    );
    expect((await createEncryptHandler(() => deps)(batchOf(chunks), {} as never)).batchItemFailures).toEqual(
      [],
    );
    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 4, compliant: 0, skipped: 0, failed: 0 });
    expect(settled(run.counts)).toBe(4);
    expect(run.auditRecords).toBe(4);
    expect(run.auditDigest).toMatch(/^[0-9a-f]{64}$/);
    const items = await pipeline.trail.chunksOf(runId);
    expect(items.map((i) => [i.state, i.attempt])).toEqual([
      ['DONE', 1],
      ['DONE', 1],
    ]);
    expect(await recordsOfRun(pipeline, runId)).toHaveLength(4);
    expect(await verified(runId)).toMatchObject({ digest: 'matches', records: 4, findings: [], notes: [] });
  });

  it('a watch decision racing a backfill redelivery leaves the backfill counts exact', async () => {
    const { bucket, policies } = await watchedObject('count-watch');
    const { runId, chunks } = await plannedRun(pipeline, bucket, keyArn);
    const deps = { ...pipeline.encryptDeps(), runs: pipeline.runs, closer: new RunCloser(pipeline.runs) };
    await createEncryptHandler(() => deps)(batchOf(chunks), {} as never);
    expect((await pipeline.runs.get(runId))!.counts).toMatchObject({ encrypted: 1, compliant: 0 });
    const backfilled = (await pipeline.trail.decisionOf(runId, bucket, 'doc.txt'))!;
    expect(backfilled).toMatchObject({ decision: 'encrypted', keyArn });

    // A user writes the object again; live enforcement decides it under its watch run.
    const { event } = await userWrites(bucket, '02');
    const events = createEventsHandler(() => ({ ...deps, policies }));
    expect((await events(event, {} as never)).batchItemFailures).toEqual([]);
    const watched = (await pipeline.trail.decisionOf(watchRunId(bucket, new Date()), bucket, 'doc.txt'))!;
    expect(watched).toMatchObject({ decision: 'encrypted', keyArn });
    expect(watched.runId).not.toBe(runId);
    const current = (await headObject(pipeline.clients.s3, bucket, 'doc.txt'))!;
    expect(current.etag).toBe(watched.etagAfter);
    expect(current.etag).not.toBe(backfilled.etagAfter);

    // The backfill's chunk comes back (a redelivery): committed already, it writes and counts nothing.
    const s3 = pipeline.newS3Client();
    const writes = writesTo(s3, bucket);
    const redelivery = createEncryptHandler(() => ({ ...deps, s3 }));
    expect((await redelivery(batchOf(chunks), {} as never)).batchItemFailures).toEqual([]);
    expect(writes).toEqual([]);
    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 1, compliant: 0, skipped: 0, failed: 0, superseded: 0 });
    expect(settled(run.counts)).toBe(1);
    expect(run.auditRecords).toBe(1);
    expect(await recordsOfRun(pipeline, runId)).toEqual([backfilled]);
    expect((await headObject(pipeline.clients.s3, bucket, 'doc.txt'))!.etag).toBe(watched.etagAfter);
    expect(await verified(runId)).toMatchObject({ digest: 'matches', records: 1, findings: [] });
  });

  it('a watch decision between a given-back backfill attempt and its redelivery: counted once, written once', async () => {
    const { bucket, policies } = await watchedObject('count-watch-back');
    const { runId, chunks } = await plannedRun(pipeline, bucket, keyArn);
    const deps = { ...pipeline.encryptDeps(), runs: pipeline.runs, closer: new RunCloser(pipeline.runs) };
    // The backfill's copy lands, then its attempt fails with a passing error: the chunk is given back.
    const crashing = crashingAfter(pipeline.newS3Client(), 'CopyObjectCommand');
    const first = await createEncryptHandler(() => ({ ...deps, s3: crashing }))(batchOf(chunks), {} as never);
    expect(first.batchItemFailures).toHaveLength(1);
    expect((await pipeline.trail.chunksOf(runId)).map((i) => i.state)).toEqual(['RETRY']);
    expect(settled((await pipeline.runs.get(runId))!.counts)).toBe(0);

    // A user writes the object again; live enforcement protects it under its watch run.
    const { event } = await userWrites(bucket, '03');
    const events = createEventsHandler(() => ({ ...deps, policies }));
    expect((await events(event, {} as never)).batchItemFailures).toEqual([]);
    const watched = (await pipeline.trail.decisionOf(watchRunId(bucket, new Date()), bucket, 'doc.txt'))!;
    expect(watched).toMatchObject({ decision: 'encrypted', keyArn });

    // The redelivery recovers from what S3 shows: the object is protected, so nothing is written,
    // and the backfill counts the object exactly once. A compliant object rewritten after the
    // chunk's first claim is attributed to s3-seal in server-side modes (docs/design/chunk-ledger.md,
    // "Crash recovery"): here the watch's write is, as `encrypted`, `reconciled`.
    const s3 = pipeline.newS3Client();
    const writes = writesTo(s3, bucket);
    const redelivery = createEncryptHandler(() => ({ ...deps, s3 }));
    expect((await redelivery(batchOf(chunks), {} as never)).batchItemFailures).toEqual([]);
    expect(writes).toEqual([]);
    expect((await headObject(pipeline.clients.s3, bucket, 'doc.txt'))!.etag).toBe(watched.etagAfter);
    const run = (await pipeline.runs.get(runId))!;
    expect(settled(run.counts)).toBe(1);
    expect(run.counts).toMatchObject({ skipped: 0, failed: 0, superseded: 0 });
    expect(run.counts.encrypted + run.counts.compliant).toBe(1);
    expect(run.auditRecords).toBe(1);
    const records = await recordsOfRun(pipeline, runId);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      key: 'doc.txt',
      decision: 'encrypted',
      reconciled: true,
      etagAfter: watched.etagAfter,
    });
    expect((await pipeline.trail.chunksOf(runId)).map((i) => [i.state, i.attempt])).toEqual([['DONE', 2]]);
    expect(await verified(runId)).toMatchObject({ digest: 'matches', records: 1, findings: [] });
  });

  it('closes with the digest its records give, recomputed from the records themselves', async () => {
    const bucket = uniqueBucket('count-digest');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 25, maxObjectBytes: 256 });
    const { run } = await pipeline.backfill(bucket, 'sse-kms', keyArn);
    const closed = (await pipeline.runs.get(run.runId))!;
    expect(closed.auditDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(closed.digestAlgorithm).toBe(MULTISET_HASH_ALGORITHM);
    const records = await recordsOfRun(pipeline, run.runId);
    expect(records).toHaveLength(25);
    expect(new Set(records.map((r) => r.key)).size).toBe(25);
    expect(closed.auditRecords).toBe(25);
    expect(digestOf(records)).toBe(closed.auditDigest);
    expect(digestOf(records.slice(1))).not.toBe(closed.auditDigest);
    const changed = { ...records[0]!, etagAfter: '"0123456789abcdef0123456789abcdef"' };
    expect(digestOf([changed, ...records.slice(1)])).not.toBe(closed.auditDigest);
    expect(await verified(run.runId)).toMatchObject({ digest: 'matches', records: 25, findings: [] });
  });
});
