import { describe, expect, it } from 'vitest';
import {
  ChunkLogConflictError,
  chunkLogKey,
  encodeChunkLog,
  listChunkLogs,
  writeChunkLog,
} from '../../../../shared/chunks/chunk-log.js';
import type { ChunkRecord } from '../../../../shared/chunks/chunk-log-types.js';
import { RetryableError } from '../../../../shared/errors.js';
import { type Answer, answeringS3, listBucketResult } from '../../../helpers/answering-s3.js';

/** writeChunkLog's conditional PUT and its 412 path, and listChunkLogs' names, on S3's own bytes. */
const CHUNK = 'abcdefabcdefabcdefabcdef';
const location = { bucket: 'trail', prefix: 'audit/' };
const ref = { runId: 'run-1', chunkId: CHUNK, attempt: 2 };
const record = (key: string, position = 0) =>
  ({
    decision: 'compliant',
    runId: 'run-1',
    jobId: 'j',
    actor: 'a',
    bucket: 'b',
    key,
    mode: 'sse-s3',
    at: 't',
    chunkId: CHUNK,
    position,
  }) as ChunkRecord;
const PRECONDITION_FAILED: Answer = {
  status: 412,
  body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>',
};

describe('writeChunkLog', () => {
  it('puts the log once, with If-None-Match and its SHA-256 for S3 to check', async () => {
    const headers: Record<string, string>[] = [];
    const { s3, sent } = answeringS3(() => ({ status: 200 }));
    s3.middlewareStack.add(
      (next) => async (args) => {
        headers.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureHeaders' },
    );
    const stored = await writeChunkLog(s3, location, ref, [record('a')]);
    const encoded = encodeChunkLog([record('a')]);
    expect(stored).toEqual({
      key: chunkLogKey(location, 'run-1', CHUNK, 2),
      sha256: encoded.sha256,
      lines: encoded.lines,
    });
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT /trail/audit/runs/run-1/chunks/${CHUNK}/0002.jsonl.gz`,
    ]);
    expect(headers[0]).toMatchObject({
      'if-none-match': '*',
      'content-type': 'application/gzip',
      'x-amz-checksum-sha256': Buffer.from(encoded.sha256, 'hex').toString('base64'),
    });
  });

  it('answers 412 with the stored log when it holds the same bytes (a retried write)', async () => {
    const body = encodeChunkLog([record('a')]).body;
    const { s3, sent } = answeringS3((r) => (r.method === 'PUT' ? PRECONDITION_FAILED : { body }));
    const stored = await writeChunkLog(s3, location, ref, [record('a')]);
    expect(stored.sha256).toBe(encodeChunkLog([record('a')]).sha256);
    expect(sent.map((r) => r.method)).toEqual(['PUT', 'GET']);
  });

  it('takes a stored log with the same lines in other gzip bytes as the same log, with its own hash', async () => {
    const { gzipSync } = await import('node:zlib');
    const lines = encodeChunkLog([record('a')]).lines;
    const body = gzipSync(`${JSON.stringify(lines[0])}\n`, { level: 1 });
    const { s3 } = answeringS3((r) => (r.method === 'PUT' ? PRECONDITION_FAILED : { body }));
    const stored = await writeChunkLog(s3, location, ref, [record('a')]);
    expect(stored.lines).toEqual(lines);
    expect(stored.sha256).not.toBe(encodeChunkLog([record('a')]).sha256);
  });

  it('throws a retryable ChunkLogConflictError when the stored log holds other records', async () => {
    const body = encodeChunkLog([record('other')]).body;
    const { s3 } = answeringS3((r) => (r.method === 'PUT' ? PRECONDITION_FAILED : { body }));
    const error = await writeChunkLog(s3, location, ref, [record('a')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChunkLogConflictError);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ storedSha256: encodeChunkLog([record('other')]).sha256 });
  });

  it('passes any other failure through without reading', async () => {
    const { s3, sent } = answeringS3(() => ({
      status: 403,
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>',
    }));
    await expect(writeChunkLog(s3, location, ref, [record('a')])).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    expect(sent).toHaveLength(1);
  });
});

describe('listChunkLogs', () => {
  it("lists the run's prefix page by page, decoding keys, and names what is not a log", async () => {
    const prefix = 'audit/runs/run-1/chunks/';
    const { s3, sent } = answeringS3((r) =>
      r.query['continuation-token']
        ? {
            body: listBucketResult({
              keys: [`${prefix}${CHUNK}/10000.jsonl.gz`, `${prefix}${CHUNK}/0000.jsonl.gz`],
              encoded: true,
            }),
          }
        : {
            body: listBucketResult({
              keys: [`${prefix}${CHUNK}/0001.jsonl.gz`, `${prefix}${CHUNK}/notes%20here.txt`],
              encoded: true,
              nextToken: 'next',
            }),
          },
    );
    const listed = [];
    for await (const log of listChunkLogs(s3, location, 'run-1')) listed.push(log);
    expect(listed).toEqual([
      { key: `${prefix}${CHUNK}/0001.jsonl.gz`, chunkId: CHUNK, attempt: 1 },
      { key: `${prefix}${CHUNK}/notes here.txt`, chunkId: '', attempt: 0, problem: expect.any(String) },
      { key: `${prefix}${CHUNK}/10000.jsonl.gz`, chunkId: CHUNK, attempt: 10000 },
      { key: `${prefix}${CHUNK}/0000.jsonl.gz`, chunkId: '', attempt: 0, problem: expect.any(String) },
    ]);
    expect(sent.map((r) => r.query.prefix)).toEqual([prefix, prefix]);
  });
});
