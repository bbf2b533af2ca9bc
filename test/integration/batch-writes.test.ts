import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEncryptHandler } from '../../functions/encrypt/handler.js';
import { createRewrapHandler } from '../../functions/rewrap/handler.js';
import { DynamoDbAuditLog } from '../../shared/audit/audit-log.js';
import { recordsOfRun } from '../../shared/audit/audit-records.js';
import { DynamoDbJobCloser } from '../../shared/audit/close-together.js';
import { RunCloser } from '../../shared/audit/run-digest.js';
import { verifyAudit } from '../../shared/audit/verify-audit.js';
import { createClients } from '../../shared/clients.js';
import type { RewrapJob } from '../../shared/jobs/messages.js';
import { DynamoDbLedger, objectPartitionKey } from '../../shared/ledger/dynamodb-ledger.js';
import { KeySummaries, objectsUpTo, sumOfKey } from '../../shared/ledger/key-summaries.js';
import { GroupCommit } from '../../shared/lifecycle/group-commit.js';
import { RunStore } from '../../shared/runs/run-store.js';
import { ShardPool } from '../../shared/runs/shard-pool.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { batchOf, plannedRun, recordedRun } from '../helpers/planned-run.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('batch-writes');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

/** Encrypt handler dependencies whose DynamoDB writes share transactions, with a request count. */
function batchedDeps(options: { s3?: Pipeline['clients']['s3'] } = {}) {
  const { config } = pipeline;
  const dynamo = createClients(config).dynamo;
  const requests: string[] = [];
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const group = new GroupCommit({ windowMs: 200 });
  const shards = new ShardPool(4);
  const runs = new RunStore(dynamo, config.ledgerTable);
  const deps = {
    ...pipeline.encryptDeps({
      s3: options.s3 ?? pipeline.clients.s3,
      ledger: new DynamoDbLedger(dynamo, config.ledgerTable, { group }),
      audit: new DynamoDbAuditLog(dynamo, config.auditTable, config.ledgerTable, { shards }),
      jobCloser: new DynamoDbJobCloser(dynamo, config.auditTable, config.ledgerTable, shards, group),
    }),
    runs,
    closer: new RunCloser(runs),
    group,
  };
  return { deps, requests, dynamo };
}

async function encryptedUnderKey(bucket: string, key: string): Promise<boolean> {
  const head = await pipeline.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return head.ServerSideEncryption === 'aws:kms' && head.SSEKMSKeyId === keyArn;
}

const verify = (runId: string) =>
  verifyAudit(
    {
      dynamo: pipeline.clients.dynamo,
      auditTable: pipeline.config.auditTable,
      ledgerTable: pipeline.config.ledgerTable,
      runs: pipeline.runs,
    },
    { runId },
  );

describe('batch-first storage on DynamoDB Local', () => {
  it('claims a batch in one transaction and closes it in one, counting every object once', async () => {
    const bucket = uniqueBucket('bw-ten');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 10, maxObjectBytes: 512 });
    const { runId, jobs } = await plannedRun(pipeline, bucket, keyArn);
    const { deps, requests } = batchedDeps();
    const handler = createEncryptHandler(() => deps);
    expect((await handler(batchOf(jobs), {} as never)).batchItemFailures).toEqual([]);

    for (const job of jobs) expect(await encryptedUnderKey(bucket, job.key)).toBe(true);
    // Claims and closes: one transaction each for the ten, no per-object ledger or audit write.
    expect(
      requests.filter((r) => r === 'TransactWriteItems'),
      requests.join(),
    ).toHaveLength(2);
    // Plain writes: only the run's close (one UpdateItem), none per object.
    expect(requests.filter((r) => r === 'UpdateItem' || r === 'PutItem')).toHaveLength(1);
    expect(requests.length / jobs.length).toBeLessThanOrEqual(0.6);
    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 10, compliant: 0, skipped: 0, failed: 0 });
    expect(run.auditRecords).toBe(10);
    expect(run.closedAt).toBeDefined();
    expect(await verify(runId)).toMatchObject({ digest: 'matches', records: 10, findings: [] });
    const item = await pipeline.ledger.get({ bucket, key: jobs[0]!.key, operation: 'encrypt' });
    expect(item).toMatchObject({ state: 'DONE', runId, keyArn });
    expect(item?.owner).toBeUndefined();

    // Lambda retries the whole batch: every job is a duplicate and nothing is counted again.
    expect((await handler(batchOf(jobs), {} as never)).batchItemFailures).toEqual([]);
    expect((await pipeline.runs.get(runId))!.counts).toMatchObject({ encrypted: 10, compliant: 0 });
  });

  it('settles a mixed batch item by item: a duplicate message, a live lease elsewhere, a deleted object', async () => {
    const bucket = uniqueBucket('bw-mixed');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 6, maxObjectBytes: 512 });
    const { runId, jobs } = await plannedRun(pipeline, bucket, keyArn);
    const [held, gone] = [jobs[0]!, jobs[1]!];
    // Another worker holds the first object's claim, with a live lease.
    await pipeline.ledger.claim({
      bucket,
      key: held.key,
      operation: 'encrypt',
      runId,
      jobId: held.jobId,
      owner: 'someone-else',
      leaseSeconds: 600,
      sourceEtag: '"whatever"',
      mode: 'sse-kms',
      method: 'copy-in-place',
    });
    await pipeline.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: gone.key }));
    const { deps } = batchedDeps();
    const writes: string[] = [];
    const s3 = pipeline.newS3Client();
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'CopyObjectCommand') writes.push((args.input as { Key: string }).Key);
        return next(args);
      },
      { step: 'initialize', name: 'countCopies' },
    );
    const handler = createEncryptHandler(() => ({ ...deps, s3 }));
    const batch = batchOf([...jobs, jobs[3]!]); // the fourth object's message twice
    const { batchItemFailures } = await handler(batch, {} as never);

    // The held object comes back (after the lease), and so does the second copy of the duplicated
    // message, which met the first copy's claim; every other object settled once.
    const failed = batchItemFailures.map((f) => f.itemIdentifier);
    expect(failed).toHaveLength(2);
    expect(failed).toContain(`${held.jobId}-0`);
    expect([`${jobs[3]!.jobId}-3`, `${jobs[3]!.jobId}-${jobs.length}`]).toContain(
      failed.find((f) => f !== `${held.jobId}-0`),
    );
    expect(writes.sort()).toEqual(
      jobs
        .slice(2)
        .map((j) => j.key)
        .sort(),
    );
    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 4, skipped: 1, compliant: 0, failed: 0 });
    expect(run.counts.reasons).toMatchObject({ missing: 1 });
    let records = 0;
    for await (const _ of recordsOfRun(pipeline.clients.dynamo, pipeline.config.auditTable, runId)) records++;
    expect(records).toBe(5);
    expect(run.closedAt).toBeUndefined();
    expect(await pipeline.ledger.get({ bucket, key: gone.key, operation: 'encrypt' })).toMatchObject({
      state: 'SKIPPED',
      reason: 'missing',
    });
  });

  it('takes a job whose finish is refused apart: its record is appended and counted once, the rest close together', async () => {
    const bucket = uniqueBucket('bw-apart');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 5, maxObjectBytes: 512 });
    const { runId, jobs } = await plannedRun(pipeline, bucket, keyArn);
    const taken = jobs[2]!;
    const { deps } = batchedDeps();
    const raw = DynamoDBDocumentClient.from(createClients(pipeline.config).dynamo);
    // Right after its copy lands, another attempt takes the claim over (its lease had run out).
    const s3 = pipeline.newS3Client();
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (
          context.commandName === 'CopyObjectCommand' &&
          (args.input as { Key: string }).Key === taken.key
        ) {
          await raw.send(
            new UpdateCommand({
              TableName: pipeline.config.ledgerTable,
              Key: { pk: objectPartitionKey(bucket, taken.key), sk: 'encrypt' },
              UpdateExpression: 'SET #owner = :other',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: { ':other': 'the-taker' },
            }),
          );
        }
        return out;
      },
      { step: 'initialize', name: 'takeOver' },
    );
    const handler = createEncryptHandler(() => ({ ...deps, s3 }));
    expect((await handler(batchOf(jobs), {} as never)).batchItemFailures).toEqual([]);

    const run = (await pipeline.runs.get(runId))!;
    // The slow attempt's record is the job's record (one per run and job), counted once.
    expect(run.counts).toMatchObject({ encrypted: 5, compliant: 0 });
    expect(run.auditRecords).toBe(5);
    // Its finish was refused: the claim stays with the attempt that took it over.
    expect(await pipeline.ledger.get({ bucket, key: taken.key, operation: 'encrypt' })).toMatchObject({
      state: 'IN_PROGRESS',
      owner: 'the-taker',
    });
    for (const job of jobs.filter((j) => j !== taken)) {
      expect(await pipeline.ledger.get({ bucket, key: job.key, operation: 'encrypt' })).toMatchObject({
        state: 'DONE',
      });
    }
    expect(await verify(runId)).toMatchObject({ records: 5, findings: [] });
  });

  it('re-wraps a batch in shared transactions: the index and the key summaries move with it, exactly', async () => {
    const bucket = uniqueBucket('bw-rewrap');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 6, maxObjectBytes: 512 });
    const { jobs } = await plannedRun(pipeline, bucket, keyArn);
    const encrypt = batchedDeps();
    expect(
      (await createEncryptHandler(() => encrypt.deps)(batchOf(jobs), {} as never)).batchItemFailures,
    ).toEqual([]);
    const keyB = await createKmsKey(pipeline.clients.kms);
    const summaries = new KeySummaries(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    const counted = async (key: string) => objectsUpTo(sumOfKey(await summaries.forKey(key)));
    const [beforeA, beforeB] = [await counted(keyArn), await counted(keyB)];

    const runId = await recordedRun(pipeline, bucket, { mode: 'rewrap', keyArn: keyB, objects: jobs.length });
    const rewraps: RewrapJob[] = jobs.map((j) => ({
      type: 'rewrap',
      runId,
      jobId: `rw-${j.jobId}`,
      bucket,
      key: j.key,
      fromKeyArn: keyArn,
      toKeyArn: keyB,
    }));
    const { deps, requests } = batchedDeps();
    const handler = createRewrapHandler(() => deps);
    const event = {
      Records: rewraps.map(
        (j) => ({ messageId: j.jobId, receiptHandle: j.jobId, body: JSON.stringify(j) }) as never,
      ),
    };
    expect((await handler(event, {} as never)).batchItemFailures).toEqual([]);

    for (const job of rewraps) {
      const head = await pipeline.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: job.key }));
      expect(head.SSEKMSKeyId).toBe(keyB);
      const item = await pipeline.ledger.get({ bucket, key: job.key, operation: 'encrypt' });
      expect(item).toMatchObject({ keyArn: keyB, resultEtag: head.ETag });
      expect(item?.wrapKey).toMatch(new RegExp(`^${keyB.replace(/[/]/g, '\\/')}#\\d+$`));
    }
    // The counts moved from A to B in the same transactions as the wraps.
    expect(await counted(keyArn)).toBe(beforeA - 6);
    expect(await counted(keyB)).toBe(beforeB + 6);
    // Claims and closes shared: no per-object index or summary write.
    expect(requests.filter((r) => r === 'TransactWriteItems').length).toBeLessThanOrEqual(3);
    expect(requests.filter((r) => r === 'UpdateItem').length).toBeLessThanOrEqual(1);
    // Each job reads its own item and the object's `encrypt` item: read together, not one by one
    // (the one GetItem left is the run's item, which the batch's close reads).
    expect(requests.filter((r) => r === 'GetItem').length).toBeLessThanOrEqual(1);
    expect(requests.filter((r) => r === 'BatchGetItem').length).toBeLessThanOrEqual(3);
    const run = (await pipeline.runs.get(runId))!;
    expect(run.counts).toMatchObject({ encrypted: 6, skipped: 0, failed: 0 });
    expect(run.auditRecords).toBe(6);
    expect(run.closedAt).toBeDefined();
    expect(await verify(runId)).toMatchObject({ digest: 'matches', objects: 6, findings: [] });
  });
});
