import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncryptCommand } from '@aws-sdk/client-kms';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueDepth } from '../../cli/local-run.js';
import { seedBucket } from '../../cli/seed-bucket.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { SSE_C_KEY_CONTEXT, SseCustomerKey } from '../../shared/s3/sse-c-key.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { encryptOne } from '../helpers/one-object.js';
import { createKmsKey, sha256, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

const MiB = 1024 * 1024;

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
let dir: string;

beforeAll(async () => {
  pipeline = await startPipeline('ssec');
  keyArn = await createKmsKey(pipeline.clients.kms);
  dir = mkdtempSync(join(tmpdir(), 's3seal-ssec-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A customer key and a key file holding it, raw or base64 (both forms are accepted). */
function customerKey(form: 'raw' | 'base64' = 'raw') {
  const bytes = randomBytes(32);
  const file = join(dir, `key-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, form === 'raw' ? bytes : `${bytes.toString('base64')}\n`);
  return { bytes, file, key: new SseCustomerKey(bytes) };
}

/** Writes an SSE-C object with user metadata, a content type and a tag, as a user would. */
async function putSseC(bucket: string, key: string, body: Buffer, customer: SseCustomerKey) {
  await pipeline.clients.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      Metadata: { owner: 'alice' },
      ContentType: 'application/x-secret',
      Tagging: 'team=a',
      ...customer.params(),
    }),
  );
}

async function headWithKey(bucket: string, key: string, customer: SseCustomerKey) {
  return pipeline.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...customer.params() }));
}

async function tagsOf(bucket: string, key: string) {
  const out = await pipeline.clients.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key, t.Value]));
}

function runIdOf(output: string): string {
  const match = /run (\S+) \(/.exec(output);
  if (!match) throw new Error(`no run id in: ${output}`);
  return match[1]!;
}

/** The run's committed records (its chunk logs). */
const auditOf = (runId: string) => recordsOfRun(pipeline, runId);

async function newBucket(label: string) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  return bucket;
}

describe('plan counts SSE-C objects', () => {
  it('names them as their own state, without a key and without an error', async () => {
    const bucket = uniqueBucket('ssec-plan');
    await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
    await putSseC(bucket, 'secret.bin', Buffer.from('customer secret'), customerKey().key);
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain.txt', Body: 'plain' }));
    const out = runCli(['plan', `s3://${bucket}`, '--mode', 'sse-kms', '--key', keyArn, '--json']);
    expect(out.status, out.stderr).toBe(0);
    const plan = JSON.parse(out.stdout);
    expect(plan.byState['sse-c'].count).toBe(1);
    expect(plan.byState.unencrypted.count).toBe(1);
    expect(plan.byAction['skip:sse-c'].count).toBe(1);
    expect(plan.headFailures.count).toBe(0);
  });
});

describe('SSE-C objects without their key', () => {
  it('are skipped at once as sse-c, untouched, while the rest of the bucket is encrypted', async () => {
    const bucket = await newBucket('ssec-skip');
    const customer = customerKey().key;
    await putSseC(bucket, 'secret.bin', Buffer.from('customer secret'), customer);
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain.txt', Body: 'plain' }));
    const before = await headWithKey(bucket, 'secret.bin', customer);

    const run = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--local',
      '--no-progress',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/skipped +1\n +sse-c +1/);
    const runId = runIdOf(run.stdout);

    expect(await pipeline.trail.decisionOf(runId, bucket, 'secret.bin')).toMatchObject({
      decision: 'skipped',
      reason: 'sse-c',
      runId,
    });
    const records = await auditOf(runId);
    expect(records.filter((r) => r.key === 'secret.bin').map((r) => [r.decision, r.reason])).toEqual([
      ['skipped', 'sse-c'],
    ]);
    expect(records.find((r) => r.key === 'plain.txt')?.decision).toBe('encrypted');

    const after = await headWithKey(bucket, 'secret.bin', customer);
    expect(after.ETag).toBe(before.ETag);
    expect(after.SSECustomerAlgorithm).toBe('AES256');
    expect(after.ServerSideEncryption).toBeUndefined();
  });

  it('are named by verify, which counts them and exits 1 without crashing', async () => {
    const bucket = await newBucket('ssec-verify');
    const customer = customerKey();
    await putSseC(bucket, 'a/secret.bin', Buffer.from('customer secret'), customer.key);
    await pipeline.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'kms.txt', Body: 'x', ServerSideEncryption: 'aws:kms' }),
    );

    const plain = runCli(['verify', `s3://${bucket}`]);
    expect(plain.status, plain.stderr).toBe(1);
    expect(plain.stderr).not.toMatch(/error/i);
    expect(plain.stdout).toContain(
      `NOT COMPLIANT  s3://${bucket}/a/secret.bin  SSE-C (customer-provided key)\n`,
    );
    expect(plain.stdout).toContain('2 objects under');
    expect(plain.stdout).toContain('1 compliant, 1 not (1 SSE-C)');

    const withKey = runCli(['verify', `s3://${bucket}`, '--sse-c-key-file', customer.file]);
    expect(withKey.status).toBe(1);
    expect(withKey.stdout).toContain('the given key opens it');
    const otherKey = runCli(['verify', `s3://${bucket}`, '--sse-c-key-file', customerKey().file]);
    expect(otherKey.stdout).toContain('not the given key');
  });
});

describe.each(['sse-kms', 'envelope'] as const)('SSE-C migration to %s', (mode) => {
  it('moves objects under the given key, bytes, metadata and tags intact, audited as sse-c-migration', async () => {
    const bucket = await newBucket(`ssec-mig-${mode}`);
    const customer = customerKey(mode === 'envelope' ? 'base64' : 'raw');
    const small = randomBytes(2048);
    // Above the 5 MiB copy threshold of the test pipeline: UploadPartCopy (sse-kms), multipart upload (envelope).
    const large = randomBytes(6 * MiB + 123);
    await putSseC(bucket, 'small.bin', small, customer.key);
    await putSseC(bucket, 'large.bin', large, customer.key);

    const run = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      mode,
      '--key',
      keyArn,
      '--local',
      '--no-progress',
      '--sse-c-key-file',
      customer.file,
    ]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/encrypted +2\n/);
    // The key never shows: neither raw nor base64 (only its MD5 fingerprint may).
    expect(run.stdout + run.stderr).not.toContain(customer.bytes.toString('base64'));
    expect(run.stdout + run.stderr).toContain(customer.key.md5);

    for (const [key, bytes] of [
      ['small.bin', small],
      ['large.bin', large],
    ] as const) {
      const head = await pipeline.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.SSECustomerAlgorithm, key).toBeUndefined();
      expect(head.Metadata?.owner, key).toBe('alice');
      expect(head.ContentType, key).toBe('application/x-secret');
      expect(await tagsOf(bucket, key), key).toEqual({ team: 'a' });
      if (mode === 'sse-kms') {
        expect([head.ServerSideEncryption, head.SSEKMSKeyId], key).toEqual(['aws:kms', keyArn]);
        const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        expect(sha256(await got.Body!.transformToByteArray()), key).toBe(sha256(bytes));
      } else {
        expect(head.Metadata?.['x-amz-wrap-alg'] ?? head.Metadata?.['x-amz-w'], key).toBeTruthy();
        const out = join(dir, `${key}.out`);
        const decrypted = runCli(['decrypt', `s3://${bucket}/${key}`, '-o', out]);
        expect(decrypted.status, decrypted.stderr).toBe(0);
        expect(sha256(readFileSync(out)), key).toBe(sha256(bytes));
      }
    }
    const records = await auditOf(runIdOf(run.stdout));
    expect(records.map((r) => [r.key, r.decision, r.method]).sort()).toEqual([
      ['large.bin', 'encrypted', 'sse-c-migration'],
      ['small.bin', 'encrypted', 'sse-c-migration'],
    ]);
  });

  it('fails an object under another key as sse-c-wrong-key, once, and leaves it untouched', async () => {
    const bucket = await newBucket(`ssec-wrong-${mode}`);
    const owner = customerKey().key;
    await putSseC(bucket, 'secret.bin', Buffer.from('customer secret'), owner);
    const before = await headWithKey(bucket, 'secret.bin', owner);

    const run = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      mode,
      '--key',
      keyArn,
      '--local',
      '--no-progress',
      '--sse-c-key-file',
      customerKey().file,
    ]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/failed +1\n +sse-c-wrong-key +1/);
    expect(run.stdout).toContain(`failed: s3://${bucket}/secret.bin: sse-c-wrong-key`);
    expect(run.stdout).not.toContain('unfinished');
    // Once: one committed record of the object, failed with its reason.
    const records = await auditOf(runIdOf(run.stdout));
    expect(records.map((r) => [r.key, r.decision, r.reason])).toEqual([
      ['secret.bin', 'failed', 'sse-c-wrong-key'],
    ]);
    const after = await headWithKey(bucket, 'secret.bin', owner);
    expect([after.ETag, after.SSECustomerAlgorithm, after.Metadata]).toEqual([
      before.ETag,
      'AES256',
      before.Metadata,
    ]);
  });

  it('lets a user write made between our read and our write win (ETag condition)', async () => {
    const bucket = await newBucket(`ssec-race-${mode}`);
    const customer = customerKey().key;
    await putSseC(bucket, 'secret.bin', Buffer.from('the older bytes'), customer);
    const newer = Buffer.from(`the user's newer bytes ${Date.now()}`);
    const raced = pipeline.newS3Client();
    let wroteUserObject = false;
    raced.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName);
        if (!wroteUserObject && /^(GetObject|CopyObject)Command$/.test(name)) {
          wroteUserObject = true;
          await putSseC(bucket, 'secret.bin', newer, customer);
        }
        return next(args);
      },
      { step: 'initialize', name: 'userRace' },
    );
    const runId = newRunId();
    const result = await encryptOne(
      {
        runId,
        jobId: `race-${mode}-${Date.now()}`,
        bucket,
        key: 'secret.bin',
        mode,
        keyArn,
        sseCustomerKeyMd5: customer.md5,
      },
      pipeline.encryptDeps({ s3: raced, sseCustomerKey: customer }),
    );
    expect(wroteUserObject).toBe(true);
    expect(result.outcome).toBe('superseded');
    expect((await pipeline.trail.decisionOf(runId, bucket, 'secret.bin'))?.decision).toBe('superseded');
    const got = await pipeline.clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'secret.bin', ...customer.params() }),
    );
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(newer);
  });
});

describe('SSE-C migration in a versioned bucket', () => {
  it('copies the version it read; the SSE-C version stays, never deleted', async () => {
    const bucket = await newBucket('ssec-ver');
    await pipeline.clients.s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const customer = customerKey();
    const bytes = randomBytes(4096);
    await putSseC(bucket, 'secret.bin', bytes, customer.key);
    const original = (await headWithKey(bucket, 'secret.bin', customer.key)).VersionId!;

    const run = runCli([
      'encrypt',
      `s3://${bucket}`,
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--local',
      '--no-progress',
      '--sse-c-key-file',
      customer.file,
    ]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const latest = await pipeline.clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'secret.bin' }),
    );
    expect([latest.ServerSideEncryption, latest.VersionId === original]).toEqual(['aws:kms', false]);
    expect(Buffer.from(await latest.Body!.transformToByteArray())).toEqual(bytes);
    const versions = await pipeline.clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(versions.Versions?.map((v) => v.VersionId)).toContain(original);
    const kept = await pipeline.clients.s3.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: 'secret.bin',
        VersionId: original,
        ...customer.key.params(),
      }),
    );
    expect(kept.SSECustomerAlgorithm).toBe('AES256');
  });
});

describe('the customer key', () => {
  it('is refused with a clear error, changing nothing, when the file or the mode is wrong', async () => {
    const bucket = await newBucket('ssec-bad');
    const good = customerKey();
    const bad = join(dir, 'bad-key');
    writeFileSync(bad, 'not a key');
    const cases: Array<[string[], RegExp]> = [
      [
        ['--mode', 'sse-kms', '--key', keyArn, '--sse-c-key-file', join(dir, 'absent')],
        /cannot read the SSE-C key file/,
      ],
      [['--mode', 'sse-kms', '--key', keyArn, '--sse-c-key-file', bad], /must hold a 32-byte AES-256 key/],
      [
        ['--mode', 'sse-s3', '--sse-c-key-file', good.file],
        /SSE-C objects migrate only to --mode sse-kms or envelope/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = runCli(['encrypt', `s3://${bucket}`, ...args, '--local', '--no-progress']);
      expect(run.status, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/^run /m);
    }
    expect(await queueDepth(pipeline.clients.sqs, [pipeline.queues.scan, pipeline.queues.encrypt])).toBe(0);
  });

  it('reaches deployed workers only as a KMS-encrypted blob; a worker without it fails the object, with a reason', async () => {
    const customer = customerKey();
    const blob = await pipeline.clients.kms.send(
      new EncryptCommand({
        KeyId: keyArn,
        Plaintext: customer.bytes,
        EncryptionContext: { ...SSE_C_KEY_CONTEXT },
      }),
    );
    const ciphertext = Buffer.from(blob.CiphertextBlob!).toString('base64');
    const worker = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['bin/s3-seal.js', 'worker', '--until-idle', '--idle-seconds', '3'], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 120_000,
        killSignal: 'SIGKILL',
      });

    for (const withKey of [false, true]) {
      const bucket = await newBucket(`ssec-dep-${withKey}`);
      const bytes = randomBytes(1000);
      await putSseC(bucket, 'secret.bin', bytes, customer.key);
      const queued = runCli([
        'encrypt',
        `s3://${bucket}`,
        '--mode',
        'sse-kms',
        '--key',
        keyArn,
        '--sse-c-key-file',
        customer.file,
      ]);
      expect(queued.status, queued.stderr).toBe(0);
      expect(queued.stderr).toContain('S3SEAL_SSE_C_KEY_CIPHERTEXT');
      const served = worker(withKey ? { S3SEAL_SSE_C_KEY_CIPHERTEXT: ciphertext } : {});
      expect(served.status, served.stderr).toBe(0);
      expect(served.stdout + served.stderr).not.toContain(customer.bytes.toString('base64'));

      const runId = /^run (\S+):/m.exec(queued.stderr)?.[1];
      expect(runId, queued.stderr).toBeDefined();
      const records = await auditOf(runId!);
      expect(records, withKey ? 'with the key' : 'without the key').toHaveLength(1);
      const [record] = records;
      if (withKey) {
        expect(record).toMatchObject({
          key: 'secret.bin',
          decision: 'encrypted',
          method: 'sse-c-migration',
          keyArn,
        });
        const got = await pipeline.clients.s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: 'secret.bin' }),
        );
        expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(bytes);
      } else {
        expect(record).toMatchObject({
          key: 'secret.bin',
          decision: 'failed',
          reason: 'sse-c-key-unavailable',
        });
        expect((await headWithKey(bucket, 'secret.bin', customer.key)).SSECustomerAlgorithm).toBe('AES256');
      }
    }
  });
});
