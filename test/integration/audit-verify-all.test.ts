import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { auditPartitionKey } from '../../shared/audit/audit-log.js';
import type { Run } from '../../shared/runs/run-store.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let keys: string[];
let runs: Run[];

// Tables of its own: --all verifies everything in them, and other test files tamper with theirs.
const tables = `it-verify-all-${randomUUID().slice(0, 6)}`;
process.env.S3SEAL_LEDGER_TABLE = `${tables}-ledger`;
process.env.S3SEAL_AUDIT_TABLE = `${tables}-audit`;

beforeAll(async () => {
  pipeline = await startPipeline('verify-all');
  const keyArn = await createKmsKey(pipeline.clients.kms);
  bucket = uniqueBucket('verify-all');
  await seedBucket(pipeline.clients.s3, bucket, { objects: 30, maxObjectBytes: 256 });
  const other = uniqueBucket('verify-all-b');
  await seedBucket(pipeline.clients.s3, other, { objects: 9, maxObjectBytes: 256 });
  runs = [
    (await pipeline.backfill(bucket, 'sse-kms', keyArn)).run,
    (await pipeline.backfill(bucket, 'sse-kms', keyArn)).run,
    (await pipeline.backfill(other, 'envelope', keyArn)).run,
  ];
  keys = (await listKeys(pipeline.clients.s3, bucket)).sort();
}, 240_000);

afterAll(async () => {
  for (const TableName of [pipeline.config.ledgerTable, pipeline.config.auditTable])
    await pipeline.clients.dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
});

async function recordOf(key: string, run: Run) {
  const out = await pipeline.clients.dynamo.send(
    new QueryCommand({
      TableName: pipeline.config.auditTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
      ExpressionAttributeValues: { ':pk': auditPartitionKey(bucket, key), ':run': `run#${run.runId}#` },
    }),
  );
  return out.Items![0]!;
}

describe('s3-seal audit verify --all', () => {
  it('passes on a clean trail: every chain and every closed run, in parallel segments', () => {
    for (const run of runs) expect(run.auditDigest).toMatch(/^[0-9a-f]{64}$/);
    const out = runCli(['audit', 'verify', '--all', '--segments', '3']);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      'whole trail: 69 audit record(s) of 39 object(s) and 3 closed run(s) checked; no problems',
    );
  });

  it('names a tampered record and a changed run digest, and exits 1', async () => {
    const record = await recordOf(keys[7]!, runs[0]!);
    await pipeline.clients.dynamo.send(
      new UpdateCommand({
        TableName: pipeline.config.auditTable,
        Key: { pk: record.pk, sk: record.sk },
        UpdateExpression: 'SET #d = :d',
        ExpressionAttributeNames: { '#d': 'decision' },
        ExpressionAttributeValues: { ':d': 'skipped' },
      }),
    );
    await pipeline.clients.dynamo.send(
      new UpdateCommand({
        TableName: pipeline.config.ledgerTable,
        Key: { pk: `run#${runs[2]!.runId}`, sk: 'run' },
        UpdateExpression: 'SET auditDigest = :d',
        ExpressionAttributeValues: { ':d': 'f'.repeat(64) },
      }),
    );
    const out = runCli(['audit', 'verify', '--all', '--segments', '2']);
    expect(out.status).toBe(1);
    const lines = out.stdout.trim().split('\n').sort();
    expect(lines).toEqual(
      [
        `s3://${bucket}/${keys[7]}: run ${runs[0]!.runId} job ${record.jobId}: altered: its hash does not match its content`,
        expect.stringMatching(
          new RegExp(`^run ${runs[0]!.runId}: digest: its records no longer match the digest it closed with`),
        ),
        expect.stringMatching(
          new RegExp(`^run ${runs[2]!.runId}: digest: its records no longer match the digest it closed with`),
        ),
        `run ${runs[2]!.runId}: tally: its tally shards no longer match the digest and count it closed with`,
      ].sort(),
    );
    expect(out.stderr).toContain('4 problem(s)');
  });

  it('refuses --all together with --run or --bucket', () => {
    const out = runCli(['audit', 'verify', '--all', '--bucket', bucket]);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('give one of --run ID, --bucket B or --all');
  });
});
