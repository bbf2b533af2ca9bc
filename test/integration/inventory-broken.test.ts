import { CreateBucketCommand, DeleteBucketEncryptionCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { queueDepth } from '../../cli/local-run.js';
import { headObject } from '../../shared/s3/object-head.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { breakCsv } from '../helpers/inventory.js';
import { writeReportOfBucket } from '../helpers/inventory-report.js';
import { startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/**
 * `encrypt --inventory … --local` with a data file whose MD5 matches the manifest but whose content
 * is broken (issue 24, item 8): before, every one of these recorded the run and retried its scan
 * message for minutes. Each CLI call here is bounded (60 s, most end within seconds).
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let bucket: string;
let reports: string;
const keys = Array.from({ length: 6 }, (_, i) => `data/object-${i}.txt`);
const BOUND_MS = 60_000;

beforeAll(async () => {
  pipeline = await startPipeline('inventory-broken');
  bucket = uniqueBucket('inv-broken');
  reports = uniqueBucket('inv-broken-reports');
  const s3 = pipeline.clients.s3;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: reports }));
  await s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })).catch(() => undefined);
  for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
});

/** A CSV report of the bucket in two data files of three rows; `rewriteFile` breaks some. */
async function report(rewriteFile: (bytes: Uint8Array, index: number) => Uint8Array): Promise<string> {
  const out = await writeReportOfBucket(pipeline.clients.s3, {
    bucket,
    reportBucket: reports,
    keys,
    format: 'CSV',
    rowsPerFile: 3,
    rewriteFile,
  });
  return out.manifest;
}

const onlySecond =
  (breaking: (bytes: Uint8Array) => Uint8Array) =>
  (bytes: Uint8Array, index: number): Uint8Array =>
    index === 1 ? breaking(bytes) : bytes;

function encryptLocal(manifest: string) {
  const args = ['encrypt', `s3://${bucket}`, '--mode', 'sse-s3', '--inventory', manifest];
  return runCli([...args, '--local', '--no-progress', '--pollers', '2'], BOUND_MS);
}

/** This file's bucket's runs (the ledger table is shared with other test files). */
async function runsOfBucket(): Promise<string[]> {
  const ids = await pipeline.runs.recent(50);
  const runs = await Promise.all(ids.map((id) => pipeline.runs.get(id)));
  return runs.filter((run) => run?.bucket === bucket).map((run) => run!.runId);
}

const scanDepth = () => queueDepth(pipeline.clients.sqs, [pipeline.queues.scan]);
const runIdOf = (stdout: string) => /^run (\S+) /m.exec(stdout)?.[1];

describe('a data file whose MD5 matches but whose start is broken is refused before a run is recorded', () => {
  it('not gzip: exit 1, one line naming the file, no run, nothing queued', async () => {
    const manifest = await report(onlySecond(breakCsv.notGzip));
    const before = await runsOfBucket();
    const started = Date.now();
    const out = encryptLocal(manifest);
    expect(out.status, out.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const file = `s3://${reports}/${manifest.split('/').slice(3, 6).join('/')}/data/part-1.csv.gz`;
    expect(out.stderr.trim()).toBe(
      `s3-seal: error: inventory data file ${file} is not gzip (S3 Inventory CSV files are gzip-compressed): nothing was recorded`,
    );
    expect(await runsOfBucket()).toEqual(before);
    expect(await scanDepth()).toBe(0);
  });

  it('fewer columns than fileSchema: exit 1, one line naming the file and both counts, no run', async () => {
    const manifest = await report(onlySecond(breakCsv.fewerColumns()));
    const before = await runsOfBucket();
    const out = encryptLocal(manifest);
    expect(out.status, out.stderr).toBe(1);
    const file = `s3://${reports}/${manifest.split('/').slice(3, 6).join('/')}/data/part-1.csv.gz`;
    expect(out.stderr.trim()).toBe(
      `s3-seal: error: inventory data file ${file}: its first row has 17 columns, the manifest's fileSchema names 18: nothing was recorded`,
    );
    expect(await runsOfBucket()).toEqual(before);
    expect(await scanDepth()).toBe(0);
  });
});

describe('a row the run cannot act on is that row skip, with its reason', () => {
  it('a row naming another bucket is skipped other-bucket, counted and audited; the rest is encrypted', async () => {
    const manifest = await report(onlySecond(breakCsv.otherBucket(1, 'someone-elses-bucket')));
    const out = encryptLocal(manifest);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^ {2}encrypted +5$/m);
    expect(out.stdout).toMatch(/^ {2}skipped +1$/m);
    expect(out.stdout).toMatch(/^ {4}other-bucket +1$/m);
    const runId = runIdOf(out.stdout)!;
    const skipped = await recordsOfRun(pipeline, runId, ['skipped']);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ bucket: 'someone-elses-bucket', key: keys[4] });
    // The reason the run counts; the record's bucket names the other bucket, `method` the report.
    expect(skipped[0]).toMatchObject({ reason: 'other-bucket', method: 'inventory-row' });
    // The object the row would have named in this bucket was not touched by that row.
    expect((await headObject(pipeline.clients.s3, bucket, keys[0]!))!.serverSideEncryption).toBe('AES256');
  });

  it('a key that is not valid URL encoding is skipped undecodable-key, counted and audited', async () => {
    const manifest = await report(onlySecond(breakCsv.badKeyEncoding(0)));
    const out = encryptLocal(manifest);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^ {2}skipped +1$/m);
    expect(out.stdout).toMatch(/^ {4}undecodable-key +1$/m);
    const runId = runIdOf(out.stdout)!;
    const skipped = await recordsOfRun(pipeline, runId, ['skipped']);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ bucket, key: 'bad%ZZkey%' });
    expect(skipped[0]).toMatchObject({ reason: 'undecodable-key', method: 'inventory-row' });
  });
});

describe('a data file that breaks after its first row', () => {
  it('fails the run at once with the file named: exit 1 within seconds, no retry loop', async () => {
    const manifest = await report(onlySecond(breakCsv.fewerColumns(2)));
    const started = Date.now();
    const out = encryptLocal(manifest);
    expect(out.status, `${out.stdout}\n${out.stderr}`).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const file = `s3://${reports}/${manifest.split('/').slice(3, 6).join('/')}/data/part-1.csv.gz`;
    expect(out.stderr).toContain(`s3-seal: error: run failed: inventory data file ${file}: `);
    expect(out.stderr).not.toContain('it will be retried');
    const runId = runIdOf(out.stdout)!;
    const run = (await pipeline.runs.get(runId))!;
    expect(run.scanComplete).toBe(false);
    expect(run.scanFailed).toContain(file);
    // `status` says so, and advises nothing that would wait for it.
    const status = runCli(['status', runId], BOUND_MS);
    expect(status.stdout).toContain(`  failed `);
    expect(status.stdout).toContain(`  scan failed: inventory data file ${file}: `);
    expect(status.stdout).not.toContain('resume');
  });
});
