import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import type { Run } from '../../shared/runs/run-store.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const COLD_KEY = 'cold/<b>&"old".bin';
const CSV_KEY = 'csv/a,b "c"\nd+e.txt';

// Tables of its own: "the latest run" is then this file's run, whatever else runs beside it.
const tables = `it-report-${randomUUID().slice(0, 6)}`;
process.env.S3SEAL_LEDGER_TABLE = `${tables}-ledger`;
// A transparency log of its own: the sequencer's state lives in the ledger table.
process.env.S3SEAL_TLOG_PREFIX = `${tables}-tlog/`;
process.env.S3SEAL_AUDIT_TABLE = `${tables}-audit`;

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let run: Run;
let keyArn: string;
let bucket: string;
let dir: string;
let file: string;
let csv: string;

beforeAll(async () => {
  pipeline = await startPipeline('report');
  keyArn = await createKmsKey(pipeline.clients.kms);
  bucket = uniqueBucket('report');
  await seedBucket(pipeline.clients.s3, bucket, { objects: 25 });
  // Versioned from here: every rewrite leaves its plaintext original as a noncurrent version.
  await pipeline.clients.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: CSV_KEY, Body: 'first' }));
  await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: CSV_KEY, Body: 'second' }));
  // An archived object is skipped with a reason; its key needs HTML escaping and URL-encoding.
  await pipeline.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: COLD_KEY, Body: 'x', StorageClass: 'GLACIER' }),
  );
  run = (await pipeline.backfill(bucket, 'sse-kms', keyArn)).run;
  dir = mkdtempSync(join(tmpdir(), 's3seal-report-'));
  file = join(dir, 'run.html');
  csv = join(dir, 'run.csv');
  const out = runCli(['report', run.runId, '--html', file, '--batch-csv', csv]);
  expect(out.status, out.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  for (const TableName of [pipeline.config.ledgerTable, pipeline.config.auditTable])
    await pipeline.clients.dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
});

describe('s3-seal report --html', () => {
  it('writes one self-contained page with what an auditor files', () => {
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<(link|img)\b|src=|https?:\/\//);
    expect(run.counts).toMatchObject({ encrypted: 26, skipped: 1, failed: 0, superseded: 0 });
    expect(html).toContain(`<tr><th>encrypted</th><td>${run.counts.encrypted}</td></tr>`);
    expect(html).toContain(`<tr><th>skipped</th><td>${run.counts.skipped}</td></tr>`);
    expect(html).toContain(`<tr><th scope="row">target key</th><td><code>${keyArn}</code></td></tr>`);
    expect(html).toContain(`<tr><th scope="row">ended</th><td>${run.closedAt}</td></tr>`);
    expect(html).toMatch(/<tr><th scope="row">duration<\/th><td>[\d.]+ (s|min)<\/td><\/tr>/);
    expect(html).toContain(`s3-seal ${VERSION}`);
    // Before → after: every encrypted object was unencrypted and is now under SSE-KMS.
    expect(html).toContain(`<tr><th>unencrypted</th><td class="n">26</td><td class="n">0</td></tr>`);
    expect(html).toContain(`<tr><th>sse-kms (target key)</th><td class="n">0</td><td class="n">26</td></tr>`);
    expect(html).toContain(`<tr><th>archived</th><td class="n">1</td><td class="n">1</td></tr>`);
    expect(html).toContain('NOT COMPLIANT: 1 of 27 objects');
    expect(html).toContain(`Run digest <code>${run.auditDigest}</code>`);
    expect(html).toMatch(/Audit check at \S+: no problems in 27 records of 27 objects; digest matches/);
    // 26 rewrites left 26 plaintext originals, and the key written twice one older version more.
    expect(html).toContain('<strong>27</strong> plaintext noncurrent version(s) of 27');
    expect(html).toContain('cold/&#60;b&#62;&#38;&#34;old&#34;.bin');
    expect(html).not.toContain('<b>&"old"');
  });

  it('renders in headless Chromium: charts laid out, sections readable, a screenshot taken', () => {
    const chromium = (args: string[]) =>
      execFileSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', ...args, `file://${file}`], {
        encoding: 'utf8',
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    const dom = chromium(['--dump-dom']);
    // Set by the page's one line of script from the laid-out SVGs: the browser parsed and laid out all three.
    expect(dom).toContain('data-chart-widths="720 720 720"');
    expect(dom).toContain(`s3-seal run <code>${run.runId}</code>`);
    for (const heading of [
      'Verify result',
      'Protection before and after',
      'Audit trail',
      'Plaintext versions left',
      'Objects not protected, by reason (1)',
    ])
      expect(dom).toContain(`<h2>${heading}</h2>`);
    expect(dom).toContain('<h3>skipped · archived · 1 object</h3>');
    expect(dom).toContain('<strong>Remedy:</strong> Restore it (S3 RestoreObject');
    expect(dom).toContain('cold/&lt;b&gt;&amp;"old".bin');
    expect(dom).toMatch(/<text class="axis-title"[^>]*>objects<\/text>/);
    expect(dom).toMatch(/<g class="bar good" data-label="encrypted" data-value="26">/);
    expect(dom).toMatch(/<g class="bar bad" data-label="skipped: archived" data-value="1">/);
    const shot = join(dir, 'report.png');
    chromium([`--screenshot=${shot}`, '--window-size=1100,2600', '--hide-scrollbars']);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    if (process.env.S3SEAL_REPORT_SCREENSHOT) copyFileSync(shot, process.env.S3SEAL_REPORT_SCREENSHOT);
  });
});

describe('s3-seal report --batch-csv', () => {
  it("writes one row per object in S3 Batch Operations' completion report layout", () => {
    const text = readFileSync(csv, 'utf8');
    const rows = text.split('\n');
    expect(rows.pop()).toBe('');
    expect(rows).toHaveLength(27);
    expect(rows.every((row) => row.startsWith(`${bucket},`))).toBe(true);
    const cold = rows.filter((row) => row.startsWith(`${bucket},cold/%3Cb%3E%26%22old%22.bin,`));
    expect(cold).toHaveLength(1);
    expect(cold[0]).toMatch(
      new RegExp(
        `^${bucket},cold/%3Cb%3E%26%22old%22\\.bin,[^,]+,failed,403,InvalidObjectState,s3-seal skipped; reason archived; run ${run.runId}$`,
      ),
    );
    const odd = rows.filter((row) => row.startsWith(`${bucket},csv/a%2Cb%20%22c%22%0Ad%2Be.txt,`));
    expect(odd).toHaveLength(1);
    expect(odd[0]).toMatch(
      new RegExp(
        `,succeeded,200,,"s3-seal encrypted; method copy-in-place; key ${keyArn}; etag ""[0-9a-f-]+""; run ${run.runId}"$`,
      ),
    );
    expect(rows.filter((row) => row.includes(',succeeded,200,,'))).toHaveLength(26);
  });
});

describe('the latest run by default', () => {
  it('report and audit export take the latest run when none is given', () => {
    const latest = join(dir, 'latest.csv');
    const report = runCli(['report', '--batch-csv', latest]);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stderr).toContain(`run ${run.runId}`);
    expect(readFileSync(latest, 'utf8')).toBe(readFileSync(csv, 'utf8'));
    const exported = join(dir, 'latest.jsonl');
    const audit = runCli(['audit', 'export', '-o', exported]);
    expect(audit.status, audit.stderr).toBe(0);
    expect(audit.stderr).toContain(`exported 27 audit record(s) of run ${run.runId}`);
    expect(readFileSync(exported, 'utf8').trimEnd().split('\n')).toHaveLength(27);
  });

  it("--verify checks the run's scope live and puts that verdict on the page, naming each problem", () => {
    const live = join(dir, 'live.html');
    const out = runCli(['report', run.runId, '--html', live, '--verify']);
    expect(out.status, out.stderr).toBe(0);
    const html = readFileSync(live, 'utf8');
    // 26 objects now under the key; the archived one was skipped and is still unencrypted.
    expect(html).toContain(
      `NOT COMPLIANT (checked live): 1 of 27 current objects under s3://${run.bucket}/ are not protected as the run asked.`,
    );
    expect(html).toMatch(
      /<ul id="verify-problems"><li><code>cold\/&#60;b&#62;&#38;&#34;old&#34;\.bin<\/code>: not sse-kms under /,
    );
    expect(html).not.toContain("Read from the run's audit records");
    const refused = runCli(['report', run.runId, '--batch-csv', join(dir, 'x.csv'), '--verify']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('--verify puts its verdict on the --html page: give --html FILE');
  });

  it('report refuses to write nothing', () => {
    const out = runCli(['report', run.runId]);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain('give --html FILE, --batch-csv FILE, or both');
  });
});

describe('the report of a re-wrap', () => {
  it('names the source key and the target key, and the objects move from one to the other', async () => {
    const target = await createKmsKey(pipeline.clients.kms);
    const rewrap = runCli([
      'rewrap',
      `s3://${bucket}/data/`,
      '--from',
      keyArn,
      '--to',
      target,
      '--scan',
      '--local',
    ]);
    expect(rewrap.status, rewrap.stderr).toBe(0);
    const rewrapRun = /run (\S+):/.exec(rewrap.stderr)![1]!;
    const page = join(dir, 'rewrap.html');
    // The latest run now is the re-wrap.
    const out = runCli(['report', '--html', page]);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stderr).toContain(`run ${rewrapRun}`);
    const html = readFileSync(page, 'utf8');
    expect(html).toContain(`<tr><th scope="row">target key</th><td><code>${target}</code></td></tr>`);
    expect(html).toMatch(
      new RegExp(
        `<tr><th scope="row">source key</th><td><code>${keyArn}</code> \\(\\d+ objects?\\)</td></tr>`,
      ),
    );
    expect(html).toContain('PASS: every object the run decided is protected');
    // The re-keying shows as a move from the source key's row to the target key's.
    expect(html).toMatch(
      /<tr><th>sse-kms \(source key\)<\/th><td class="n">(\d+)<\/td><td class="n">0<\/td><\/tr>/,
    );
    expect(html).toMatch(
      /<tr><th>sse-kms \(target key\)<\/th><td class="n">0<\/td><td class="n">(\d+)<\/td><\/tr>/,
    );
  }, 180_000);
});
