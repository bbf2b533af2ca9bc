import { execFileSync, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { META, META_V3 } from '../../shared/envelope/format.js';
import type { ProtectionMode } from '../../shared/policy.js';
import {
  createKmsKey,
  describeObject,
  listKeys,
  readPlaintext,
  sha256,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';

const MiB = 1024 * 1024;
const OBJECTS = 210;

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;

beforeAll(async () => {
  pipeline = await startPipeline('backfill');
  keyArn = await createKmsKey(pipeline.clients.kms);
});

function cli(args: string[]) {
  return spawnSync(process.execPath, ['bin/s3-seal.js', ...args], { encoding: 'utf8', env: process.env });
}

describe.each<ProtectionMode>(['envelope', 'sse-kms', 'sse-s3'])('backfill in %s mode', (mode) => {
  const bucket = uniqueBucket(`bf-${mode}`);
  let seeded: Awaited<ReturnType<typeof seedBucket>>;
  let before: Map<string, Awaited<ReturnType<typeof describeObject>>>;

  beforeAll(async () => {
    const { s3 } = pipeline.clients;
    // One 6 MiB object: above the 5 MiB threshold, so multipart upload (envelope) or UploadPartCopy.
    seeded = await seedBucket(s3, bucket, { objects: OBJECTS, largeObjectBytes: 6 * MiB });
    before = new Map();
    for (const key of seeded.digests.keys()) before.set(key, await describeObject(s3, bucket, key));
  });

  it(`protects every one of ${OBJECTS} objects and counts each exactly once`, async () => {
    const { run, unsettled } = await pipeline.backfill(bucket, mode, mode === 'sse-s3' ? undefined : keyArn);
    expect(unsettled).toBe(0);
    expect(run.discovered).toBe(OBJECTS);
    expect(run.counts).toMatchObject({
      encrypted: OBJECTS,
      compliant: 0,
      skipped: 0,
      superseded: 0,
      failed: 0,
    });
  });

  it('leaves every object readable to exactly its original bytes (SHA-256)', async () => {
    const keys = await listKeys(pipeline.clients.s3, bucket);
    expect(keys.sort()).toEqual([...seeded.digests.keys()].sort());
    for (const key of keys) {
      expect(sha256(await readPlaintext(pipeline.clients, bucket, key)), key).toBe(seeded.digests.get(key));
    }
  });

  it('applies the protection the mode asks for to every object', async () => {
    for (const key of seeded.digests.keys()) {
      const now = await describeObject(pipeline.clients.s3, bucket, key);
      if (mode === 'envelope') {
        // V3 by default: the key-committing suite with KMS kms+context wrapping.
        expect([now.metadata[META_V3.contentCipher], now.metadata[META_V3.wrapAlgorithm]], key).toEqual([
          '115',
          '12',
        ]);
        expect(now.metadata[META.wrappedKey], key).toBeUndefined();
      } else if (mode === 'sse-kms') {
        expect([now.sse, now.kmsKeyArn], key).toEqual(['aws:kms', keyArn]);
      } else {
        expect(now.sse, key).toBe('AES256');
      }
    }
  });

  it('preserves user metadata, Content-Type, Cache-Control and tags', async () => {
    let tagged = 0;
    for (const [key, was] of before) {
      const now = await describeObject(pipeline.clients.s3, bucket, key);
      expect(now.userMetadata, key).toEqual(was.userMetadata);
      expect(now.contentType, key).toBe(was.contentType);
      expect(now.cacheControl, key).toBe(was.cacheControl);
      expect(now.tags, key).toEqual(was.tags);
      if (Object.keys(was.tags).length > 0) tagged++;
    }
    expect(tagged).toBeGreaterThan(20);
  });

  it('writes nothing on a second run: every object already compliant, ETags unchanged', async () => {
    const etags = new Map<string, string>();
    for (const key of seeded.digests.keys())
      etags.set(key, (await describeObject(pipeline.clients.s3, bucket, key)).etag);
    const { run } = await pipeline.backfill(bucket, mode, mode === 'sse-s3' ? undefined : keyArn);
    expect(run.counts).toMatchObject({ encrypted: 0, compliant: OBJECTS, failed: 0 });
    for (const [key, etag] of etags) {
      expect((await describeObject(pipeline.clients.s3, bucket, key)).etag, key).toBe(etag);
    }
  });

  it('passes `s3-seal verify` (exit 0), which fails on an unprotected object (exit 1)', async () => {
    const ok = cli([
      'verify',
      `s3://${bucket}`,
      '--mode',
      mode,
      ...(mode === 'sse-s3' ? [] : ['--key', keyArn]),
    ]);
    expect(ok.stdout).toContain(`${OBJECTS} compliant, 0 not`);
    expect(ok.status).toBe(0);
    await seedBucket(pipeline.clients.s3, `${bucket}-x`, { objects: 3 });
    const bad = cli(['verify', `s3://${bucket}-x`]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('0 compliant, 3 not');
  });
});

describe('the CLI', () => {
  it('refuses a bad mode, an unknown key and a missing bucket with one line and a non-zero exit', () => {
    const badMode = cli(['encrypt', 's3://whatever-bucket', '--mode', 'rot13']);
    expect(badMode.status).not.toBe(0);
    expect(badMode.stderr).toContain('rot13');
    const badKey = cli([
      'encrypt',
      's3://whatever-bucket',
      '--mode',
      'envelope',
      '--key',
      'alias/does-not-exist',
    ]);
    expect(badKey.status).toBe(1);
    expect(badKey.stderr.trim()).toBe('s3-seal: error: KMS key alias/does-not-exist not found');
    const noBucket = cli(['encrypt', 's3://no-such-bucket-here', '--mode', 'sse-kms', '--key', keyArn]);
    expect(noBucket.status).toBe(1);
    expect(noBucket.stderr.trim()).toBe('s3-seal: error: bucket no-such-bucket-here does not exist');
  });

  it('prints help for every command', () => {
    for (const command of ['setup', 'encrypt', 'decrypt', 'verify', 'demo']) {
      const out = execFileSync(process.execPath, ['bin/s3-seal.js', command, '--help'], { encoding: 'utf8' });
      expect(out, command).toContain(`Usage: s3-seal ${command}`);
    }
  });
});
