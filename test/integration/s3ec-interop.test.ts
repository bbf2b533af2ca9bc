import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { runCli } from '../helpers/cli.js';
import { flipCiphertextByte } from '../helpers/envelope-object.js';
import { createKmsKey, sha256, startPipeline, uniqueBucket } from '../helpers/pipeline.js';
import { buildS3ecChecker, officialGet, officialPut, type S3ecFormat } from '../helpers/s3ec-go.js';

/*
 * Interop with the official Amazon S3 Encryption Client for Go (issue 13, point 5), through a small
 * checker built from test/interop/s3ec-go. A missing Go toolchain or module fails beforeAll: never
 * skipped. The first describe needs nothing new from s3-seal; the second needs its V3 work.
 */

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
const MiB = 1024 * 1024;
const officialFormats: S3ecFormat[] = ['v3', 'v2'];

beforeAll(async () => {
  await buildS3ecChecker();
  pipeline = await startPipeline('s3ec');
  keyArn = await createKmsKey(pipeline.clients.kms);
}, 480_000);

async function newBucket(label: string): Promise<string> {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  return bucket;
}

/** Everything a write would change: ETag, time, server-side encryption, metadata and raw bytes. */
async function rawState(bucket: string, key: string) {
  const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = await got.Body!.transformToByteArray();
  return {
    etag: got.ETag,
    lastModified: got.LastModified?.toISOString(),
    sse: got.ServerSideEncryption,
    kmsKeyId: got.SSEKMSKeyId,
    metadata: got.Metadata ?? {},
    size: body.length,
    body: sha256(body),
  };
}

/** An object the official client wrote, with a user metadata pair of its own. */
async function officialObject(format: S3ecFormat, bucket: string, key = `official-${format}.bin`) {
  const bytes = randomBytes(70_000);
  officialPut({ format, bucket, key, kmsKey: keyArn, bytes, metadata: { owner: 'alice' } });
  return { key, bytes, before: await rawState(bucket, key) };
}

/** Reads with the official client and returns the plaintext's digest (or the client's error). */
function officialDigest(...args: Parameters<typeof officialGet>) {
  const got = officialGet(...args);
  return got.bytes ? sha256(got.bytes) : `failed (${got.status}): ${got.stderr}`;
}

function encryptCli(bucket: string, mode: 'envelope' | 'sse-kms', ...extra: string[]) {
  const args = ['encrypt', `s3://${bucket}`, '--mode', mode, '--key', keyArn, ...extra];
  return runCli([...args, '--local', '--no-progress']);
}

/** Plain objects for s3-seal to encrypt: empty, small, and one above the 5 MiB multipart threshold. */
async function plainObjects(bucket: string) {
  const objects = new Map<string, Buffer>([
    ['empty.txt', Buffer.alloc(0)],
    ['notes/small.txt', Buffer.from('a few plain bytes\n')],
    ['big.bin', randomBytes(6 * MiB + 123)],
  ]);
  for (const [key, body] of objects)
    await pipeline.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return objects;
}

describe('the official S3 Encryption Client for Go and s3-seal as it is', () => {
  it('the v4 client writes V3 (suite 115, kms+context) and reads it back byte-identical by default', async () => {
    const bucket = await newBucket('s3ec-v3');
    const { key, bytes, before } = await officialObject('v3', bucket);
    const meta = before.metadata;
    expect(meta['x-amz-c']).toBe('115');
    expect(meta['x-amz-w']).toBe('12');
    expect(JSON.parse(meta['x-amz-t']!)).toEqual({ 'aws:x-amz-cek-alg': '115' });
    expect(meta['x-amz-3']).toMatch(/^[A-Za-z0-9+/]{40,}={0,2}$/);
    expect(Buffer.from(meta['x-amz-d']!, 'base64')).toHaveLength(28);
    expect(Buffer.from(meta['x-amz-i']!, 'base64')).toHaveLength(28);
    expect(meta).not.toHaveProperty('x-amz-key-v2');
    expect(meta.owner).toBe('alice');
    expect(before.size).toBe(bytes.length + 16);
    expect(officialDigest({ bucket, key })).toBe(sha256(bytes));
  });

  it('the v3 module writes V2; the v4 client refuses it by default and reads it under require-allow', async () => {
    const bucket = await newBucket('s3ec-v2');
    const { key, bytes, before } = await officialObject('v2', bucket);
    expect(before.metadata).toMatchObject({
      'x-amz-cek-alg': 'AES/GCM/NoPadding',
      'x-amz-wrap-alg': 'kms+context',
      'x-amz-tag-len': '128',
    });
    expect(before.metadata['x-amz-key-v2']).toBeTruthy();
    expect(before.metadata).not.toHaveProperty('x-amz-c');
    const strict = officialGet({ bucket, key });
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain('REQUIRE_ENCRYPT_REQUIRE_DECRYPT does not allow decryption');
    expect(strict.bytes).toBeUndefined();
    expect(officialDigest({ bucket, key, policy: 'require-allow' })).toBe(sha256(bytes));
  });

  it("s3-seal's envelope output decrypts byte-identical with the v4 client under require-allow", async () => {
    const bucket = await newBucket('s3ec-seal');
    const objects = await plainObjects(bucket);
    const run = encryptCli(bucket, 'envelope');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/encrypted\s+3\n/);
    for (const [key, bytes] of objects) {
      expect((await rawState(bucket, key)).size, key).toBe(bytes.length + 16);
      expect(officialDigest({ bucket, key, policy: 'require-allow' }), key).toBe(sha256(bytes));
    }
  });

  // Issue 13's bug: today s3-seal counts a V3 object as plaintext and encrypts it a second time.
  describe.each(['envelope', 'sse-kms'] as const)('s3-seal encrypt --mode %s', (mode) => {
    it.each(
      officialFormats,
    )('leaves an official %s object alone: compliant, not one byte or header rewritten', async (format) => {
      const bucket = await newBucket(`s3ec-keep-${format}`);
      const { key, bytes, before } = await officialObject(format, bucket);
      const run = encryptCli(bucket, mode);
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(await rawState(bucket, key)).toEqual(before);
      expect(run.stdout).toMatch(/already compliant\s+1\n/);
      const policy = format === 'v3' ? 'require-require' : 'require-allow';
      expect(officialDigest({ bucket, key, policy })).toBe(sha256(bytes));
    });
  });
});

describe('needs s3-seal to speak V3 (issue 13)', () => {
  it("s3-seal's default envelope output decrypts with the v4 client under its default policy", async () => {
    const bucket = await newBucket('s3ec-seal-v3');
    const objects = await plainObjects(bucket);
    const run = encryptCli(bucket, 'envelope');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    for (const [key, bytes] of objects) {
      expect((await rawState(bucket, key)).metadata['x-amz-c'], key).toBe('115');
      expect(officialDigest({ bucket, key }), key).toBe(sha256(bytes));
    }
  });

  it('--format v2 output reads under require-allow and is refused under require-require', async () => {
    const bucket = await newBucket('s3ec-seal-v2');
    const objects = await plainObjects(bucket);
    const run = encryptCli(bucket, 'envelope', '--format', 'v2');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    for (const [key, bytes] of objects) {
      expect((await rawState(bucket, key)).metadata['x-amz-key-v2'], key).toBeTruthy();
      expect(officialDigest({ bucket, key, policy: 'require-allow' }), key).toBe(sha256(bytes));
      const strict = officialGet({ bucket, key });
      expect(strict.status, key).toBe(1);
      expect(strict.stderr, key).toContain('does not support key commitment');
    }
  });

  it.each(officialFormats)('s3-seal decrypt returns the bytes of an official %s object', async (format) => {
    const bucket = await newBucket(`s3ec-dec-${format}`);
    const { key, bytes } = await officialObject(format, bucket);
    const dir = mkdtempSync(join(tmpdir(), 's3ec-dec-'));
    try {
      const run = runCli(['decrypt', `s3://${bucket}/${key}`, '-o', join(dir, 'plain')]);
      expect(run.status, run.stderr).toBe(0);
      expect(sha256(readFileSync(join(dir, 'plain')))).toBe(sha256(bytes));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['v3', 'x-amz-3', ['x-amz-c', 'x-amz-w', 'x-amz-t', 'x-amz-d', 'x-amz-i']],
    ['v2', 'x-amz-key-v2', ['x-amz-iv', 'x-amz-cek-alg', 'x-amz-matdesc', 'x-amz-wrap-alg']],
  ] as const)('s3-seal rewrap moves an official %s object to another key; the ciphertext stays, the client reads it', async (format, wrappedKey, unchanged) => {
    const bucket = await newBucket(`s3ec-rw-${format}`);
    const { key, bytes, before } = await officialObject(format, bucket);
    const target = await createKmsKey(pipeline.clients.kms);
    // --scan: the official client's objects have no ledger item for the index to find.
    const rewrap = ['rewrap', `s3://${bucket}`, '--from', keyArn, '--to', target, '--scan'];
    const run = runCli([...rewrap, '--local', '--no-progress']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/re-wrapped\s+1\n/);
    const after = await rawState(bucket, key);
    expect(after.body).toBe(before.body);
    expect(after.metadata[wrappedKey]).not.toBe(before.metadata[wrappedKey]);
    for (const name of [...unchanged, 'owner'])
      expect(after.metadata[name], name).toBe(before.metadata[name]);
    const policy = format === 'v3' ? 'require-require' : 'require-allow';
    expect(officialDigest({ bucket, key, policy, kmsKey: target })).toBe(sha256(bytes));
    expect(officialGet({ bucket, key, policy, kmsKey: keyArn }).stderr).toContain('IncorrectKeyException');
  });

  it('encrypt --upgrade-format turns an official V2 object into V3 that the v4 client reads by default', async () => {
    const bucket = await newBucket('s3ec-upgrade');
    const { key, bytes, before } = await officialObject('v2', bucket);
    const run = encryptCli(bucket, 'envelope', '--upgrade-format');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const after = await rawState(bucket, key);
    expect(after.etag).not.toBe(before.etag);
    expect(after.metadata['x-amz-c']).toBe('115');
    expect(after.metadata).not.toHaveProperty('x-amz-key-v2');
    expect(after.metadata.owner).toBe('alice');
    expect(officialDigest({ bucket, key })).toBe(sha256(bytes));
  });
});

describe('upgrades of official V2 objects (issue 24)', () => {
  it('keeps a custom context the v4 client then requires, and leaves an altered object alone', async () => {
    const bucket = await newBucket('s3ec-upg-ctx');
    const context = { department: 'finance' };
    const kept = { key: 'finance.bin', bytes: randomBytes(5_000) };
    officialPut({ format: 'v2', bucket, kmsKey: keyArn, ...kept, context });
    // Small enough for the old body to be read to its end before the upload reads a byte.
    const altered = 'altered.bin';
    officialPut({ format: 'v2', bucket, key: altered, kmsKey: keyArn, bytes: randomBytes(100) });
    await flipCiphertextByte(pipeline.clients.s3, bucket, altered, 50);
    const alteredBefore = await rawState(bucket, altered);
    const refused = () => officialGet({ bucket, key: altered, policy: 'require-allow' });
    expect(refused().stderr).toContain('message authentication failed');

    const run = encryptCli(bucket, 'envelope', '--upgrade-format');
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/encrypted\s+1\n/);
    expect(run.stdout).toMatch(/failed\s+1\n/);

    const after = await rawState(bucket, kept.key);
    expect(after.metadata['x-amz-c']).toBe('115');
    expect(JSON.parse(after.metadata['x-amz-t']!)).toEqual({ ...context, 'aws:x-amz-cek-alg': '115' });
    // The v4 client's default policy, asked for the object's context: it checks it against x-amz-t.
    expect(officialDigest({ bucket, key: kept.key, context })).toBe(sha256(kept.bytes));
    const otherContext = officialGet({ bucket, key: kept.key, context: { department: 'sales' } });
    expect(otherContext.stderr).toContain('Provided encryption context does not match');

    expect(await rawState(bucket, altered)).toEqual(alteredBefore);
    expect(refused().status).toBe(1);
  });
});
