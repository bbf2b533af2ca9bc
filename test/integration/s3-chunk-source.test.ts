import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { findingLine } from '../../shared/audit/audit-finding.js';
import type { ChunkSource } from '../../shared/audit/chunk-source.js';
import { MultisetAccumulator, multisetDigest } from '../../shared/audit/multiset-hash.js';
import { runRecords } from '../../shared/audit/run-records.js';
import { s3ChunkSource } from '../../shared/audit/s3-chunk-source.js';
import { verifyRun } from '../../shared/audit/verify-run.js';
import { chunkLogKey, lineHash, writeChunkLog } from '../../shared/chunks/chunk-log.js';
import type { AuditLocation } from '../../shared/chunks/chunk-log-types.js';
import type { ChunkItem, ChunkRef } from '../../shared/chunks/chunk-store.js';
import { createClients } from '../../shared/clients.js';
import { loadConfig } from '../../shared/config.js';
import { chunkIdOf, RUN, recordOf, runsOf } from '../helpers/memory-chunk-trail.js';

/**
 * The verifier and run records over real chunk logs in S3 (LocalStack), written by the chunk log
 * writer; chunk items in memory. What S3 adds: key order of the listing, the SHA-256 of stored
 * gzip bytes, a missing object (NoSuchKey) as a removed log.
 */
const clients = createClients(loadConfig());
const location: AuditLocation = { bucket: `it-chunk-source-${randomUUID().slice(0, 8)}`, prefix: 'audit/' };
const items = new Map<string, ChunkItem>();
const chunks = {
  async get(ref: ChunkRef) {
    return items.get(ref.chunkId);
  },
  async *listRun(runId: string) {
    for (const item of items.values()) if (item.runId === runId) yield item;
  },
};
let source: ChunkSource;
const [A, B] = [chunkIdOf(0xa), chunkIdOf(0xb)];

async function commit(chunkId: string, n: number, attempt = 1) {
  const records = Array.from({ length: n }, (_, p) => recordOf(chunkId, p));
  const log = await writeChunkLog(clients.s3, location, { runId: RUN, chunkId, attempt }, records);
  items.set(chunkId, {
    runId: RUN,
    chunkId,
    state: 'DONE',
    attempt,
    membership: 'm',
    salts: [],
    firstClaimedAt: '2026-12-07T00:00:00.000Z',
    updatedAt: '2026-12-07T00:00:00.000Z',
    logKey: log.key,
    logSha256: log.sha256,
    records: n,
  });
  return log;
}

/** The closing digest of the logs as written: verify before any edit to learn it. */
let closed: { digest: string; records: number };

beforeAll(async () => {
  await clients.s3.send(new CreateBucketCommand({ Bucket: location.bucket }));
  source = s3ChunkSource({ s3: clients.s3, location, chunks });
  await writeChunkLog(clients.s3, location, { runId: RUN, chunkId: B, attempt: 1 }, [
    recordOf(B, 0, 'k/lost'),
  ]);
  await commit(A, 3);
  await commit(B, 2, 2);
  const accumulator = new MultisetAccumulator();
  for await (const record of runRecords(source, RUN)) accumulator.add(lineHash(record));
  closed = { digest: multisetDigest(accumulator.value), records: 5 };
});

describe('the audit trail read from S3', () => {
  it('reads committed records in chunk order then position, and verifies a clean run', async () => {
    const keys: string[] = [];
    for await (const record of runRecords(source, RUN))
      keys.push(`${record.chunkId.slice(-1)}:${record.key}`);
    expect(keys).toEqual(['a:k/0a-0', 'a:k/0a-1', 'a:k/0a-2', 'b:k/0b-0', 'b:k/0b-1']);
    const result = await verifyRun({ source, runs: runsOf(closed) }, RUN);
    expect(result.findings.map(findingLine)).toEqual([]);
    expect(result.notes.map(findingLine)).toEqual([
      `run ${RUN} chunk ${B}: log ${chunkLogKey(location, RUN, B, 1)}: abandoned attempt 1: not counted (the chunk committed attempt 2)`,
    ]);
    expect(result.digest).toBe('matches');
  });

  it('names an overwritten log, a deleted one and a stray object under the run', async () => {
    const keyA = chunkLogKey(location, RUN, A, 1);
    const keyB = chunkLogKey(location, RUN, B, 2);
    await clients.s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: keyA, Body: 'not gzip' }));
    await clients.s3.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: keyB }));
    const stray = `audit/runs/${RUN}/chunks/README`;
    await clients.s3.send(new PutObjectCommand({ Bucket: location.bucket, Key: stray, Body: 'hello' }));
    const result = await verifyRun({ source, runs: runsOf(closed) }, RUN);
    const lines = result.findings.map(findingLine);
    expect(lines).toContain(
      `run ${RUN} chunk ${A}: log ${keyA}: changed: its bytes no longer hash to the SHA-256 the chunk committed`,
    );
    expect(lines).toContain(
      `run ${RUN} chunk ${B}: log ${keyB}: removed: the chunk is committed but its log is gone`,
    );
    expect(lines.some((l) => l.startsWith(`run ${RUN} chunk ${A}: log ${keyA}: unreadable: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`run ${RUN}: log ${stray}: inserted: not a chunk log name`))).toBe(
      true,
    );
    expect(lines).toContain(
      `run ${RUN}: digest: its records no longer match the digest it closed with (0 records now, 5 at close)`,
    );
  });
});
