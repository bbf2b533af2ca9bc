import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../shared/clients.js';
import { handlerRuntime } from '../../shared/handler-runtime.js';
import { type Plan, type PlanRequest, planRun } from '../../shared/plan/plan-run.js';
import { runCli } from '../helpers/cli.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { buildInventory, type InventoryEntry } from '../helpers/inventory.js';
import { createKmsKey, uniqueBucket } from '../helpers/pipeline.js';

/**
 * `plan` over a seeded versioned bucket: by listing (a HEAD per object and version) and from real
 * S3 Inventory reports (manifest.json + CSV.gz, and Parquet) written to the local stack in the
 * documented layout. It must count exactly, and write nothing.
 */
const { config, clients } = handlerRuntime();
let bucket: string;
let inventoryBucket: string;
let keyA: string;
let keyB: string;

const put = (input: Omit<PutObjectCommandInput, 'Bucket'>) =>
  clients.s3.send(new PutObjectCommand({ Bucket: bucket, ...input }));

// What the inventory of the seeded bucket says (an inventory shows an envelope as NOT-SSE and,
// without a key column, SSE-KMS without its key). One SSE-C row exists only in the report.
const entries: InventoryEntry[] = [
  { key: 'plain/a', size: 2, etag: 'e1', encryptionStatus: 'NOT-SSE' },
  { key: 'plain/a', versionId: 'old', isLatest: false, size: 1, etag: 'e0', encryptionStatus: 'NOT-SSE' },
  { key: 'plain/b c+d', size: 3, etag: 'e2', encryptionStatus: 'NOT-SSE' },
  { key: 'plain/e', size: 4, etag: 'e3', encryptionStatus: 'NOT-SSE' },
  { key: 'ia/x', size: 5, etag: 'e4', encryptionStatus: 'NOT-SSE', storageClass: 'STANDARD_IA' },
  { key: 'sse/s3', size: 6, etag: 'e5', encryptionStatus: 'SSE-S3' },
  { key: 'kms/policy', size: 7, etag: 'e6', encryptionStatus: 'SSE-KMS', bucketKeyStatus: 'ENABLED' },
  { key: 'kms/other', size: 8, etag: 'e7', encryptionStatus: 'SSE-KMS' },
  { key: 'env/v3', size: 41, etag: 'e8', encryptionStatus: 'NOT-SSE' },
  { key: 'cold/g', size: 9, etag: 'e9', encryptionStatus: 'NOT-SSE', storageClass: 'GLACIER' },
  { key: 'custc/d', size: 10, etag: 'ea', encryptionStatus: 'SSE-C' },
  {
    key: 'gone',
    versionId: 'dm',
    isLatest: true,
    isDeleteMarker: true,
    size: 0,
    etag: '',
    encryptionStatus: 'NOT-SSE',
  },
  { key: 'gone', versionId: 'g1', isLatest: false, size: 1, etag: 'eb', encryptionStatus: 'NOT-SSE' },
];

beforeAll(async () => {
  bucket = uniqueBucket('plan');
  inventoryBucket = uniqueBucket('plan-inv');
  [keyA, keyB] = [await createKmsKey(clients.kms), await createKmsKey(clients.kms)];
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await clients.s3.send(new CreateBucketCommand({ Bucket: inventoryBucket }));
  // Legacy objects: stored before default encryption, as the pipeline's own tests seed them.
  await clients.s3.send(new DeleteBucketEncryptionCommand({ Bucket: bucket })).catch(() => undefined);
  await clients.s3.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await put({ Key: 'plain/a', Body: 'a' });
  await put({ Key: 'plain/a', Body: 'aa' });
  await put({ Key: 'plain/b c+d', Body: 'bbb' });
  await put({ Key: 'plain/e', Body: 'eeee' });
  await put({ Key: 'ia/x', Body: 'xxxxx', StorageClass: 'STANDARD_IA' });
  await put({ Key: 'sse/s3', Body: 'ssssss', ServerSideEncryption: 'AES256' });
  await put({ Key: 'kms/policy', Body: 'kkkkkkk', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyA });
  await put({ Key: 'kms/other', Body: 'oooooooo', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keyB });
  await putEnvelopeObject(clients, {
    bucket,
    key: 'env/v3',
    body: Buffer.from('sealed by a client'),
    keyArn: keyA,
    format: 'v3',
  });
  await put({ Key: 'cold/g', Body: 'ggggggggg', StorageClass: 'GLACIER' });
  await put({ Key: 'gone', Body: 'g' });
  await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'gone' }));
});

/** Uploads an inventory of `bucket` and returns its manifest URI. */
async function uploadInventory(format: 'CSV' | 'Parquet', tamper = false): Promise<string> {
  const prefix = `${format.toLowerCase()}-${Date.now()}${tamper ? '-tampered' : ''}`;
  const { objects, manifestKey } = buildInventory({
    sourceBucket: bucket,
    destinationBucket: inventoryBucket,
    prefix,
    format,
    entries,
    rowsPerFile: 5,
    rowGroupSize: 2,
  });
  for (const [key, bytes] of objects) {
    const body = tamper && key.endsWith('part-1.csv.gz') ? Buffer.from(bytes).reverse() : bytes;
    await clients.s3.send(new PutObjectCommand({ Bucket: inventoryBucket, Key: key, Body: body }));
  }
  return `s3://${inventoryBucket}/${manifestKey}`;
}

/** Plans with fresh clients whose every request is recorded, so the test sees all of them. */
async function planCounting(request: Partial<PlanRequest>): Promise<{ plan: Plan; sent: string[] }> {
  const counted = createClients(config);
  const sent: string[] = [];
  // Every SDK v3 client has the same middleware stack shape; typed through S3Client's.
  const watched = Object.entries({ s3: counted.s3, kms: counted.kms }) as Array<[string, S3Client]>;
  for (const [service, client] of watched) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(`${service}.${String(context.commandName).replace(/Command$/, '')}`);
        return next(args);
      },
      { step: 'initialize', name: 'recordRequests' },
    );
  }
  const plan = await planRun(counted, {
    bucket,
    prefix: '',
    mode: 'sse-kms',
    key: keyA,
    lambdaConcurrency: 1000,
    prefixPartitions: 1,
    sampleSize: 100,
    concurrency: 8,
    useUpdateObjectEncryption: false,
    ...request,
  });
  return { plan, sent };
}

const counts = (amounts: Record<string, { count: number }>) =>
  Object.fromEntries(Object.entries(amounts).map(([name, a]) => [name, a.count]));

const READS =
  /^(s3\.(HeadBucket|ListObjectsV2|ListObjectVersions|HeadObject|GetObject|GetBucketVersioning)|kms\.DescribeKey)$/;

describe('s3-seal plan', () => {
  it('by listing: counts every object by state, storage class and action, and old plaintext versions, with reads only', async () => {
    const { plan, sent } = await planCounting({});
    expect(counts(plan.byState)).toEqual({
      unencrypted: 4,
      'sse-s3': 1,
      'sse-kms-policy-key': 1,
      'sse-kms-other-key': 1,
      'envelope-v3': 1,
      archived: 1,
    });
    expect(counts(plan.byStorageClass)).toEqual({ STANDARD: 7, STANDARD_IA: 1, GLACIER: 1 });
    // The object under another KMS key is a re-key of its own, named by its source key.
    expect(counts(plan.byAction)).toEqual({
      'protect:copy-in-place': 5,
      'protect:rekey': 1,
      compliant: 2,
      'skip:archived': 1,
    });
    expect(Object.values(plan.otherKmsKeys)).toEqual([
      expect.objectContaining({ count: 1, action: 'rekey' }),
    ]);
    expect(plan.objects).toEqual({
      count: 9,
      bytes: 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + plan.byState['envelope-v3']!.bytes,
    });
    expect(plan.noncurrentVersions.count).toBe(2);
    expect(plan.plaintextVersions).toEqual({ count: 2, bytes: 2 });
    expect(plan.deleteMarkers).toBe(1);
    expect(plan.headFailures.count).toBe(0);
    // Nothing but reads: no PUT, COPY, DynamoDB write or SQS message (no such client was even given).
    expect(sent.filter((op) => !READS.test(op))).toEqual([]);
    expect(sent.filter((op) => op === 's3.HeadObject')).toHaveLength(9 + 2);
    // The model: six copies, one HEAD per object, and a limit named.
    expect(plan.requests.byOperation['s3.CopyObject']).toBe(6);
    expect(plan.requests.byOperation['s3.HeadObject']).toBe(9);
    expect(plan.cost.total).toBeGreaterThan(0);
    expect(plan.projection.limitingComponent).toBeTruthy();
  });

  it.each([
    'CSV',
    'Parquet',
  ] as const)('from a %s inventory: counts rows without a HEAD each, and HEADs a sample of the rows it cannot settle', async (format) => {
    const manifest = await uploadInventory(format);
    const { plan, sent } = await planCounting({ inventory: manifest });
    expect(plan.inventory).toMatchObject({ format, files: 3, rows: entries.length });
    expect(counts(plan.byState)).toEqual({
      unencrypted: 5,
      'sse-s3': 1,
      'sse-kms-key-unknown': 2,
      archived: 1,
      'sse-c': 1,
    });
    expect(counts(plan.byStorageClass)).toEqual({ STANDARD: 8, STANDARD_IA: 1, GLACIER: 1 });
    expect(counts(plan.byAction)).toEqual({
      'protect:copy-in-place': 6,
      'head-decides': 2,
      'skip:archived': 1,
      'skip:sse-c': 1,
    });
    expect(plan.plaintextVersions.count).toBe(2);
    expect(plan.deleteMarkers).toBe(1);
    // The sample finds the envelope among the NOT-SSE rows, and the keys of the SSE-KMS rows.
    const sample = Object.fromEntries(plan.samples.map((s) => [s.rowState, s.states]));
    expect(sample.unencrypted).toEqual({ unencrypted: 4, 'envelope-v3': 1 });
    expect(sample['sse-kms-key-unknown']).toEqual({ 'sse-kms-policy-key': 1, 'sse-kms-other-key': 1 });
    expect(sent.filter((op) => !READS.test(op))).toEqual([]);
    // HEADs for the sample only (7 rows), GETs for the manifest, its checksum and 3 data files.
    expect(sent.filter((op) => op === 's3.HeadObject')).toHaveLength(7);
    expect(sent.filter((op) => op === 's3.GetObject')).toHaveLength(5);
    expect(sent.some((op) => op.startsWith('s3.List'))).toBe(false);
    // An inventory-driven sse-kms run settles only the SSE-C row from the report (no key to move
    // it with); every other current object goes to the handler's HEAD.
    expect(plan.settledFromInventory).toEqual({ 'skip:sse-c': { count: 1, bytes: expect.any(Number) } });
    expect(plan.requests.queuedObjects).toBe(9);
    expect(plan.requests.byOperation['s3.HeadObject']).toBe(9);
  });

  it('from an inventory under sse-s3: SSE-S3 and SSE-KMS rows are settled from the report, with no S3 request in the model', async () => {
    const manifest = await uploadInventory('CSV');
    const { plan } = await planCounting({ inventory: manifest, mode: 'sse-s3', key: undefined });
    // SSE-S3 (1) and SSE-KMS (2) rows compliant, the SSE-C row skipped; NOT-SSE rows (an envelope
    // among them) and the archived one are left to a HEAD.
    expect(counts(plan.settledFromInventory ?? {})).toEqual({ compliant: 3, 'skip:sse-c': 1 });
    expect(plan.requests.queuedObjects).toBe(plan.objects.count - 4);
    expect(plan.requests.byOperation['s3.HeadObject']).toBe(plan.objects.count - 4);
    expect(plan.notes.join(' ')).toMatch(/settled in chunks with a chunk log line each and no HEAD/);
  });

  it('the CLI prints the listing plan as JSON and exits 0', () => {
    const out = runCli(['plan', `s3://${bucket}/plain/`, '--mode', 'sse-s3', '--json']);
    expect(out.status).toBe(0);
    const plan = JSON.parse(out.stdout);
    expect(plan.objects.count).toBe(3);
    expect(plan.byAction).toEqual({ 'protect:copy-in-place': { count: 3, bytes: 9 } });
    expect(plan.cost.pricesAsOf).toMatch(/^\d{4}-\d{2}$/);
    // What the run would leave in DynamoDB (one chunk item and one page marker, nothing per
    // object), priced per month apart from the total; reads priced by units (the chunk's close check).
    expect(plan.cost.storagePerMonth.bytes).toBe(750 + 250);
    expect(plan.requests.dynamoReadUnits).toBe(8);
    const text = runCli(['plan', `s3://${bucket}/plain/`, '--mode', 'sse-s3']);
    expect(text.stdout).toMatch(/DynamoDB storage left behind \(1000 B with PITR\), per month\s+\$0\.0000/);
  });

  it('a tampered inventory data file: non-zero exit, the file named, nothing planned', async () => {
    const manifest = await uploadInventory('CSV', true);
    const out = runCli(['plan', `s3://${bucket}`, '--mode', 'sse-s3', '--inventory', manifest]);
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(/inventory data file .*part-1\.csv\.gz does not match its manifest/);
    expect(out.stdout).toBe('');
  });

  it('refuses an inventory of another bucket, and a bad option, before reading anything', async () => {
    const manifest = await uploadInventory('CSV');
    const other = runCli(['plan', `s3://${inventoryBucket}`, '--mode', 'sse-s3', '--inventory', manifest]);
    expect(other.status).not.toBe(0);
    expect(other.stderr).toContain(`the inventory lists bucket ${bucket}, not ${inventoryBucket}`);
    const bad = runCli(['plan', `s3://${bucket}`, '--mode', 'sse-s3', '--lambda-concurrency', '0']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--lambda-concurrency.*expected a whole number from 1/);
    const missing = runCli(['plan', 's3://it-plan-no-such-bucket-4711', '--mode', 'sse-s3']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('bucket it-plan-no-such-bucket-4711 does not exist');
    const twice = runCli(['plan', `s3://${bucket}/a/`, '--prefix', 'b/', '--mode', 'sse-s3']);
    expect(twice.status).not.toBe(0);
    expect(twice.stderr).toContain('give the prefix once');
    const keyless = runCli(['plan', `s3://${bucket}`, '--mode', 'sse-kms']);
    expect(keyless.status).not.toBe(0);
    expect(keyless.stderr).toContain('--mode sse-kms needs --key');
    const keyed = runCli(['plan', `s3://${bucket}`, '--mode', 'sse-s3', '--key', 'alias/not-even-there']);
    expect(keyed.status).toBe(1);
    expect(keyed.stderr).toContain('--key is not used with --mode sse-s3');
  });
});
