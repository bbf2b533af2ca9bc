import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { createEncryptHandler } from '../../functions/encrypt/handler.js';
import { createSequencerHandler } from '../../functions/sequencer/handler.js';
import { RunCloser } from '../../shared/audit/run-digest.js';
import { readChunkLog } from '../../shared/chunks/chunk-log.js';
import type { ChunkItem } from '../../shared/chunks/chunk-store.js';
import { manifestCloser } from '../../shared/manifests/close-manifests.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { KmsNoteSigner } from '../../shared/tlog/kms-note-signer.js';
import { verifyLog } from '../../shared/tlog/log-verifier.js';
import { openCheckpoint } from '../../shared/tlog/signed-checkpoint.js';
import { formatVerifierKey, parseVerifierKey } from '../../shared/tlog/verifier-key.js';
import { type CommitFeed, QueueCommitFeed } from '../../shared/transparency/commit-feed.js';
import { deploymentSequencer, processCommitFeed } from '../../shared/transparency/deployment-log.js';
import { decodeLeafEntry, type LeafEntry } from '../../shared/transparency/leaf-entry.js';
import type { LeafRequest } from '../../shared/transparency/leaf-request.js';
import { S3TileStore } from '../../shared/transparency/s3-tile-store.js';
import { runCli } from '../helpers/cli.js';
import { encryptOne } from '../helpers/one-object.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { batchOf, plannedRun } from '../helpers/planned-run.js';
import { drain, sqsEvent } from '../helpers/sqs-source.js';

/**
 * The transparency log wired into the pipeline on the local stack: a local run's committed chunks
 * are leaves of the deployment's log before the run closes, each chunk item names its leaf, the
 * checkpoint is signed by the deployment's KMS key, and a chunk committed without its leaf ever
 * being sent (a process died between the two) gets one when its message comes again.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline('tlog');
});

async function openLog() {
  const { config, clients } = pipeline;
  const log = config.transparencyLog;
  const signer = await KmsNoteSigner.create(clients.kms, log.keyId, log.origin);
  const tiles = new S3TileStore(clients.s3, { bucket: log.bucket, prefix: log.prefix });
  const stored = await tiles.readCheckpoint();
  const checkpoint = openCheckpoint(
    stored!.text,
    [parseVerifierKey(formatVerifierKey(log.origin, signer.publicKeyDer))],
    log.origin,
  );
  const leaves: LeafEntry[] = [];
  await verifyLog(tiles, checkpoint, (_i, entry) => {
    leaves.push(decodeLeafEntry(entry));
  });
  return { checkpoint, leaves };
}

async function chunksOf(runId: string): Promise<ChunkItem[]> {
  const items: ChunkItem[] = [];
  for await (const item of pipeline.chunks.listRun(runId)) items.push(item);
  return items;
}

describe('transparency log in the pipeline', () => {
  it('makes every committed chunk of a local run a leaf before the run closes', async () => {
    const bucket = `it-tlog-${Date.now()}`;
    await seedBucket(pipeline.clients.s3, bucket, { objects: 250 });
    const { run } = await pipeline.backfill(bucket, 'sse-s3');
    expect(run.auditDigest).toBeDefined();

    const items = await chunksOf(run.runId);
    expect(items.length).toBeGreaterThanOrEqual(3);
    expect(items.every((item) => item.state === 'DONE' && item.leafIndex !== undefined)).toBe(true);
    const { checkpoint, leaves } = await openLog();
    expect(checkpoint.size).toBe(leaves.length);
    for (const item of items) {
      // The leaf at the item's index names its chunk log and the SHA-256 of the bytes stored there.
      const leaf = leaves[item.leafIndex!]!;
      expect(leaf).toEqual({
        bucket: pipeline.config.auditLocation.bucket,
        key: item.logKey,
        sha256: item.logSha256,
      });
      const stored = await readChunkLog(pipeline.clients.s3, pipeline.config.auditLocation, item.logKey!);
      expect(stored.sha256).toBe(leaf.sha256);
    }
  });

  it('appends a committed chunk whose leaf was never sent when its message comes again', async () => {
    const bucket = `it-tlog-lost-${Date.now()}`;
    await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'a.txt', Body: 'a' }),
    );
    const runId = newRunId();
    const job = {
      runId,
      jobId: `job-a-${runId}`,
      bucket,
      key: 'a.txt',
      etag: put.ETag!,
      mode: 'sse-s3' as const,
    };
    // The process dies after the commit, before its leaf is sent: a feed that loses what it gets.
    const lost: LeafRequest[] = [];
    const dying: CommitFeed = {
      add: (r) => void lost.push(r),
      afterBatch: async () => {},
      flush: async () => {},
    };
    expect((await encryptOne(job, pipeline.encryptDeps({ sequencing: dying }))).outcome).not.toBe(
      'duplicate',
    );
    expect(lost).toHaveLength(1);
    const [item] = await chunksOf(runId);
    expect(item!.leafIndex).toBeUndefined();

    // The message comes back: the chunk is a duplicate, and its leaf is appended now.
    const feed = processCommitFeed(pipeline.clients, pipeline.config);
    expect((await encryptOne(job, pipeline.encryptDeps({ sequencing: feed }))).outcome).toBe('duplicate');
    await feed.flush();
    const [after] = await chunksOf(runId);
    expect(after!.leafIndex).toBeDefined();
    const { leaves } = await openLog();
    expect(leaves[after!.leafIndex!]).toEqual(lost[0]!.leaf);
    // Once it is a leaf, another delivery adds nothing.
    expect((await encryptOne(job, pipeline.encryptDeps({ sequencing: feed }))).outcome).toBe('duplicate');
    const before = (await openLog()).checkpoint.size;
    await feed.flush();
    expect((await openLog()).checkpoint.size).toBe(before);
  });

  it('on Lambda: the encrypt handler sends its committed chunks to the queue, the sequencer appends them', async () => {
    const { clients, config } = pipeline;
    const queueUrl = (
      await clients.sqs.send(new CreateQueueCommand({ QueueName: `${config.queuePrefix}-tlog` }))
    ).QueueUrl!;
    const bucket = uniqueBucket('tlog-lambda');
    await seedBucket(clients.s3, bucket, { objects: 7, maxObjectBytes: 512 });
    const keyArn = await createKmsKey(clients.kms);
    const { runId, chunks } = await plannedRun(pipeline, bucket, keyArn, { intentsPerChunk: 3 });
    const encrypt = createEncryptHandler(() => ({
      ...pipeline.encryptDeps(),
      runs: pipeline.runs,
      closer: new RunCloser(pipeline.runs),
      sequencing: new QueueCommitFeed(clients.sqs, queueUrl),
    }));
    expect((await encrypt(batchOf(chunks), {} as never)).batchItemFailures).toEqual([]);
    const items = await chunksOf(runId);
    expect(items).toHaveLength(3);
    expect(items.every((item) => item.state === 'DONE' && item.leafIndex === undefined)).toBe(true);

    // One message per committed chunk, which the sequencer function appends as one batch.
    const messages = await drain(clients.sqs, queueUrl, { until: 'empty', waitSeconds: 1 });
    expect(messages).toHaveLength(3);
    const sequencer = createSequencerHandler(() => deploymentSequencer(clients, config));
    expect((await sequencer(sqsEvent(messages, queueUrl))).batchItemFailures).toEqual([]);
    const { leaves } = await openLog();
    for (const item of await chunksOf(runId)) {
      expect(leaves[item.leafIndex!]).toEqual({
        bucket: config.auditLocation.bucket,
        key: item.logKey,
        sha256: item.logSha256,
      });
    }
    // A redelivered batch adds nothing.
    const size = (await openLog()).checkpoint.size;
    expect((await sequencer(sqsEvent(messages, queueUrl))).batchItemFailures).toEqual([]);
    expect((await openLog()).checkpoint.size).toBe(size);
  });

  it('on Lambda: the run’s close sends no chunk its own invocation already sent', async () => {
    const { clients, config } = pipeline;
    const queueUrl = (
      await clients.sqs.send(new CreateQueueCommand({ QueueName: `${config.queuePrefix}-tlog-once` }))
    ).QueueUrl!;
    const bucket = uniqueBucket('tlog-once');
    await seedBucket(clients.s3, bucket, { objects: 7, maxObjectBytes: 512 });
    const keyArn = await createKmsKey(clients.kms);
    const { runId, chunks } = await plannedRun(pipeline, bucket, keyArn, { intentsPerChunk: 3 });
    const feed = new QueueCommitFeed(clients.sqs, queueUrl);
    const encrypt = createEncryptHandler(() => ({
      ...pipeline.encryptDeps(),
      runs: pipeline.runs,
      // The closer every handler uses: its manifests pass finds committed chunks without a leaf.
      closer: manifestCloser(pipeline.runs, clients.s3, config.auditLocation, pipeline.chunks, feed),
      sequencing: feed,
    }));
    expect((await encrypt(batchOf(chunks), {} as never)).batchItemFailures).toEqual([]);
    expect((await pipeline.runs.get(runId))?.auditDigest).toMatch(/^[0-9a-f]{64}$/);
    // The batch sent its three chunks; the close found them without a leaf and sent none again.
    const messages = await drain(clients.sqs, queueUrl, { until: 'empty', waitSeconds: 1 });
    expect(messages.map((m) => JSON.parse(m.Body!).chunkId).sort()).toEqual(
      (await chunksOf(runId)).map((item) => item.chunkId).sort(),
    );
  });

  it('audit sequence appends committed chunks that have no leaf, once', async () => {
    const bucket = `it-tlog-old-${Date.now()}`;
    await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'old.txt', Body: 'o' }),
    );
    const runId = newRunId();
    const job = {
      runId,
      jobId: `job-old-${runId}`,
      bucket,
      key: 'old.txt',
      etag: put.ETag!,
      mode: 'sse-s3' as const,
    };
    // Committed before the log existed: nothing was ever sent.
    await encryptOne(job, pipeline.encryptDeps({ sequencing: undefined }));
    expect((await chunksOf(runId))[0]!.leafIndex).toBeUndefined();
    await pipeline.runs.create({
      runId,
      bucket,
      prefix: '',
      mode: 'sse-s3',
      startedAt: new Date().toISOString(),
    });

    const first = runCli(['audit', 'sequence', '--run', runId]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('1 committed chunk(s) without a leaf appended');
    const [item] = await chunksOf(runId);
    const { leaves } = await openLog();
    expect(leaves[item!.leafIndex!]).toEqual({
      bucket: pipeline.config.auditLocation.bucket,
      key: item!.logKey,
      sha256: item!.logSha256,
    });
    const again = runCli(['audit', 'sequence', '--run', runId]);
    expect(again.stderr).toContain('0 committed chunk(s) without a leaf appended');
    expect((await openLog()).checkpoint.size).toBe(leaves.length);
    expect(runCli(['audit', 'sequence', '--run', 'no-such-run']).stderr).toMatch(/run no-such-run not found/);
  });
});
