import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedBucket } from '../../cli/seed-bucket.js';
import { classifyClientSide, envelopeFormatOf, META, META_V3 } from '../../shared/envelope/format.js';
import { openObject } from '../../shared/envelope/open-object.js';
import { InjectedCrashError } from '../../shared/errors.js';
import { Faults } from '../../shared/faults.js';
import type { EncryptJob } from '../../shared/jobs/messages.js';
import type { ManifestEntry } from '../../shared/manifests/manifest-entry.js';
import { manifestKey } from '../../shared/manifests/manifest-key.js';
import { readManifestPage } from '../../shared/manifests/manifest-page.js';
import { newRunId } from '../../shared/runs/run-store.js';
import { headObject } from '../../shared/s3/object-head.js';
import { recordsOfRun } from '../helpers/chunk-trail.js';
import { runCli } from '../helpers/cli.js';
import { putEnvelopeObject } from '../helpers/envelope-object.js';
import { encryptOne } from '../helpers/one-object.js';
import {
  createKmsKey,
  describeObject,
  readPlaintext,
  startPipeline,
  uniqueBucket,
} from '../helpers/pipeline.js';

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
let pipeline: Pipeline;
let keyArn: string;
let otherKey: string;

beforeAll(async () => {
  pipeline = await startPipeline('formats');
  keyArn = await createKmsKey(pipeline.clients.kms);
  otherKey = await createKmsKey(pipeline.clients.kms);
});

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function rawBody(bucket: string, key: string): Promise<Buffer> {
  const got = await pipeline.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

/** The entries of `keyArn`'s manifest of `runId` (written when the run closed): its rotation plan's input. */
async function manifestOf(keyArn: string, runId: string): Promise<ManifestEntry[]> {
  const location = pipeline.config.auditLocation;
  const target = { bucket: location.bucket, key: manifestKey(location, keyArn, runId) };
  const entries: ManifestEntry[] = [];
  for (let offset: number | undefined = 0; offset !== undefined; ) {
    const page = await readManifestPage(pipeline.clients.s3, target, offset);
    entries.push(...page.entries);
    offset = page.next;
  }
  return entries;
}

async function bucketWith(label: string, objects: Record<string, string>) {
  const bucket = uniqueBucket(label);
  await seedBucket(pipeline.clients.s3, bucket, { objects: 0 });
  for (const [key, body] of Object.entries(objects)) {
    await pipeline.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'text/csv',
        Metadata: { owner: 'alice' },
        Tagging: 'team=a',
      }),
    );
  }
  return bucket;
}

describe('envelope formats', () => {
  it('writes V2 on request, readable and compliant; V2 stays compliant without --upgrade-format', async () => {
    const bucket = await bucketWith('v2', { 'a.csv': 'a,b\n1,2\n', 'b.csv': 'c,d\n3,4\n' });
    const run = await pipeline.backfill(bucket, 'envelope', keyArn, '', { format: 'v2' });
    expect(run.run.counts.encrypted).toBe(2);
    const head = (await headObject(pipeline.clients.s3, bucket, 'a.csv'))!;
    expect(head.metadata[META.cekAlgorithm]).toBe('AES/GCM/NoPadding');
    expect(head.metadata[META.materialsDescription]).toBe('{"aws:x-amz-cek-alg":"AES/GCM/NoPadding"}');
    expect(head.metadata[META_V3.contentCipher]).toBeUndefined();
    expect((await readPlaintext(pipeline.clients, bucket, 'a.csv')).toString()).toBe('a,b\n1,2\n');

    const again = await pipeline.backfill(bucket, 'envelope', keyArn);
    expect(again.run.counts).toMatchObject({ compliant: 2, encrypted: 0 });
    expect((await headObject(pipeline.clients.s3, bucket, 'a.csv'))!.etag).toBe(head.etag);
  });

  it('--upgrade-format re-encrypts V2 to V3: same bytes, metadata, headers and tags; audited as its own decision', async () => {
    const bucket = await bucketWith('upgrade', {
      'a.csv': 'a,b\n1,2\n',
      'big.bin': 'x'.repeat(6 * 1024 * 1024 + 7),
    });
    await pipeline.backfill(bucket, 'envelope', keyArn, '', { format: 'v2' });
    const before = await describeObject(pipeline.clients.s3, bucket, 'big.bin');
    const plainBefore = sha(await readPlaintext(pipeline.clients, bucket, 'big.bin'));

    const run = await pipeline.backfill(bucket, 'envelope', keyArn, '', { upgradeFormat: true });
    expect(run.run.counts).toMatchObject({ encrypted: 2, compliant: 0, failed: 0 });
    for (const key of ['a.csv', 'big.bin']) {
      const now = await describeObject(pipeline.clients.s3, bucket, key);
      const state = classifyClientSide(now.metadata);
      expect(state.kind === 'readable' && state.envelope.format, key).toBe('v3');
      expect(now.metadata[META.wrappedKey], key).toBeUndefined();
      expect(now.metadata[META.iv], key).toBeUndefined();
      expect(now.userMetadata, key).toEqual({ owner: 'alice' });
      expect(now.contentType, key).toBe('text/csv');
      expect(now.tags, key).toEqual({ team: 'a' });
    }
    expect(sha(await readPlaintext(pipeline.clients, bucket, 'big.bin'))).toBe(plainBefore);
    expect((await readPlaintext(pipeline.clients, bucket, 'a.csv')).toString()).toBe('a,b\n1,2\n');
    expect((await describeObject(pipeline.clients.s3, bucket, 'big.bin')).etag).not.toBe(before.etag);
    expect(await pipeline.trail.decisionOf(run.run.runId, bucket, 'a.csv')).toMatchObject({
      decision: 'encrypted',
      method: 'upgrade-format',
      keyArn,
    });
    const records = await recordsOfRun(pipeline, run.run.runId);
    expect(records.map((r) => [r.key, r.decision, r.method]).sort()).toEqual([
      ['a.csv', 'encrypted', 'upgrade-format'],
      ['big.bin', 'encrypted', 'upgrade-format'],
    ]);
    // A V3 object is compliant for a second upgrade run: nothing is written.
    const again = await pipeline.backfill(bucket, 'envelope', keyArn, '', { upgradeFormat: true });
    expect(again.run.counts).toMatchObject({ compliant: 2, encrypted: 0 });
  });

  it('reconciles an upgrade that crashed after its write, without writing again', async () => {
    const bucket = await bucketWith('upgrade-crash', { 'a.csv': 'a,b\n1,2\n' });
    await pipeline.backfill(bucket, 'envelope', keyArn, '', { format: 'v2' });
    const head = (await headObject(pipeline.clients.s3, bucket, 'a.csv'))!;
    const job: EncryptJob = {
      runId: newRunId(),
      jobId: 'upgrade-crash',
      bucket,
      key: 'a.csv',
      mode: 'envelope',
      keyArn,
      upgradeFormat: true,
    };
    const crashing = pipeline.encryptDeps({ faults: new Faults({ 'after-s3-write': 1 }) });
    await expect(encryptOne(job, crashing)).rejects.toBeInstanceOf(InjectedCrashError);
    const afterCrash = (await headObject(pipeline.clients.s3, bucket, 'a.csv'))!;
    expect(afterCrash.etag).not.toBe(head.etag);
    expect(afterCrash.metadata[META_V3.messageId]).toBeTruthy();
    expect(await pipeline.trail.chunksOf(job.runId)).toEqual([
      expect.objectContaining({ state: 'IN_PROGRESS', attempt: 1 }),
    ]);
    // The redelivery after the crashed attempt's lease: its V3 message id names that attempt.
    const later = new Date(Date.now() + (pipeline.config.leaseSeconds + 60) * 1000);
    const s3 = pipeline.newS3Client();
    const writes: string[] = [];
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName);
        if ((args.input as { Bucket?: string }).Bucket === bucket && !/^(Head|Get)/.test(name))
          writes.push(name);
        return next(args);
      },
      { step: 'initialize', name: 'countWrites' },
    );
    const retried = await encryptOne(job, pipeline.encryptDeps({ s3, now: () => later }));
    expect(retried).toMatchObject({ outcome: 'encrypted', detail: 'reconciled after a crash' });
    expect(writes).toEqual([]);
    expect((await headObject(pipeline.clients.s3, bucket, 'a.csv'))!.etag).toBe(afterCrash.etag);
    expect(await pipeline.trail.decisionOf(job.runId, bucket, 'a.csv')).toMatchObject({
      decision: 'encrypted',
      reconciled: true,
      etagAfter: afterCrash.etag,
      keyArn,
    });
    expect(await pipeline.trail.chunksOf(job.runId)).toEqual([
      expect.objectContaining({ state: 'DONE', attempt: 2, records: 1 }),
    ]);
    expect((await readPlaintext(pipeline.clients, bucket, 'a.csv')).toString()).toBe('a,b\n1,2\n');
  });

  it('keeps the object’s checksum algorithm (SHA-256 stays SHA-256, not the SDK default CRC32)', async () => {
    const bucket = await bucketWith('checksum', {});
    const s3 = pipeline.clients.s3;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'sha.bin',
        Body: 'integrity matters',
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const checksums = async () => {
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: 'sha.bin', ChecksumMode: 'ENABLED' }),
      );
      return { sha256: head.ChecksumSHA256 !== undefined, crc32: head.ChecksumCRC32 !== undefined };
    };
    expect(await checksums()).toEqual({ sha256: true, crc32: false });
    await pipeline.backfill(bucket, 'envelope', keyArn);
    expect(envelopeFormatOf((await headObject(s3, bucket, 'sha.bin'))!.metadata)).toBe('v3');
    expect(await checksums()).toEqual({ sha256: true, crc32: false });
  });

  it('re-wraps a V2 object: only x-amz-key-v2 changes, the body stays byte-identical', async () => {
    const bucket = await bucketWith('rewrap-v2', { 'a.csv': 'a,b\n1,2\n' });
    await pipeline.backfill(bucket, 'envelope', keyArn, '', { format: 'v2' });
    const before = (await headObject(pipeline.clients.s3, bucket, 'a.csv'))!;
    const cipherBefore = await rawBody(bucket, 'a.csv');
    const rewrap = runCli([
      'rewrap',
      `s3://${bucket}`,
      '--from',
      keyArn,
      '--to',
      otherKey,
      '--scan',
      '--local',
      '--no-progress',
    ]);
    expect(rewrap.status, rewrap.stderr).toBe(0);
    const after = (await headObject(pipeline.clients.s3, bucket, 'a.csv'))!;
    expect(after.metadata[META.wrappedKey]).not.toBe(before.metadata[META.wrappedKey]);
    expect(after.metadata[META.iv]).toBe(before.metadata[META.iv]);
    expect(await rawBody(bucket, 'a.csv')).toEqual(cipherBefore);
    const opened = await openObject(pipeline.clients, bucket, 'a.csv');
    expect(opened.keyArn).toBe(otherKey);
    expect(opened.envelope.format).toBe('v2');
  });

  it('refuses --upgrade-format with --format v2, and --format outside envelope mode, changing nothing', () => {
    const both = runCli([
      'encrypt',
      's3://no-such-bucket-x',
      '--mode',
      'envelope',
      '--key',
      keyArn,
      '--format',
      'v2',
      '--upgrade-format',
    ]);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toMatch(/cannot be combined with --s3ec-format v2/);
    const wrongMode = runCli([
      'encrypt',
      's3://no-such-bucket-x',
      '--mode',
      'sse-kms',
      '--key',
      keyArn,
      '--s3ec-format',
      'v3',
    ]);
    expect(wrongMode.status).not.toBe(0);
    expect(wrongMode.stderr).toMatch(/--s3ec-format is used only with --mode envelope/);
  });
});

describe('envelopes s3-seal did not write', () => {
  it('counts a client’s envelope under the policy key compliant (asked of KMS once), and skips one under another key', async () => {
    const bucket = await bucketWith('foreign', {});
    const s3 = pipeline.clients.s3;
    const mine = await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'mine.bin',
      body: Buffer.from('mine'),
      keyArn,
      format: 'v3',
    });
    const theirs = await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'theirs.bin',
      body: Buffer.from('theirs'),
      keyArn: otherKey,
      format: 'v3',
    });
    const legacy = await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'legacy.bin',
      body: Buffer.from('legacy'),
      keyArn,
      format: 'v2',
    });
    const run = await pipeline.backfill(bucket, 'envelope', keyArn);
    expect(run.run.counts).toMatchObject({ compliant: 2, skipped: 1, encrypted: 0 });
    expect(run.run.counts.reasons['wrapped-under-another-key']).toBe(1);
    expect((await headObject(s3, bucket, 'mine.bin'))!.etag).toBe(mine.ETag);
    expect((await headObject(s3, bucket, 'theirs.bin'))!.etag).toBe(theirs.ETag);
    expect((await headObject(s3, bucket, 'legacy.bin'))!.etag).toBe(legacy.ETag);
    const runId = run.run.runId;
    expect(await pipeline.trail.decisionOf(runId, bucket, 'theirs.bin')).toMatchObject({
      decision: 'skipped',
      reason: 'wrapped-under-another-key',
    });
    // Recorded under the key it was found wrapped under, so that key's manifest names it: rotations
    // planned from manifests see client-written objects.
    expect(await pipeline.trail.decisionOf(runId, bucket, 'mine.bin')).toMatchObject({
      decision: 'compliant',
      keyArn,
      etagBefore: mine.ETag,
    });
    expect(await manifestOf(keyArn, runId)).toEqual(
      expect.arrayContaining([expect.objectContaining({ bucket, key: 'mine.bin', etag: mine.ETag })]),
    );
  });

  it('skips malformed envelope metadata and formats it cannot read under every mode, writing nothing', async () => {
    const bucket = await bucketWith('malformed', {});
    const s3 = pipeline.clients.s3;
    const puts = {
      'fake-v2.txt': { 'x-amz-key-v2': 'AQID' },
      'fake-v1.txt': { 'x-amz-key': 'AQID', 'x-amz-iv': 'AAAAAAAAAAAAAAAA' },
      'v3-instruction-file.txt': {
        'x-amz-c': '115',
        'x-amz-d': Buffer.alloc(28).toString('base64'),
        'x-amz-i': Buffer.alloc(28).toString('base64'),
      },
    };
    const etags: Record<string, string> = {};
    for (const [key, Metadata] of Object.entries(puts)) {
      etags[key] = (
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'plain?', Metadata }))
      ).ETag!;
    }
    for (const mode of ['envelope', 'sse-kms', 'sse-s3'] as const) {
      const run = await pipeline.backfill(bucket, mode, mode === 'sse-s3' ? undefined : keyArn);
      expect(run.run.counts, mode).toMatchObject({ skipped: 3, encrypted: 0, compliant: 0 });
      for (const key of Object.keys(puts))
        expect((await headObject(s3, bucket, key))!.etag, `${mode} ${key}`).toBe(etags[key]);
      const records = await pipeline.trail.byKey(run.run.runId);
      expect(records.get('fake-v2.txt'), mode).toMatchObject({
        decision: 'skipped',
        reason: 'malformed-envelope',
      });
      expect(records.get('fake-v1.txt'), mode).toMatchObject({
        decision: 'skipped',
        reason: 'unreadable-client-side-format',
      });
      expect(records.get('v3-instruction-file.txt')?.decision, mode).toBe('skipped');
    }
    const verify = runCli(['verify', `s3://${bucket}`]);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/fake-v2\.txt\s+malformed envelope/);
  });

  it('never downgrades DSSE-KMS under another key to single-layer SSE-KMS', async () => {
    const bucket = await bucketWith('dsse', {});
    const put = await pipeline.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'dual.bin',
        Body: 'dual',
        ServerSideEncryption: 'aws:kms:dsse',
        SSEKMSKeyId: otherKey,
      }),
    );
    const head = (await headObject(pipeline.clients.s3, bucket, 'dual.bin'))!;
    expect(head.serverSideEncryption).toBe('aws:kms:dsse');
    const run = await pipeline.backfill(bucket, 'sse-kms', keyArn);
    expect(run.run.counts).toMatchObject({ skipped: 1, encrypted: 0 });
    expect((await headObject(pipeline.clients.s3, bucket, 'dual.bin'))!.etag).toBe(put.ETag);
    expect(await pipeline.trail.decisionOf(run.run.runId, bucket, 'dual.bin')).toMatchObject({
      decision: 'skipped',
      reason: 'dsse-other-key',
    });
  });
});

describe('reading V3 safely', () => {
  it('refuses an object whose key commitment was altered, and decrypt writes nothing anywhere', async () => {
    const bucket = await bucketWith('tamper', {});
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'secret.txt',
      body: Buffer.from('top secret'),
      keyArn,
      format: 'v3',
    });
    const head = (await headObject(pipeline.clients.s3, bucket, 'secret.txt'))!;
    await pipeline.clients.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'secret.txt',
        CopySource: `${bucket}/secret.txt`,
        MetadataDirective: 'REPLACE',
        Metadata: { ...head.metadata, [META_V3.keyCommitment]: Buffer.alloc(28, 7).toString('base64') },
      }),
    );
    await expect(openObject(pipeline.clients, bucket, 'secret.txt')).rejects.toThrow(
      /key commitment mismatch/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'seal-decrypt-'));
    const out = join(dir, 'out.txt');
    writeFileSync(join(dir, 'keep'), '');
    const toFile = runCli(['decrypt', `s3://${bucket}/secret.txt`, '-o', out]);
    expect(toFile.status).not.toBe(0);
    expect(toFile.stderr).toMatch(/key commitment mismatch/);
    expect(existsSync(out)).toBe(false);
    const toStdout = runCli(['decrypt', `s3://${bucket}/secret.txt`]);
    expect(toStdout.status).not.toBe(0);
    expect(toStdout.stdout).toBe('');
  });

  it('decrypt writes an authenticated V3 object to stdout and says which format it read', async () => {
    const bucket = await bucketWith('stdout', {});
    await putEnvelopeObject(pipeline.clients, {
      bucket,
      key: 'note.txt',
      body: Buffer.from('hello v3'),
      keyArn,
      format: 'v3',
    });
    const out = runCli(['decrypt', `s3://${bucket}/note.txt`]);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe('hello v3');
    expect(out.stderr).toMatch(/S3EC v3, 8 bytes/);
  });
});
