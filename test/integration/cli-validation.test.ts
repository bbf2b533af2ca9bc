import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { queueDepth } from '../../cli/local-run.js';
import { seedBucket } from '../../cli/seed-bucket.js';
import { headObject } from '../../shared/s3/object-head.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('cli-validation');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

/** Every ledger item (run records, the run list, object items) that names `bucket`. */
async function ledgerItemsOf(bucket: string) {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan(
    { client: pipeline.clients.dynamo },
    {
      TableName: pipeline.config.ledgerTable,
      FilterExpression: '#bucket = :b',
      ExpressionAttributeNames: { '#bucket': 'bucket' },
      ExpressionAttributeValues: { ':b': bucket },
      ConsistentRead: true,
    },
  )) {
    items.push(...(page.Items ?? []));
  }
  return items;
}

/** What a write would change: each object's ETag and protection. */
async function snapshot(bucket: string) {
  const state: Record<string, string> = {};
  for (const key of await listKeys(pipeline.clients.s3, bucket)) {
    const head = (await headObject(pipeline.clients.s3, bucket, key))!;
    state[key] =
      `${head.etag} ${head.serverSideEncryption ?? 'none'} ${Object.keys(head.metadata).join(',')}`;
  }
  return state;
}

describe('numeric options are checked before anything is recorded or queued', () => {
  it('refuses --concurrency abc, 0, -3 and 1.5: exit 1, the flag named, no run, no scan message', async () => {
    const bucket = uniqueBucket('badconc');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 5 });
    const before = await snapshot(bucket);
    for (const value of ['abc', '0', '-3', '1.5']) {
      const out = runCli(
        [
          'encrypt',
          `s3://${bucket}`,
          '--mode',
          'sse-kms',
          '--key',
          keyArn,
          '--local',
          '--concurrency',
          value,
        ],
        60_000,
      );
      expect(out.status, `--concurrency ${value}: ${out.stderr}`).toBe(1);
      expect(out.stderr).toContain(`option '--concurrency <n>' argument '${value}' is invalid`);
      expect(out.stderr).toContain('expected a whole number from 1 to 256');
    }
    expect(await ledgerItemsOf(bucket)).toEqual([]);
    expect(await queueDepth(pipeline.clients.sqs, [pipeline.queues.scan, pipeline.queues.encrypt])).toBe(0);

    // A later, valid run of another bucket finds no orphan run to pick up: the refused bucket is
    // left exactly as it was.
    const other = uniqueBucket('goodconc');
    await seedBucket(pipeline.clients.s3, other, { objects: 3 });
    const good = runCli([
      'encrypt',
      `s3://${other}`,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--local',
      '--no-progress',
    ]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/encrypted\s+3\b/);
    expect(await snapshot(bucket)).toEqual(before);
    expect(await ledgerItemsOf(bucket)).toEqual([]);
    const sealed = await snapshot(other);
    expect(Object.values(sealed).every((s) => s.includes(' aws:kms '))).toBe(true);
  });

  it('refuses a run whose audit bucket is missing before recording it: one line, exit 1, nothing written', async () => {
    const bucket = uniqueBucket('noaudit');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 3 });
    const before = await snapshot(bucket);
    const missing = uniqueBucket('no-audit-bucket');
    const saved = process.env.S3SEAL_AUDIT_BUCKET;
    process.env.S3SEAL_AUDIT_BUCKET = missing;
    try {
      const out = runCli(
        ['encrypt', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyArn, '--local'],
        60_000,
      );
      expect(out.status, out.stderr).toBe(1);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
      expect(out.stderr).toContain(`audit bucket s3://${missing}/`);
      expect(out.stderr).toContain('s3-seal setup');
    } finally {
      if (saved === undefined) delete process.env.S3SEAL_AUDIT_BUCKET;
      else process.env.S3SEAL_AUDIT_BUCKET = saved;
    }
    expect(await ledgerItemsOf(bucket)).toEqual([]);
    expect(await snapshot(bucket)).toEqual(before);
  });

  it('refuses `worker --concurrency abc` instead of starting NaN pollers', () => {
    const out = runCli(['worker', '--concurrency', 'abc', '--until-idle'], 30_000);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain("option '--concurrency <n>' argument 'abc' is invalid");
    expect(out.stderr).not.toContain('pollers');
  });

  it.each([
    [['worker', '--visibility-seconds', '0'], '--visibility-seconds <s>'],
    [['worker', '--until-idle', '--idle-seconds', 'soon'], '--idle-seconds <s>'],
    [['verify', 's3://any-bucket', '--concurrency', '-3'], '--concurrency <n>'],
    [['rewrap', 's3://any-bucket', '--from', 'k1', '--to', 'k2', '--concurrency', '0'], '--concurrency <n>'],
    [
      ['rewrap', 's3://any-bucket', '--from', 'k1', '--to', 'k2', '--wrapped-before', 'last week'],
      '--wrapped-before <iso-time>',
    ],
    [['rotate', '--key', 'k1', '--on-demand', '--before', '2026-02-31'], '--before <iso-time>'],
    [['status', '--watch', '--interval', 'abc'], '--interval <seconds>'],
    [['status', '--list', '0'], '--list [n]'],
    [['demo', '--objects', 'many'], '--objects <n>'],
  ])('refuses %j naming the flag', (args, flag) => {
    const out = runCli(args, 30_000);
    expect(out.status, out.stderr).toBe(1);
    expect(out.stderr).toContain(`option '${flag}' argument`);
    expect(out.stderr).toContain('is invalid');
  });
});

describe('an unknown run or bucket is an error, not an empty success', () => {
  let bucket: string;
  let runId: string;
  let emptyRunId: string;

  beforeAll(async () => {
    bucket = uniqueBucket('scopes');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 3 });
    runId = (await pipeline.backfill(bucket, 'sse-s3')).run.runId;
    const empty = uniqueBucket('scopes-empty');
    await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: empty }));
    emptyRunId = (await pipeline.backfill(empty, 'sse-s3')).run.runId;
  });

  it('audit verify --bucket of a bucket with no records exits 1 saying so', () => {
    const name = uniqueBucket('never-seen');
    const out = runCli(['audit', 'verify', '--bucket', name]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`bucket ${name}: no audit records and no ledger anchors`);
  });

  it('audit verify --run, audit export --run, status and report refuse an unknown run', () => {
    for (const args of [
      ['audit', 'verify', '--run', 'UNKNOWN-RUN'],
      ['audit', 'export', '--run', 'UNKNOWN-RUN'],
      ['status', 'UNKNOWN-RUN'],
      ['report', 'UNKNOWN-RUN', '--html', join(tmpdir(), 's3seal-unknown-run.html')],
    ]) {
      const out = runCli(args);
      expect(out.status, args.join(' ')).toBe(1);
      expect(out.stderr, args.join(' ')).toContain('run UNKNOWN-RUN not found');
      expect(out.stdout, args.join(' ')).toBe('');
    }
    expect(existsSync(join(tmpdir(), 's3seal-unknown-run.html'))).toBe(false);
  });

  it('audit export of an unknown scope writes nothing: no CSV header, no file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 's3seal-scope-')), 'out.csv');
    const out = runCli([
      'audit',
      'export',
      '--bucket',
      uniqueBucket('never-seen'),
      '--format',
      'csv',
      '-o',
      file,
    ]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('no audit records');
    expect(existsSync(file) || existsSync(`${file}.partial`)).toBe(false);
    const csv = runCli(['audit', 'export', '--run', 'UNKNOWN-RUN', '--format', 'csv']);
    expect(csv.status).toBe(1);
    expect(csv.stdout).toBe('');
  });

  it('known scopes still succeed, an empty run included', () => {
    const verified = runCli(['audit', 'verify', '--bucket', bucket]);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stderr).toContain('3 audit record(s) of 3 object(s) checked');
    expect(runCli(['audit', 'verify', '--run', runId]).status).toBe(0);
    const exported = runCli(['audit', 'export', '--run', runId]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout.trimEnd().split('\n')).toHaveLength(3);
    const empty = runCli(['audit', 'export', '--run', emptyRunId]);
    expect(empty.status, empty.stderr).toBe(0);
    expect(empty.stdout).toBe('');
    expect(runCli(['audit', 'verify', '--run', emptyRunId]).status).toBe(0);
  });
});

describe('rewrap refuses what it cannot act on, before anything is recorded', () => {
  it('a missing bucket, by index, --scan or --local: exit 1, the bucket named, no run', async () => {
    const target = await createKmsKey(pipeline.clients.kms);
    const bucket = uniqueBucket('rw-missing');
    for (const extra of [[], ['--scan'], ['--local', '--no-progress']]) {
      const out = runCli(['rewrap', `s3://${bucket}`, '--from', keyArn, '--to', target, ...extra]);
      expect(out.status, extra.join(' ')).toBe(1);
      expect(out.stderr).toContain(`bucket ${bucket} does not exist`);
    }
    expect(await ledgerItemsOf(bucket)).toEqual([]);
  });

  it('a --from key that is not a symmetric encryption key: exit 1, the key named, no run', async () => {
    const bucket = uniqueBucket('rw-asym');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 1 });
    const signing = await pipeline.clients.kms.send(
      new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
    );
    const out = runCli(['rewrap', `s3://${bucket}`, '--from', signing.KeyMetadata!.Arn!, '--to', keyArn]);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(
      /--from: KMS key .* is RSA_2048\/SIGN_VERIFY; only a symmetric encryption key/,
    );
    expect(await ledgerItemsOf(bucket)).toEqual([]);
  });
});

describe('verify of a prefix with no objects', () => {
  it('says nothing was checked (a mistyped prefix is not a clean bill)', async () => {
    const bucket = uniqueBucket('verify-empty');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 2 });
    const out = runCli(['verify', `s3://${bucket}/typo/`]);
    expect(out.stdout).toContain('verified 0 objects');
    expect(out.stderr).toContain(`verify: no objects under s3://${bucket}/typo/: nothing was checked`);
  });
});

describe('output files and objects are named in errors', () => {
  it('decrypt and audit export refuse an output in a missing directory before reading anything', () => {
    const bad = join(tmpdir(), `no-such-dir-${Date.now()}`, 'out.bin');
    const decrypted = runCli(['decrypt', 's3://any-bucket/any-key', '-o', bad]);
    expect(decrypted.status).toBe(1);
    expect(decrypted.stderr).toContain(`cannot write ${bad}: no directory`);
    const exported = runCli(['audit', 'export', '--run', 'R', '-o', bad]);
    expect(exported.status).toBe(1);
    expect(exported.stderr).toContain(`cannot write ${bad}: no directory`);
    expect(exported.stderr).not.toContain('.partial');
  });

  it('decrypt names the object S3 could not find', async () => {
    const bucket = uniqueBucket('decrypt-missing');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    const out = runCli(['decrypt', `s3://${bucket}/no/such.key`, '-o', '-']);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(new RegExp(`^s3-seal: error: s3://${bucket}/no/such\\.key: `));
  });
});
