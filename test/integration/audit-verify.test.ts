import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { chunkItemKey } from '../../shared/chunks/chunk-item-key.js';
import { chunkLogKey, lineHash } from '../../shared/chunks/chunk-log.js';
import { chunkIdFor } from '../../shared/chunks/chunk-message.js';
import type { Run } from '../../shared/runs/run-store.js';
import { committedLineOf, deleteLog, putLogLines } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline('audit');
});

/** A backfill and a second, all-compliant run over a fresh bucket: one record per object per run. */
async function auditedBucket(label: string) {
  const key = await createKmsKey(pipeline.clients.kms);
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 12 });
  const first = (await pipeline.backfill(bucket, 'envelope', key)).run;
  const second = (await pipeline.backfill(bucket, 'envelope', key)).run;
  return { bucket, first, second, keys: (await listKeys(pipeline.clients.s3, bucket)).sort() };
}

const verifyRun = (run: Run) => runCli(['audit', 'verify', '--run', run.runId]);
const lines = (stdout: string) => stdout.trim().split('\n');
const digestDiffers = (run: Run, now: number) =>
  `run ${run.runId}: digest: its records no longer match the digest it closed with (${now} records now, 12 at close)`;

describe('s3-seal audit verify', () => {
  it('passes after a backfill: every committed log intact, runs closed with matching digests', async () => {
    const { bucket, first, second } = await auditedBucket('audit-ok');
    for (const run of [first, second]) {
      const out = verifyRun(run);
      expect(out.status, out.stdout + out.stderr).toBe(0);
      expect(out.stderr).toContain(
        `run ${run.runId}: 12 audit record(s) of 12 object(s) checked; run digest matches; no problems`,
      );
    }
    const byBucket = runCli(['audit', 'verify', '--bucket', bucket]);
    expect(byBucket.status, byBucket.stdout).toBe(0);
    expect(byBucket.stderr).toContain(
      `bucket ${bucket}: 24 audit record(s) of 24 object(s) checked; no problems`,
    );
    expect((await pipeline.runs.get(first.runId))?.auditRecords).toBe(12);
  });

  it('names a changed record by object and position, the log it changed and the digest it breaks', async () => {
    const { bucket, first, keys } = await auditedBucket('audit-alter');
    const { item, log, line } = await committedLineOf(pipeline, first.runId, bucket, keys[3]!);
    const changed = log.lines.map((l) => ({ ...l, record: { ...l.record } }));
    changed[line]!.record.decision = 'skipped';
    await putLogLines(pipeline, log.key, changed);
    const out = verifyRun(first);
    expect(out.status).toBe(1);
    const position = log.lines[line]!.record.position;
    expect(lines(out.stdout)).toEqual([
      `run ${first.runId} chunk ${item.chunkId}: log ${log.key}: changed: its bytes no longer hash to the SHA-256 the chunk committed`,
      `s3://${bucket}/${keys[3]}: run ${first.runId} chunk ${item.chunkId} position ${position}: changed: its line hash does not match its record`,
      digestDiffers(first, 12),
    ]);
    // Every scope names the record.
    expect(runCli(['audit', 'verify', '--bucket', bucket]).stdout).toContain(
      `s3://${bucket}/${keys[3]}: run ${first.runId} chunk ${item.chunkId} position ${position}: changed`,
    );
  });

  it('names a record removed from its log by position', async () => {
    const { bucket, second, keys } = await auditedBucket('audit-remove');
    const { item, log, line } = await committedLineOf(pipeline, second.runId, bucket, keys[0]!);
    await putLogLines(
      pipeline,
      log.key,
      log.lines.filter((_, i) => i !== line),
    );
    const out = verifyRun(second);
    expect(out.status).toBe(1);
    expect(lines(out.stdout)).toEqual([
      `run ${second.runId} chunk ${item.chunkId}: log ${log.key}: changed: its bytes no longer hash to the SHA-256 the chunk committed`,
      `run ${second.runId} chunk ${item.chunkId}: position ${log.lines[line]!.record.position}: removed: missing from the log (the chunk committed ${log.lines.length} record(s), the log holds ${log.lines.length - 1})`,
      digestDiffers(second, 11),
    ]);
  });

  it('names a deleted log, and the digest it breaks', async () => {
    const { bucket, second, keys } = await auditedBucket('audit-delete');
    const { item, log } = await committedLineOf(pipeline, second.runId, bucket, keys[0]!);
    await deleteLog(pipeline, log.key);
    const out = verifyRun(second);
    expect(out.status).toBe(1);
    expect(lines(out.stdout)).toEqual([
      `run ${second.runId} chunk ${item.chunkId}: log ${log.key}: removed: the chunk is committed but its log is gone`,
      digestDiffers(second, 12 - log.lines.length),
    ]);
  });

  it('names forged logs: past the committed attempt, and of a chunk no item names', async () => {
    const { bucket, first, keys } = await auditedBucket('audit-insert');
    const { item, log, line } = await committedLineOf(pipeline, first.runId, bucket, keys[5]!);
    const location = pipeline.config.auditLocation;
    const forged = { ...log.lines[line]!.record, decision: 'compliant' as const };
    const past = chunkLogKey(location, first.runId, item.chunkId, item.attempt + 1);
    await putLogLines(pipeline, past, [{ record: forged, hash: lineHash(forged) }]);
    const stray = chunkIdFor(first.runId, 'forged');
    const strayRecord = { ...forged, chunkId: stray, position: 0 };
    const strayKey = chunkLogKey(location, first.runId, stray, 1);
    await putLogLines(pipeline, strayKey, [{ record: strayRecord, hash: lineHash(strayRecord) }]);
    const out = verifyRun(first);
    expect(out.status).toBe(1);
    expect(lines(out.stdout).sort()).toEqual(
      [
        `run ${first.runId} chunk ${item.chunkId}: log ${past}: inserted: the chunk committed attempt ${item.attempt}, not this log (1 record(s))`,
        `run ${first.runId} chunk ${stray}: log ${strayKey}: inserted: no chunk item names it (1 record(s))`,
      ].sort(),
    );
    // The forged logs are not the run's records: its digest still matches.
    expect(out.stderr).toContain('run digest matches; 2 problem(s)');
  });

  it('names a chunk item whose committed count was changed', async () => {
    const { bucket, first, keys } = await auditedBucket('audit-item');
    const { item, log } = await committedLineOf(pipeline, first.runId, bucket, keys[0]!);
    await pipeline.clients.dynamo.send(
      new UpdateCommand({
        TableName: pipeline.config.ledgerTable,
        Key: chunkItemKey(item),
        UpdateExpression: 'SET records = :n',
        ExpressionAttributeValues: { ':n': log.lines.length + 1 },
      }),
    );
    const out = verifyRun(first);
    expect(out.status).toBe(1);
    expect(lines(out.stdout)).toEqual([
      `run ${first.runId} chunk ${item.chunkId}: position ${log.lines.length}: removed: missing from the log (the chunk committed ${log.lines.length + 1} record(s), the log holds ${log.lines.length})`,
    ]);
  });
});
