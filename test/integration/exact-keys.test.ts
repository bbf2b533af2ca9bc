import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEventsHandler } from '../../functions/events/handler.js';
import { envelopeFormatOf } from '../../shared/envelope/format.js';
import { headObject } from '../../shared/s3/object-head.js';
import { WatchPolicyStore } from '../../shared/watch/watch-policy.js';
import { runCli } from '../helpers/cli.js';
import { createKmsKey, listKeys, readPlaintext, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { objectCreatedEvent, watchWholeBucket } from '../helpers/s3-events.js';

/**
 * Keys are exact on every path (issue 16): a key holding `\r`, `\n`, a tab or trailing spaces is
 * listed, HEADed, encrypted, verified, decrypted and audited as itself. Before, the listing let the
 * SDK's XML parser turn `\r` into `\n`, so `a\rb` stayed plaintext while the run exited 0 and
 * verify counted it compliant, and `decrypt "s3://B/trailing "` trimmed the URI and decrypted
 * `trailing`.
 */
type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let kmsKey: string;

// U+FFFF is legal in a key but not in an SQS message: a raw one failed every job batch it was in.
const KEYS = [
  'a\rb',
  'a\nb',
  'tab\there',
  'trailing ',
  'trailing',
  'plus+sign',
  'space here',
  'unicodé',
  'x\uFFFFy',
];
const bytesOf = (key: string) => Buffer.from(`the bytes of ${JSON.stringify(key)}`);

async function bucketWithKeys(label: string): Promise<string> {
  const bucket = uniqueBucket(label);
  await pipeline.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const key of KEYS) {
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytesOf(key) }));
  }
  return bucket;
}

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  return rows;
}

beforeAll(async () => {
  pipeline = await startPipeline('exact-keys');
  kmsKey = await createKmsKey(pipeline.clients.kms);
});

describe('keys with line breaks, tabs and trailing spaces', () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = await bucketWithKeys('exact-sse-kms');
    expect((await listKeys(pipeline.clients.s3, bucket)).sort()).toEqual([...KEYS].sort());
  });

  it('verify names every one as not yet under the key', () => {
    const out = runCli(['verify', `s3://${bucket}`, '--mode', 'sse-kms', '--key', kmsKey]);
    expect(out.status, out.stderr).toBe(1);
    const named = out.stdout.split('\n').filter((line) => line.startsWith('NOT COMPLIANT'));
    expect(named).toHaveLength(KEYS.length);
    // A key with a control character is shown quoted and escaped, so it cannot rewrite the line.
    const shown = `NOT COMPLIANT  ${JSON.stringify(`s3://${bucket}/a\rb`)}  `;
    expect(named.filter((line) => line.startsWith(shown))).toHaveLength(1);
    expect(out.stdout).toContain(
      `verified ${KEYS.length} objects under s3://${bucket}/: 0 compliant, ${KEYS.length} not`,
    );
  });

  it('encrypt --mode sse-kms --local encrypts every one, HEADed by its exact key', async () => {
    const out = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      kmsKey,
      '--local',
      '--no-progress',
    ]);
    expect(out.status, out.stderr).toBe(0);
    for (const key of KEYS) {
      const head = await headObject(pipeline.clients.s3, bucket, key);
      expect(head?.serverSideEncryption, JSON.stringify(key)).toBe('aws:kms');
      expect(head?.kmsKeyArn, JSON.stringify(key)).toBe(kmsKey);
      expect(await readPlaintext(pipeline.clients, bucket, key)).toEqual(bytesOf(key));
    }
  });

  it('verify then exits 0 and counts all of them compliant', () => {
    const out = runCli(['verify', `s3://${bucket}`, '--mode', 'sse-kms', '--key', kmsKey]);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toContain(
      `verified ${KEYS.length} objects under s3://${bucket}/: ${KEYS.length} compliant, 0 not`,
    );
  });

  it('audit export (JSON lines and CSV) and audit verify --bucket carry the exact keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 's3seal-exact-'));
    const jsonl = runCli(['audit', 'export', '--bucket', bucket, '-o', join(dir, 'a.jsonl')]);
    expect(jsonl.status, jsonl.stderr).toBe(0);
    const records = readFileSync(join(dir, 'a.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { key: string; decision: string });
    expect(
      records
        .filter((r) => r.decision === 'encrypted')
        .map((r) => r.key)
        .sort(),
    ).toEqual([...KEYS].sort());

    const csv = runCli(['audit', 'export', '--bucket', bucket, '--format', 'csv', '-o', join(dir, 'a.csv')]);
    expect(csv.status, csv.stderr).toBe(0);
    const [header, ...rows] = parseCsv(readFileSync(join(dir, 'a.csv'), 'utf8'));
    const keyColumn = header!.indexOf('key');
    const decisionColumn = header!.indexOf('decision');
    expect(rows).toHaveLength(records.length);
    expect(
      rows
        .filter((r) => r[decisionColumn] === 'encrypted')
        .map((r) => r[keyColumn])
        .sort(),
    ).toEqual([...KEYS].sort());

    const verified = runCli(['audit', 'verify', '--bucket', bucket]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stderr).toContain(`of ${KEYS.length} object(s) checked`);
  });
});

describe('envelope and decrypt', () => {
  it('decrypt "s3://B/trailing " returns its bytes, not those of "trailing"; rewrap --scan moves every key', async () => {
    const bucket = await bucketWithKeys('exact-envelope');
    const out = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'envelope',
      '--key',
      kmsKey,
      '--local',
      '--no-progress',
    ]);
    expect(out.status, out.stderr).toBe(0);
    for (const key of KEYS) {
      expect(
        envelopeFormatOf((await headObject(pipeline.clients.s3, bucket, key))!.metadata),
        JSON.stringify(key),
      ).toBeTruthy();
    }
    const dir = mkdtempSync(join(tmpdir(), 's3seal-exact-'));
    for (const key of ['trailing ', 'trailing', 'a\rb', 'a\nb']) {
      const file = join(dir, `${KEYS.indexOf(key)}.out`);
      const decrypted = runCli(['decrypt', `s3://${bucket}/${key}`, '-o', file]);
      expect(decrypted.status, decrypted.stderr).toBe(0);
      expect(readFileSync(file), JSON.stringify(key)).toEqual(bytesOf(key));
    }

    // rewrap --scan lists the bucket too: every exact key moves to the new key.
    const newKey = await createKmsKey(pipeline.clients.kms);
    const rewrap = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      kmsKey,
      '--to',
      newKey,
      '--scan',
      '--local',
      '--no-progress',
    ]);
    expect(rewrap.status, rewrap.stderr).toBe(0);
    const verified = runCli(['verify', `s3://${bucket}`, '--mode', 'envelope', '--key', newKey]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toContain(`${KEYS.length} compliant, 0 not`);
  });

  it('decrypt refuses a URI with leading whitespace or a version, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3seal-exact-'));
    const leading = runCli(['decrypt', ' s3://some-bucket/k', '-o', join(dir, 'x')]);
    expect(leading.status).not.toBe(0);
    expect(leading.stderr).toContain('starts with whitespace');
    const versioned = runCli(['decrypt', 's3://some-bucket/k?versionId=v1', '-o', join(dir, 'x')]);
    expect(versioned.status).not.toBe(0);
    expect(versioned.stderr).toContain('--version-id v1');
    const encrypt = runCli(['encrypt', 's3://some-bucket/k?versionId=v1', '--mode', 'sse-s3']);
    expect(encrypt.status).not.toBe(0);
    expect(encrypt.stderr).toContain('names an object version');
    expect(() => readFileSync(join(dir, 'x'))).toThrow();
  });
});

describe('the events path', () => {
  it('encrypts a\\rb from an ObjectCreated event with the key encoded as S3 encodes it', async () => {
    const bucket = await bucketWithKeys('exact-events');
    const policies = new WatchPolicyStore(pipeline.clients.dynamo, pipeline.config.ledgerTable);
    await watchWholeBucket(policies, bucket, kmsKey);
    const handler = createEventsHandler(() => ({ ...pipeline.encryptDeps(), runs: pipeline.runs, policies }));
    const event = (encodedKey: string): SQSEvent =>
      objectCreatedEvent({ bucket, key: encodedKey, eTag: 'e' }, encodedKey);
    // S3 form-encodes keys in notifications: `\r` as %0D, a space as `+`, a plus as %2B.
    for (const encoded of ['a%0Db', 'trailing+', 'plus%2Bsign']) {
      const response = await handler(event(encoded), {} as never);
      expect(response.batchItemFailures, encoded).toEqual([]);
    }
    for (const key of ['a\rb', 'trailing ', 'plus+sign']) {
      expect((await headObject(pipeline.clients.s3, bucket, key))?.kmsKeyArn, JSON.stringify(key)).toBe(
        kmsKey,
      );
    }
    // Their look-alikes were not named by any event and stay as they were.
    for (const key of ['a\nb', 'trailing', 'space here']) {
      expect(
        (await headObject(pipeline.clients.s3, bucket, key))?.kmsKeyArn,
        JSON.stringify(key),
      ).toBeUndefined();
    }
  });
});
