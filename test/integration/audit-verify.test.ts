import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { type AuditRecord, auditPartitionKey } from '../../shared/audit/audit-log.js';
import { chain } from '../../shared/audit/hash-chain.js';
import type { Run } from '../../shared/runs/run-store.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await startPipeline('audit');
});

/** A backfill and a second, all-compliant run over a fresh bucket: two records per object. */
async function auditedBucket(label: string) {
  const key = await createKmsKey(pipeline.clients.kms);
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 12 });
  const first = (await pipeline.backfill(bucket, 'envelope', key)).run;
  const second = (await pipeline.backfill(bucket, 'envelope', key)).run;
  return { bucket, first, second, keys: (await listKeys(pipeline.clients.s3, bucket)).sort() };
}

async function recordOf(bucket: string, key: string, run: Run) {
  const out = await pipeline.clients.dynamo.send(
    new QueryCommand({
      TableName: pipeline.config.auditTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
      ExpressionAttributeValues: { ':pk': auditPartitionKey(bucket, key), ':run': `run#${run.runId}#` },
    }),
  );
  return out.Items![0]!;
}

describe('s3-seal audit verify', () => {
  it('passes after a backfill: chains intact, runs closed with matching digests', async () => {
    const { bucket, first, second } = await auditedBucket('audit-ok');
    for (const run of [first, second]) {
      const out = runCli(['audit', 'verify', '--run', run.runId]);
      expect(out.status, out.stdout + out.stderr).toBe(0);
      expect(out.stderr).toContain(
        `run ${run.runId}: 24 audit record(s) of 12 object(s) checked; run digest matches`,
      );
    }
    const byBucket = runCli(['audit', 'verify', '--bucket', bucket]);
    expect(byBucket.status, byBucket.stdout).toBe(0);
    expect((await pipeline.runs.get(first.runId))?.auditRecords).toBe(12);
  });

  it('names an altered field of one record', async () => {
    const { bucket, first, keys } = await auditedBucket('audit-alter');
    const record = await recordOf(bucket, keys[3]!, first);
    await pipeline.clients.dynamo.send(
      new UpdateCommand({
        TableName: pipeline.config.auditTable,
        Key: { pk: record.pk, sk: record.sk },
        UpdateExpression: 'SET #d = :d',
        ExpressionAttributeNames: { '#d': 'decision' },
        ExpressionAttributeValues: { ':d': 'skipped' },
      }),
    );
    const out = runCli(['audit', 'verify', '--bucket', bucket]);
    expect(out.status).toBe(1);
    expect(out.stdout.trim().split('\n')).toEqual([
      `s3://${bucket}/${keys[3]}: run ${first.runId} job ${record.jobId}: altered: its hash does not match its content`,
    ]);
    // The run's digest is over the records' hashes, which were not touched: the chain catches it.
    expect(runCli(['audit', 'verify', '--run', first.runId]).status).toBe(1);
  });

  it('names a deleted record, and the run digest it breaks', async () => {
    const { bucket, second, keys } = await auditedBucket('audit-delete');
    const record = await recordOf(bucket, keys[0]!, second);
    await pipeline.clients.dynamo.send(
      new DeleteCommand({ TableName: pipeline.config.auditTable, Key: { pk: record.pk, sk: record.sk } }),
    );
    const out = runCli(['audit', 'verify', '--run', second.runId]);
    expect(out.status).toBe(1);
    expect(out.stdout).toContain(
      `run ${second.runId}: digest: its records no longer match the digest it closed with (11 records now, 12 at close)`,
    );
    const byBucket = runCli(['audit', 'verify', '--bucket', bucket]);
    expect(byBucket.stdout.trim()).toBe(
      `s3://${bucket}/${keys[0]}: sequence 2: removed: missing from the chain`,
    );
  });

  it('names a forged record inserted with a valid-looking hash', async () => {
    const { bucket, first, keys } = await auditedBucket('audit-insert');
    const genuine = await recordOf(bucket, keys[5]!, first);
    const { pk, sk: _sk, hash, seq, prevHash: _prev, ...content } = genuine;
    // A forger who knows the scheme links a new record after the object's head...
    const forged = chain(
      { ...(content as AuditRecord), runId: 'forged-run', jobId: 'forged-job', decision: 'compliant' },
      { head: hash, seq },
    );
    await pipeline.clients.dynamo.send(
      new PutCommand({
        TableName: pipeline.config.auditTable,
        Item: { pk, sk: 'run#forged-run#job#forged-job', ...forged },
      }),
    );
    const out = runCli(['audit', 'verify', '--bucket', bucket]);
    expect(out.status).toBe(1);
    // ...but the ledger anchors the genuine head (seq 2, from the second run): the forgery clashes.
    expect(out.stdout).toContain(
      `s3://${bucket}/${keys[5]}: run forged-run job forged-job: inserted: sequence 2 is taken 2 times`,
    );
  });
});
