import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import type { Run } from '../../shared/runs/run-store.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
let run: Run;
let bucket: string;
let file: string;

beforeAll(async () => {
  const pipeline = await startPipeline('report');
  const key = await createKmsKey(pipeline.clients.kms);
  bucket = uniqueBucket('report');
  await seedBucket(pipeline.clients.s3, bucket, { objects: 25 });
  // An archived object is skipped with a reason; its key needs HTML escaping.
  await pipeline.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'cold/<b>&"old".bin', Body: 'x', StorageClass: 'GLACIER' }),
  );
  run = (await pipeline.backfill(bucket, 'sse-kms', key)).run;
  file = join(mkdtempSync(join(tmpdir(), 's3seal-report-')), 'run.html');
  const out = runCli(['report', run.runId, '--html', file]);
  expect(out.status, out.stderr).toBe(0);
});

describe('s3-seal report --html', () => {
  it('writes one self-contained page: totals, chart, the skipped object and its reason, escaped', () => {
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<(link|img)\b|src=|https?:\/\//);
    expect(html).toContain(`<tr><th>encrypted</th><td>${run.counts.encrypted}</td></tr>`);
    expect(html).toContain(`<tr><th>skipped</th><td>${run.counts.skipped}</td></tr>`);
    expect(run.counts.skipped).toBeGreaterThanOrEqual(1);
    expect(html).toContain('cold/&#60;b&#62;&#38;&#34;old&#34;.bin');
    expect(html).not.toContain('<b>&"old"');
  });

  it('renders in headless Chromium with the chart laid out', () => {
    const dom = execFileSync(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${file}`],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    // Set by the page's script from the laid-out SVG: the browser parsed, styled and rendered it.
    expect(dom).toMatch(/data-chart-width="640"/);
    expect(dom).toContain(`s3-seal run <code>${run.runId}</code>`);
    expect(dom).toContain('cold/&lt;b&gt;&amp;"old".bin');
  });
});
