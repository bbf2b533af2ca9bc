import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureAuditBucket } from '../../shared/chunks/audit-bucket.js';
import {
  ChunkLogConflictError,
  chunkLogKey,
  encodeChunkLog,
  lineHash,
  listChunkLogs,
  readChunkLog,
  writeChunkLog,
} from '../../shared/chunks/chunk-log.js';
import type { AuditLocation, ChunkRecord } from '../../shared/chunks/chunk-log-types.js';
import { chunkIdFor } from '../../shared/chunks/chunk-message.js';
import { createClients } from '../../shared/clients.js';
import { loadConfig } from '../../shared/config.js';

/**
 * Chunk logs against LocalStack: written once with If-None-Match, read back byte for byte, a
 * retried write recognised, a different one refused, listed per run; and the audit bucket's
 * Object Lock as setup creates it.
 */
const { s3 } = createClients(loadConfig());
const suffix = randomUUID().slice(0, 8);
/** A prefix with spaces and non-ASCII: keys are taken exactly, never trimmed or decoded. */
const location: AuditLocation = { bucket: `it-chunk-log-${suffix}`, prefix: 'trail é/ü spaced/' };
const runId = `20261207T000000-${suffix}`;

function records(chunkId: string, keys: string[]): ChunkRecord[] {
  return keys.map((key, position) => ({
    decision: 'encrypted',
    runId,
    jobId: `${chunkId}:${position}`,
    actor: 'worker:it',
    bucket: 'data',
    key,
    mode: 'envelope',
    keyArn: 'arn:aws:kms:us-east-1:000000000000:key/k',
    at: '2026-12-07T00:00:00.000Z',
    chunkId,
    position,
  }));
}
/** Object keys a chunk can hold: unicode, spaces, line breaks, and the longest S3 allows. */
const ODD_KEYS = ['日本語/ファイル.txt', ' leading and trailing ', 'a\r\nb', `${'k'.repeat(1021)}/é`];

beforeAll(async () => {
  const state = await ensureAuditBucket(s3, location, { retentionDays: 0 });
  expect(state).toMatchObject({ bucket: location.bucket, status: 'created', objectLock: true });
});

describe('writeChunkLog and readChunkLog', () => {
  it('round-trips records with odd keys, byte for byte, under a unicode prefix and at a 1,024-byte log key', async () => {
    expect(Buffer.byteLength(ODD_KEYS[3]!)).toBe(1024);
    const chunkId = chunkIdFor(runId, 'odd');
    const written = await writeChunkLog(
      s3,
      location,
      { runId, chunkId, attempt: 1 },
      records(chunkId, ODD_KEYS),
    );
    expect(written.key).toBe(`trail é/ü spaced/runs/${runId}/chunks/${chunkId}/0001.jsonl.gz`);
    const got = await s3.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: written.key, ChecksumMode: 'ENABLED' }),
    );
    const stored = Buffer.from(await got.Body!.transformToByteArray());
    expect(stored.equals(encodeChunkLog(records(chunkId, ODD_KEYS)).body)).toBe(true);
    expect(got.ContentType).toBe('application/gzip');
    // S3 keeps the SHA-256 it checked the upload against: the same hash the chunk item records.
    expect(got.ChecksumSHA256).toBe(Buffer.from(written.sha256, 'hex').toString('base64'));

    const read = await readChunkLog(s3, location, written.key);
    expect(read).toEqual({ ...written, problems: [] });
    expect(read.lines.map((line) => line.record.key)).toEqual(ODD_KEYS);
    expect(read.lines.map((line) => line.hash)).toEqual(records(chunkId, ODD_KEYS).map(lineHash));

    // A log key of exactly 1,024 bytes, S3's limit, written and read as any other.
    const longPrefix = `${'p'.repeat(1024 - Buffer.byteLength(chunkLogKey({ bucket: '', prefix: '/' }, runId, chunkId, 1)))}/`;
    const longLocation = { ...location, prefix: longPrefix };
    const long = await writeChunkLog(
      s3,
      longLocation,
      { runId, chunkId, attempt: 1 },
      records(chunkId, ['x']),
    );
    expect(Buffer.byteLength(long.key)).toBe(1024);
    expect((await readChunkLog(s3, longLocation, long.key)).sha256).toBe(long.sha256);
  });

  it('answers a second write of the same attempt with the same records with the stored log (LocalStack answers 412)', async () => {
    const chunkId = chunkIdFor(runId, 'retried');
    const ref = { runId, chunkId, attempt: 3 };
    const first = await writeChunkLog(s3, location, ref, records(chunkId, ['a', 'b']));
    const again = await writeChunkLog(s3, location, ref, records(chunkId, ['a', 'b']));
    expect(again).toEqual(first);
    // Still one version: the second PUT was refused, not stored over the first.
    const versions = await s3.send(
      new ListObjectVersionsCommand({ Bucket: location.bucket, Prefix: first.key }),
    );
    expect(versions.Versions?.map((v) => v.Key)).toEqual([first.key]);
  });

  it('refuses a second write of the same attempt with other records, leaving the stored log as it was', async () => {
    const chunkId = chunkIdFor(runId, 'conflict');
    const ref = { runId, chunkId, attempt: 1 };
    const first = await writeChunkLog(s3, location, ref, records(chunkId, ['a', 'b']));
    const error = await writeChunkLog(s3, location, ref, records(chunkId, ['a', 'c'])).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChunkLogConflictError);
    expect(error).toMatchObject({ key: first.key, storedSha256: first.sha256 });
    expect((await readChunkLog(s3, location, first.key)).sha256).toBe(first.sha256);
    // The next attempt has its own key.
    const next = await writeChunkLog(s3, location, { ...ref, attempt: 2 }, records(chunkId, ['a', 'c']));
    expect(next.key).toBe(chunkLogKey(location, runId, chunkId, 2));
  });

  it('names damaged lines by position when a stored log is overwritten', async () => {
    const chunkId = chunkIdFor(runId, 'tampered');
    const written = await writeChunkLog(
      s3,
      location,
      { runId, chunkId, attempt: 1 },
      records(chunkId, ['a', 'b']),
    );
    const [line0] = encodeChunkLog(records(chunkId, ['a'])).lines;
    const { gzipSync } = await import('node:zlib');
    const forged = gzipSync(`${JSON.stringify(line0)}\n{"hash":"0"\n`);
    await s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: written.key, Body: forged }));
    const read = await readChunkLog(s3, location, written.key);
    expect(read.sha256).not.toBe(written.sha256);
    expect(read.lines).toEqual([line0]);
    expect(read.problems).toEqual([expect.stringMatching(/^line 2 \(position 1\): not JSON/)]);
  });
});

describe('listChunkLogs', () => {
  it("finds every log of a run, in chunk then attempt order, and none of another run's", async () => {
    const otherRun = `${runId}x`;
    const listed = { bucket: location.bucket, prefix: `list-${suffix}/` };
    const chunkA = chunkIdFor(runId, 'list-a');
    const chunkB = chunkIdFor(runId, 'list-b');
    const writes: Array<[string, string, number]> = [
      [runId, chunkA, 2],
      [runId, chunkA, 10],
      [runId, chunkA, 1],
      [runId, chunkB, 1],
      [otherRun, chunkA, 1],
    ];
    for (const [run, chunk, attempt] of writes) {
      await writeChunkLog(s3, listed, { runId: run, chunkId: chunk, attempt }, records(chunk, ['k']));
    }
    // Something under the run's chunks that is not a log: listed with a problem, not skipped.
    const stray = `list-${suffix}/runs/${runId}/chunks/${chunkA}/notes.txt`;
    await s3.send(new PutObjectCommand({ Bucket: listed.bucket, Key: stray, Body: 'x' }));

    const found = [];
    for await (const log of listChunkLogs(s3, listed, runId)) found.push(log);
    // Chunks in key order (their ids), each chunk's attempts in attempt order (1, 2, 10).
    const expected = [chunkA, chunkB]
      .sort()
      .flatMap((chunkId) => (chunkId === chunkA ? [1, 2, 10] : [1]).map((attempt) => ({ chunkId, attempt })))
      .map((log) => ({
        ...log,
        key: chunkLogKey(listed, runId, log.chunkId, log.attempt),
        // S3's own time of the write: what tells an expired event chunk's log from a young one.
        lastModified: expect.any(Date),
      }));
    expect(found.filter((log) => !log.problem)).toEqual(expected);
    expect(found.filter((log) => log.problem)).toEqual([
      {
        key: stray,
        chunkId: '',
        attempt: 0,
        problem: expect.stringContaining('not a chunk log name'),
        lastModified: expect.any(Date),
      },
    ]);
    const others = [];
    for await (const log of listChunkLogs(s3, listed, otherRun)) others.push(log);
    expect(others).toEqual([
      {
        key: chunkLogKey(listed, otherRun, chunkA, 1),
        chunkId: chunkA,
        attempt: 1,
        lastModified: expect.any(Date),
      },
    ]);
  });

  it('pages through more than one ListObjectsV2 page', async () => {
    const paged = { bucket: location.bucket, prefix: `paged-${suffix}/` };
    const chunkId = chunkIdFor(runId, 'paged');
    const body = encodeChunkLog([]).body;
    const keys = Array.from({ length: 1005 }, (_, i) => chunkLogKey(paged, runId, chunkId, i + 1));
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((Key) => s3.send(new PutObjectCommand({ Bucket: paged.bucket, Key, Body: body }))),
      );
    }
    const attempts = [];
    for await (const log of listChunkLogs(s3, paged, runId)) attempts.push(log.attempt);
    expect(attempts).toEqual(keys.map((_, i) => i + 1));
  });
});

describe('ensureAuditBucket', () => {
  it('creates the bucket with Object Lock, versioning and a compliance default retention that LocalStack enforces', async () => {
    const locked = { bucket: `it-chunk-lock-${suffix}`, prefix: 'audit/' };
    const created = await ensureAuditBucket(s3, locked, { retentionDays: 1 });
    expect(created).toEqual({ bucket: locked.bucket, status: 'created', objectLock: true, retentionDays: 1 });
    const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: locked.bucket }));
    expect(lock.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
    });
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: locked.bucket }))).Status).toBe('Enabled');

    const chunkId = chunkIdFor(runId, 'locked');
    const log = await writeChunkLog(s3, locked, { runId, chunkId, attempt: 1 }, records(chunkId, ['a']));
    const head = await s3.send(new GetObjectCommand({ Bucket: locked.bucket, Key: log.key }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    const version = head.VersionId!;
    const refused = await s3
      .send(new DeleteObjectCommand({ Bucket: locked.bucket, Key: log.key, VersionId: version }))
      .catch((e: { name?: string }) => e.name);
    expect(refused).toBe('AccessDenied');

    // Found again as it is, whatever retention this call would give a new bucket.
    expect(await ensureAuditBucket(s3, locked, { retentionDays: 0 })).toEqual({
      ...created,
      status: 'exists',
    });
  });

  it('creates a locked bucket without default retention when told 0, so logs can be deleted', async () => {
    const open = { bucket: `it-chunk-open-${suffix}`, prefix: '' };
    expect(await ensureAuditBucket(s3, open, { retentionDays: 0 })).toMatchObject({
      status: 'created',
      objectLock: true,
      reason: expect.stringContaining('no default retention'),
    });
    const chunkId = chunkIdFor(runId, 'open');
    const log = await writeChunkLog(s3, open, { runId, chunkId, attempt: 1 }, records(chunkId, ['a']));
    const head = await s3.send(new GetObjectCommand({ Bucket: open.bucket, Key: log.key }));
    await s3.send(new DeleteObjectCommand({ Bucket: open.bucket, Key: log.key, VersionId: head.VersionId }));
    expect(await ensureAuditBucket(s3, open, { retentionDays: 0 })).toMatchObject({
      status: 'exists',
      objectLock: true,
      reason: 'the existing bucket has no default retention',
    });
  });
});
