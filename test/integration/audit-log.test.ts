import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { chunkItemKey } from '../../shared/chunks/chunk-item-key.js';
import { chunkLogKey, lineHash } from '../../shared/chunks/chunk-log.js';
import type { ChunkItem } from '../../shared/chunks/chunk-store.js';
import { recordsOfRun, trailOf } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * The audit trail a run leaves in S3 (docs/audit.md): one committed chunk log per chunk, where its
 * item says, hashing as its item says, one line per object; and what `audit verify` says of the
 * log of an attempt that was taken over.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let runId: string;
let items: ChunkItem[];

beforeAll(async () => {
  pipeline = await startPipeline('audit-log');
  bucket = uniqueBucket('audit-log');
  await seedBucket(pipeline.clients.s3, bucket, { objects: 15, maxObjectBytes: 256 });
  runId = (await pipeline.backfill(bucket, 'sse-s3')).run.runId;
  items = [];
  for await (const item of trailOf(pipeline).listRun(runId)) items.push(item);
});

describe('the chunk trail of a run', () => {
  it('commits each chunk with its log, where the attempt writes it and hashing as the item says', async () => {
    expect(items.length).toBeGreaterThan(0);
    const trail = trailOf(pipeline);
    let lines = 0;
    for (const item of items) {
      expect(item.state).toBe('DONE');
      expect(item.logKey).toBe(chunkLogKey(pipeline.config.auditLocation, runId, item.chunkId, item.attempt));
      const log = (await trail.readLog(item.logKey!))!;
      expect(log.sha256).toBe(item.logSha256);
      expect(log.problems).toEqual([]);
      expect(log.lines.map((l) => l.record.position)).toEqual(log.lines.map((_, i) => i));
      for (const line of log.lines) expect(line.hash).toBe(lineHash(line.record));
      lines += log.lines.length;
    }
    expect(lines).toBe(15);
  });

  it('reads one record per object, in chunk order then position', async () => {
    const records = await recordsOfRun(pipeline, runId);
    expect(records.map((r) => r.key).sort()).toEqual((await listKeys(pipeline.clients.s3, bucket)).sort());
    const order = records.map((r) => `${r.chunkId}:${String(r.position).padStart(3, '0')}`);
    expect(order).toEqual([...order].sort());
  });

  it("names an abandoned attempt's log on stderr and still passes", async () => {
    // As if attempt 1 had written its log and lost its lease, and attempt 2 committed the same lines.
    const item = items[0]!;
    const location = pipeline.config.auditLocation;
    const second = chunkLogKey(location, runId, item.chunkId, item.attempt + 1);
    await pipeline.clients.s3.send(
      new CopyObjectCommand({
        Bucket: location.bucket,
        Key: second,
        CopySource: `${location.bucket}/${item.logKey}`,
      }),
    );
    await pipeline.clients.dynamo.send(
      new UpdateCommand({
        TableName: pipeline.config.ledgerTable,
        Key: chunkItemKey(item),
        UpdateExpression: 'SET attempt = :a, logKey = :k',
        ExpressionAttributeValues: { ':a': item.attempt + 1, ':k': second },
      }),
    );
    const out = runCli(['audit', 'verify', '--run', runId]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      `run ${runId} chunk ${item.chunkId}: log ${item.logKey}: abandoned attempt ${item.attempt}: not counted (the chunk committed attempt ${item.attempt + 1})`,
    );
    expect(out.stderr).toContain(
      `run ${runId}: 15 audit record(s) of 15 object(s) checked; run digest matches; no problems`,
    );
  });
});
