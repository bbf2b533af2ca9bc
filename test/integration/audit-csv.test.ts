import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/** Object keys a spreadsheet would run as formulas if a CSV cell started with them. */
const FORMULA_KEYS = ["=cmd|' /C calc'!A0", '+1', '-1', '@SUM(1)', '\tx'];
let bucket: string;

/** RFC 4180 rows and cells (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"' && (quoted || cell === '')) {
      quoted = !quoted;
    } else if (quoted || (c !== ',' && !(c === '\r' && text[i + 1] === '\n'))) {
      cell += c;
    } else {
      row.push(cell);
      cell = '';
      if (c === '\r') {
        rows.push(row);
        row = [];
        i++;
      }
    }
  }
  return rows;
}

beforeAll(async () => {
  const pipeline = await startPipeline('audit-csv');
  bucket = uniqueBucket('csv');
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const key of FORMULA_KEYS) {
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  }
  const { run } = await pipeline.backfill(bucket, 'sse-s3');
  expect(run.discovered).toBe(FORMULA_KEYS.length);
});

describe('audit export --format csv', () => {
  it('never starts a cell with a formula character: the key is prefixed with a quote and quoted', () => {
    const out = runCli(['audit', 'export', '--bucket', bucket, '--format', 'csv']);
    expect(out.status, out.stderr).toBe(0);
    for (const key of FORMULA_KEYS) expect(out.stdout).toContain(`,"'${key.replaceAll('"', '""')}",`);
    const [header, ...rows] = parseCsv(out.stdout);
    const keyColumn = header!.indexOf('key');
    expect(rows).toHaveLength(FORMULA_KEYS.length);
    expect(rows.map((r) => r[keyColumn]!.slice(1)).sort()).toEqual([...FORMULA_KEYS].sort());
    for (const row of rows) {
      expect(row).toHaveLength(header!.length);
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it('keeps the keys exact in JSON lines', () => {
    const out = runCli(['audit', 'export', '--bucket', bucket]);
    expect(out.status, out.stderr).toBe(0);
    const keys = out.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).key as string);
    expect(keys.sort()).toEqual([...FORMULA_KEYS].sort());
  });
});
