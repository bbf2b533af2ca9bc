import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { listChunkLogs, readCommittedLog, writeChunkLog } from '../../shared/chunks/chunk-log.js';
import { ChunkLogCache } from '../../shared/chunks/chunk-log-cache.js';
import type { AuditLocation } from '../../shared/chunks/chunk-log-types.js';
import { runChunkItems } from '../../shared/chunks/run-chunk-items.js';
import { compactRunManifests } from '../../shared/manifests/compact-run.js';
import type { ManifestEntry } from '../../shared/manifests/manifest-entry.js';
import { compactionMarkerKey, manifestKey } from '../../shared/manifests/manifest-key.js';
import { readManifestPage } from '../../shared/manifests/manifest-page.js';
import { headObject } from '../../shared/s3/object-head.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * A run's close compacts its manifests from its chunk items read once (docs/architecture.md,
 * "Manifests"): the chunk ids its logs name, one BatchGetItem per 100 chunks, the committed logs
 * (those this process wrote are not read back), on the real local stack.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

interface Sent {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: inputs of any command, read by the assertions
  input: Record<string, any>;
}

/** Records every command `client` sends while `on` is set. */
function recording(client: S3Client | DynamoDBDocumentClient, sent: Sent[], on: { now: boolean }) {
  (client as S3Client).middlewareStack.add(
    (next, context) => async (args) => {
      if (on.now) sent.push({ name: String(context.commandName), input: args.input as Sent['input'] });
      return next(args);
    },
    { step: 'initialize', name: `closeManifestsRecording-${sent.length}-${Math.random()}` },
  );
}

async function manifestOf(location: AuditLocation, runId: string): Promise<ManifestEntry[]> {
  const target = { bucket: location.bucket, key: manifestKey(location, keyArn, runId) };
  const entries: ManifestEntry[] = [];
  for (let offset: number | undefined = 0; offset !== undefined; ) {
    const page = await readManifestPage(pipeline.clients.s3, target, offset);
    entries.push(...page.entries);
    offset = page.next;
  }
  return entries;
}

const bucket = uniqueBucket('close-manifests');
let runId: string;
let first: ManifestEntry[];

beforeAll(async () => {
  pipeline = await startPipeline('close-manifests');
  keyArn = await createKmsKey(pipeline.clients.kms);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 250, maxObjectBytes: 512, concurrency: 32 });
});

describe("a run's close", () => {
  it("compacts its manifest from its logs' chunk ids and one BatchGetItem, GETting no log it wrote", async () => {
    const { s3, dynamo } = pipeline.clients;
    const on = { now: true };
    const s3Sent: Sent[] = [];
    const dynamoSent: Sent[] = [];
    recording(s3, s3Sent, on);
    recording(dynamo, dynamoSent, on);
    const { run } = await pipeline.backfill(bucket, 'sse-kms', keyArn);
    on.now = false;
    runId = run.runId;
    expect(run.auditDigest).toBeDefined();
    expect(run.counts.encrypted).toBe(250);

    // Every object once, with the ETag S3 shows now (the copy's), wrapped by this run.
    first = await manifestOf(pipeline.config.auditLocation, runId);
    const keys = await listKeys(s3, bucket);
    expect(first.map((entry) => entry.key).sort()).toEqual(keys.sort());
    expect(first.every((entry) => entry.bucket === bucket && entry.wrappedAt !== undefined)).toBe(true);
    for (const entry of first.slice(0, 5))
      expect(entry.etag).toBe((await headObject(s3, bucket, entry.key))!.etag);

    // How the run's chunks were read: no Query of a chunk partition, one BatchGetItem for them all
    // (the client's middleware sees the low-level commands, their values marshalled).
    const queried = dynamoSent
      .filter(({ name }) => name === 'QueryCommand')
      .map(({ input }) => String(input.ExpressionAttributeValues[':pk'].S));
    expect(queried.length).toBeGreaterThan(0);
    expect(queried.filter((pk) => pk.startsWith('chunks#'))).toEqual([]);
    const batches = dynamoSent.filter(({ name }) => name === 'BatchGetItemCommand');
    expect(batches).toHaveLength(1);
    const logs: string[] = [];
    for await (const log of listChunkLogs(s3, pipeline.config.auditLocation, runId)) logs.push(log.chunkId);
    expect(logs.length).toBeGreaterThanOrEqual(3);
    expect(
      Object.values(batches[0]!.input.RequestItems as Record<string, { Keys: unknown[] }>)[0]!.Keys,
    ).toHaveLength(new Set(logs).size);
    // The logs came from this process's own writes; the closer closed the run, so no marker HEAD.
    const audit = pipeline.config.auditLocation.bucket;
    // The transparency log's sequencer reads its checkpoint once before it appends the run's chunks.
    const tlog = pipeline.config.transparencyLog.prefix;
    const auditReads = s3Sent.filter(
      ({ name, input }) =>
        input.Bucket === audit &&
        ['GetObjectCommand', 'HeadObjectCommand'].includes(name) &&
        input.Key !== `${tlog}checkpoint`,
    );
    expect(auditReads).toEqual([]);
    const checkpointReads = s3Sent.filter(
      ({ input }) => input.Bucket === audit && input.Key === `${tlog}checkpoint`,
    );
    expect(checkpointReads.filter(({ name }) => name === 'GetObjectCommand').length).toBeLessThanOrEqual(1);
    expect(
      s3Sent.filter(({ name, input }) => name === 'ListObjectsV2Command' && input.Bucket === audit),
    ).toHaveLength(1);
  });

  it("compacts the same from S3 for a closer that wrote no log, reading each chunk's committed log, never an abandoned one", async () => {
    const { s3 } = pipeline.clients;
    const location = pipeline.config.auditLocation;
    const logs: Array<{ chunkId: string; key: string }> = [];
    for await (const log of listChunkLogs(s3, location, runId)) logs.push(log);
    const chunkId = logs[0]!.chunkId;
    // An attempt that wrote its log and died before its commit: it names an object of its own.
    const stray = await writeChunkLog(s3, location, { runId, chunkId, attempt: 9 }, [
      {
        decision: 'encrypted',
        runId,
        jobId: 'stray',
        actor: 'test',
        bucket,
        key: 'never-committed',
        mode: 'sse-kms',
        keyArn,
        etagAfter: '"stray"',
        at: new Date().toISOString(),
        chunkId,
        position: 0,
      },
    ]);
    // Compacted again into another prefix (the run's own manifests are write-once, under Object Lock).
    const elsewhere = { ...location, prefix: `${location.prefix}again/` };
    const gets: string[] = [];
    const reading: S3Client = {
      send: (command: { constructor: { name: string }; input: { Key?: string } }) => {
        if (command.constructor.name === 'GetObjectCommand') gets.push(command.input.Key!);
        return s3.send(command as never);
      },
    } as unknown as S3Client;
    const empty = new ChunkLogCache();
    await compactRunManifests(
      {
        s3,
        location: elsewhere,
        chunkItems: (id) =>
          runChunkItems(
            {
              listLogs: (r) => listChunkLogs(s3, location, r),
              getMany: (refs) => pipeline.chunks.getMany(refs),
            },
            id,
          ),
        readLog: (key, sha256) => readCommittedLog(reading, location, key, sha256, empty),
      },
      runId,
    );
    const again = await manifestOf(elsewhere, runId);
    expect(again.map((entry) => entry.key).sort()).toEqual(first.map((entry) => entry.key).sort());
    expect(again.some((entry) => entry.key === 'never-committed')).toBe(false);
    expect(gets).not.toContain(stray.key);
    expect(new Set(gets).size).toBe(gets.length);
    expect(gets).toHaveLength(new Set(logs.map((log) => log.chunkId)).size);
    expect(await headObject(s3, location.bucket, compactionMarkerKey(elsewhere, runId))).toBeDefined();
  });
});
