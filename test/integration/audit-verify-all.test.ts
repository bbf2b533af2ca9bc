import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCommand } from '../../cli/commands/audit.js';
import { seedBucket } from '../../cli/seed-bucket.js';
import { auditPartitionKey } from '../../shared/audit/legacy/audit-tables.js';
import type { Run } from '../../shared/runs/run-store.js';
import { committedLineOf, putLogLines } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { ensureLegacyAuditTable, writeLegacyRun } from '../helpers/legacy-trail.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let keys: string[];
let runs: Run[];
let legacy: Awaited<ReturnType<typeof writeLegacyRun>>;

// Tables of its own: --all verifies every run in them, and other test files tamper with theirs.
const tables = `it-verify-all-${randomUUID().slice(0, 6)}`;
process.env.S3SEAL_LEDGER_TABLE = `${tables}-ledger`;
// A transparency log of its own: the sequencer's state lives in the ledger table.
process.env.S3SEAL_TLOG_PREFIX = `${tables}-tlog/`;
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
  // A run written before chunks: its records live in the old audit table, chained per object.
  const { config, clients } = pipeline;
  await ensureLegacyAuditTable(clients.dynamo, config);
  legacy = await writeLegacyRun(
    {
      dynamo: clients.dynamo,
      runs: pipeline.runs,
      auditTable: config.auditTable,
      ledgerTable: config.ledgerTable,
    },
    uniqueBucket('verify-all-old'),
    ['old/a', 'old/b', 'old/c'],
  );
}, 240_000);

afterAll(async () => {
  for (const TableName of [pipeline.config.ledgerTable, pipeline.config.auditTable])
    await pipeline.clients.dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
});

describe('s3-seal audit verify --all', () => {
  it('passes on a clean trail: every chunk run from its logs, the old run from its chains', () => {
    for (const run of runs) expect(run.auditDigest).toMatch(/^[0-9a-f]{64}$/);
    const out = runCli(['audit', 'verify', '--all', '--segments', '3']);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      'whole trail: 72 audit record(s) of 72 object(s) and 4 closed run(s) checked; no problems',
    );
    // The chunk runs' three chunks are the transparency log's leaves (the old run has none).
    expect(out.stderr).toMatch(
      /\ntransparency log \S+: 3 leaves, checkpoint verified .*; 3 chunk log\(s\) hash as their leaves record; 3 of 3 committed chunk\(s\) are leaves; no problems\n/,
    );
  });

  it('reads each chunk log once: the transparency log’s pass takes the hashes the trail pass computed', async () => {
    const gets = new Map<string, number>();
    // In this process, so the command's S3 client (the pipeline's) can count what it reads.
    pipeline.clients.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: string }).Key ?? '';
        if (context.commandName === 'GetObjectCommand' && key.includes('/chunks/'))
          gets.set(key, (gets.get(key) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'countChunkLogReads' },
    );
    try {
      expect(await verifyCommand({ all: true, segments: 3 })).toBe(0);
    } finally {
      pipeline.clients.s3.middlewareStack.remove('countChunkLogReads');
    }
    // The three chunk runs' three logs, each read by the trail pass and by no one after.
    expect([...gets.values()]).toEqual([1, 1, 1]);
  });

  it('names a changed record in a chunk log, a changed run digest and an altered old record, and exits 1', async () => {
    const [first, , third] = runs as [Run, Run, Run];
    const { item, log, line } = await committedLineOf(pipeline, first.runId, bucket, keys[7]!);
    const changed = log.lines.map((l) => ({ ...l, record: { ...l.record } }));
    changed[line]!.record.decision = 'skipped';
    await putLogLines(pipeline, log.key, changed);
    await pipeline.clients.dynamo.send(
      new UpdateCommand({
        TableName: pipeline.config.ledgerTable,
        Key: { pk: `run#${third.runId}`, sk: 'run' },
        UpdateExpression: 'SET auditDigest = :d',
        ExpressionAttributeValues: { ':d': 'f'.repeat(64) },
      }),
    );
    const old = legacy.records[1]!;
    await pipeline.clients.dynamo.send(
      new UpdateCommand({
        TableName: pipeline.config.auditTable,
        Key: { pk: auditPartitionKey(old.bucket, old.key), sk: `run#${old.runId}#job#${old.jobId}` },
        UpdateExpression: 'SET #d = :d',
        ExpressionAttributeNames: { '#d': 'decision' },
        ExpressionAttributeValues: { ':d': 'skipped' },
      }),
    );
    const out = runCli(['audit', 'verify', '--all', '--segments', '2']);
    expect(out.status).toBe(1);
    const position = log.lines[line]!.record.position;
    // The old verifier says what it recomputed: any 64 hex digits here.
    const found = out.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(/recomputed [0-9a-f]{64}/, 'recomputed H'));
    expect(found.sort()).toEqual(
      [
        `run ${first.runId} chunk ${item.chunkId}: log ${log.key}: changed: its bytes no longer hash to the SHA-256 the chunk committed`,
        `s3://${bucket}/${keys[7]}: run ${first.runId} chunk ${item.chunkId} position ${position}: changed: its line hash does not match its record`,
        `run ${first.runId}: digest: its records no longer match the digest it closed with (30 records now, 30 at close)`,
        `run ${third.runId}: digest: its records no longer match the digest it closed with (9 records now, 9 at close)`,
        `run ${third.runId}: tally: its tally shards no longer match the digest and count it closed with (the shards count 9 record(s), 9 at close)`,
        `s3://${old.bucket}/${old.key}: run ${old.runId} job ${old.jobId}: altered: its hash does not match its content`,
        `run ${old.runId}: digest: its records no longer match the digest it closed with (recomputed H)`,
        // The transparency log names the same changed log from its leaf.
        `transparency log: leaf ${item.leafIndex} (${log.key}): changed: its chunk log's bytes no longer hash to the SHA-256 the leaf records`,
      ].sort(),
    );
    expect(out.stderr).toContain('4 closed run(s) checked; 7 problem(s)');
    expect(out.stderr).toMatch(/3 of 3 committed chunk\(s\) are leaves; 1 problem\(s\)\n/);
    // --run verifies an old run from its chains too.
    const oldRun = runCli(['audit', 'verify', '--run', old.runId]);
    expect(oldRun.status).toBe(1);
    expect(oldRun.stderr).toContain(
      `run ${old.runId}: 3 audit record(s) of 3 object(s) checked; run digest differs`,
    );
  });

  it('refuses --all together with --run or --bucket', () => {
    const out = runCli(['audit', 'verify', '--all', '--bucket', bucket]);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toContain('give one of --run ID, --bucket B or --all');
  });
});
