import { randomBytes } from 'node:crypto';
import { DecryptCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { classifyClientSide, META, META_V3 } from '../../shared/envelope/format.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { flipCiphertextByte, putEnvelopeObject } from '../helpers/envelope-object.js';
import { createKmsKey, readPlaintext, sha256, startPipeline, uniqueBucket } from '../helpers/pipeline.js';

/*
 * Issue 24, items 1 and 2: `encrypt --mode envelope --upgrade-format` over V2 objects an application
 * wrote. An object whose envelope fails authentication is that object's failure, never the run's;
 * an upgrade keeps every custom encryption-context pair.
 */

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
const KiB = 1024;
const MiB = 1024 * KiB;

beforeAll(async () => {
  pipeline = await startPipeline('upgrade');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

async function newBucket(label: string): Promise<string> {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  return bucket;
}

/** Everything a write would change: ETag, metadata and the stored bytes. */
async function rawState(bucket: string, key: string) {
  const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = await got.Body!.transformToByteArray();
  return { etag: got.ETag, metadata: got.Metadata ?? {}, body: sha256(body) };
}

function upgradeCli(bucket: string) {
  const args = ['encrypt', `s3://${bucket}`, '--mode', 'envelope', '--key', keyArn, '--upgrade-format'];
  return runCli([...args, '--local', '--no-progress']);
}

/** The run's committed records (its chunk logs), by key; one record per key is expected. */
async function auditOf(runId: string) {
  const records = await recordsOfRun(pipeline, runId);
  const byKey = new Map(records.map((r) => [r.key, r]));
  expect(byKey.size, 'one record per object').toBe(records.length);
  return byKey;
}

const runIdOf = (stderr: string) => /^run (\S+):/m.exec(stderr)?.[1] ?? '';

// Around the decipher's stream buffers (16 KiB a side): a body that fits in them is read to its end,
// and its tag checked, before the upload reads a byte; 6 MiB goes multipart (threshold 5 MiB here).
const sizes = [1, 100, 12 * KiB, 16 * KiB, 64 * KiB + 1, 6 * MiB + 3];

describe('encrypt --upgrade-format over an object whose envelope fails authentication', () => {
  it('fails that object alone (recorded with its reason, nothing written) and upgrades its neighbours', async () => {
    const bucket = await newBucket('upg-tamper');
    const plaintexts = new Map<string, Buffer>();
    const tampered = new Map<string, Awaited<ReturnType<typeof rawState>>>();
    for (const size of sizes) {
      for (const kind of ['ok', 'bad']) {
        const key = `${kind}/${size}.bin`;
        const body = randomBytes(size);
        plaintexts.set(key, body);
        await putEnvelopeObject(pipeline.clients, { bucket, key, body, keyArn, format: 'v2' });
        if (kind === 'bad') {
          await flipCiphertextByte(pipeline.clients.s3, bucket, key, Math.floor(size / 2));
          tampered.set(key, await rawState(bucket, key));
        }
      }
    }

    const run = upgradeCli(bucket);
    // The run finishes and says what happened; a failed object makes the exit code 1.
    expect(run.stderr).not.toMatch(/Unhandled 'error' event|\n\s+at /);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/encrypted\s+6\n/);
    expect(run.stdout).toMatch(/failed\s+6\n/);
    expect(run.stdout).toMatch(/EnvelopeAuthenticationError\s*6/);

    // Each failed object is named with its reason under the summary.
    for (const size of sizes)
      expect(run.stdout).toMatch(
        new RegExp(
          `failed: s3://${bucket}/bad/${size}\\.bin: EnvelopeAuthenticationError: .*GCM authentication failed`,
        ),
      );

    const runId = runIdOf(run.stderr);
    const audit = await auditOf(runId);
    expect(audit.size).toBe(plaintexts.size);
    // The failures are their objects' own: every chunk of the run committed, none given back.
    const chunks = await pipeline.trail.chunksOf(runId);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(chunk.state, chunk.chunkId).toBe('DONE');
    for (const [key, plaintext] of plaintexts) {
      if (key.startsWith('ok/')) {
        const state = classifyClientSide((await rawState(bucket, key)).metadata);
        expect(state.kind === 'readable' && state.envelope.format, key).toBe('v3');
        expect(sha256(await readPlaintext(pipeline.clients, bucket, key)), key).toBe(sha256(plaintext));
        expect(audit.get(key), key).toMatchObject({ decision: 'encrypted', method: 'upgrade-format' });
        continue;
      }
      expect(await rawState(bucket, key), key).toEqual(tampered.get(key));
      expect(audit.get(key), key).toMatchObject({
        decision: 'failed',
        method: 'upgrade-format',
        etagBefore: tampered.get(key)!.etag,
        error: expect.stringMatching(/authentication failed/),
      });
      expect(audit.get(key)!.etagAfter, key).toBeUndefined();
    }
  });

  it('decrypt of such an object says so in one line and exits non-zero, writing nothing', async () => {
    const bucket = await newBucket('upg-dec');
    for (const size of [1, 100, 12 * KiB]) {
      const key = `bad-${size}.bin`;
      await putEnvelopeObject(pipeline.clients, {
        bucket,
        key,
        body: randomBytes(size),
        keyArn,
        format: 'v2',
      });
      await flipCiphertextByte(pipeline.clients.s3, bucket, key);
      const out = runCli(['decrypt', `s3://${bucket}/${key}`]);
      expect(out.status, out.stderr).toBe(1);
      expect(out.stdout).toBe('');
      expect(out.stderr.trim().split('\n'), out.stderr).toHaveLength(1);
      expect(out.stderr).toMatch(
        new RegExp(
          `^s3-seal: error: s3://${bucket}/${key}: GCM authentication failed: the object or its key was altered\\n$`,
        ),
      );
    }
  });
});

describe('encrypt --upgrade-format over a V2 object with a custom encryption context', () => {
  it('keeps every pair in the V3 x-amz-t and generates the data key under the full context', async () => {
    const bucket = await newBucket('upg-ctx');
    const body = randomBytes(3000);
    const context = { department: 'finance', project: 'ledger-2027' };
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'report.bin',
      body,
      keyArn,
      format: 'v2',
      context,
    });
    const before = await rawState(bucket, 'report.bin');
    expect(JSON.parse(before.metadata[META.materialsDescription]!)).toEqual({
      ...context,
      'aws:x-amz-cek-alg': 'AES/GCM/NoPadding',
    });

    const run = upgradeCli(bucket);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/encrypted\s+1\n/);
    const after = await rawState(bucket, 'report.bin');
    expect(after.metadata[META_V3.contentCipher]).toBe('115');
    expect(JSON.parse(after.metadata[META_V3.encryptionContext]!)).toEqual({
      ...context,
      'aws:x-amz-cek-alg': '115',
    });
    expect(sha256(await readPlaintext(pipeline.clients, bucket, 'report.bin'))).toBe(sha256(body));

    // KMS checks the context: the new data key unwraps under the full context only.
    const wrapped = Buffer.from(after.metadata[META_V3.wrappedKey]!, 'base64');
    const unwrap = (EncryptionContext: Record<string, string>) =>
      pipeline.clients.kms.send(
        new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext, KeyId: keyArn }),
      );
    const full = await unwrap({ ...context, 'aws:x-amz-cek-alg': '115' });
    expect(full.Plaintext).toHaveLength(32);
    await expect(unwrap({ 'aws:x-amz-cek-alg': '115' })).rejects.toThrow();
  });
});
