import { describe, expect, it } from 'vitest';
import { encryptJobOf, rewrapJobOf } from '../../../../shared/chunks/chunk-jobs.js';
import {
  type ChunkIntent,
  chunkIdFor,
  EncryptChunkSchema,
  MAX_CHUNK_INTENTS,
  RewrapChunkSchema,
  splitIntoChunks,
} from '../../../../shared/chunks/chunk-message.js';
import { parseMessage } from '../../../../shared/jobs/messages.js';
import { chunksOfPage } from '../../../../shared/jobs/queue-chunks.js';
import { jobIdFor } from '../../../../shared/jobs/scan-page.js';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/a';
const intents = (n: number, size = 1): ChunkIntent[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${String(i).padStart(4, '0')}`, etag: `"e${i}"`, size }));

const encryptChunk = (count: number, chunkId = chunkIdFor('r1', 'listing:c:1:0')) => ({
  type: 'encrypt-chunk',
  runId: 'r1',
  bucket: 'data-bucket',
  mode: 'sse-kms',
  keyArn: KEY,
  chunkId,
  origin: 'listing:c:1:0',
  intents: intents(count),
});

describe('chunk ids', () => {
  it('are stable per (run, origin) and differ by either', () => {
    const id = chunkIdFor('r1', 'listing:abc:3:0');
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(chunkIdFor('r1', 'listing:abc:3:0')).toBe(id);
    expect(chunkIdFor('r2', 'listing:abc:3:0')).not.toBe(id);
    expect(chunkIdFor('r1', 'listing:abc:3:1')).not.toBe(id);
  });
});

describe('splitIntoChunks', () => {
  it('splits in order into chunks of at most 100', () => {
    const chunks = splitIntoChunks(intents(250));
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(chunks.flat()).toEqual(intents(250));
    expect(splitIntoChunks(intents(100)).map((c) => c.length)).toEqual([100]);
    expect(splitIntoChunks([])).toEqual([]);
  });
});

describe('chunksOfPage', () => {
  it('gives the same chunks for the same page, numbered from 0, large objects one each by their index', () => {
    const page = intents(205);
    page[7] = { ...page[7]!, size: 5_000 };
    page[150] = { ...page[150]!, size: 9_000 };
    const chunks = chunksOfPage('r1', 'listing:c:4', page, 1_000);
    expect(chunks.map((c) => [c.origin, c.intents.length, c.large])).toEqual([
      ['listing:c:4:0', 100, undefined],
      ['listing:c:4:1', 100, undefined],
      ['listing:c:4:2', 3, undefined],
      ['listing:c:4:large:7', 1, true],
      ['listing:c:4:large:150', 1, true],
    ]);
    expect(chunks.every((c) => c.chunkId === chunkIdFor('r1', c.origin))).toBe(true);
    expect(chunks[3]!.intents).toEqual([page[7]]);
    expect(chunks[0]!.intents.map((i) => i.key)).not.toContain(page[7]!.key);
    expect(chunksOfPage('r1', 'listing:c:4', page, 1_000)).toEqual(chunks);
  });

  it('routes nothing to the large-object queue without a threshold', () => {
    const page = [{ key: 'big', size: 10 ** 12 }];
    expect(chunksOfPage('r1', 'o', page, undefined)).toEqual([
      { chunkId: chunkIdFor('r1', 'o:0'), origin: 'o:0', intents: page },
    ]);
  });
});

describe('chunk message schemas', () => {
  it(`accepts an encrypt chunk of ${MAX_CHUNK_INTENTS} intents and refuses ${MAX_CHUNK_INTENTS + 1}, or none`, () => {
    expect(parseMessage(EncryptChunkSchema, JSON.stringify(encryptChunk(100))).intents).toHaveLength(100);
    expect(() => parseMessage(EncryptChunkSchema, JSON.stringify(encryptChunk(101)))).toThrow(/intents/);
    expect(() => parseMessage(EncryptChunkSchema, JSON.stringify(encryptChunk(0)))).toThrow(/intents/);
  });

  it('refuses a chunk id that is not 24 hex digits', () => {
    for (const bad of ['abc', 'G'.repeat(24), `${chunkIdFor('r1', 'o')}0`]) {
      expect(() => parseMessage(EncryptChunkSchema, JSON.stringify(encryptChunk(1, bad)))).toThrow(/chunkId/);
    }
  });

  it('needs a key ARN for sse-kms and envelope chunks', () => {
    const { keyArn: _k, ...noKey } = encryptChunk(1);
    expect(() => parseMessage(EncryptChunkSchema, JSON.stringify(noKey))).toThrow(/keyArn is required/);
    expect(parseMessage(EncryptChunkSchema, JSON.stringify({ ...noKey, mode: 'sse-s3' })).mode).toBe(
      'sse-s3',
    );
  });

  it('accepts a large rewrap chunk and refuses one without a target key', () => {
    const rewrap = {
      type: 'rewrap-chunk',
      runId: 'r1',
      bucket: 'data-bucket',
      fromKeyArn: KEY,
      toKeyArn: `${KEY}b`,
      chunkId: chunkIdFor('r1', 'inventory:f:0:large:3'),
      origin: 'inventory:f:0:large:3',
      intents: intents(1),
      large: true,
    };
    expect(parseMessage(RewrapChunkSchema, JSON.stringify(rewrap))).toEqual(rewrap);
    const { toKeyArn: _t, ...noTarget } = rewrap;
    expect(() => parseMessage(RewrapChunkSchema, JSON.stringify(noTarget))).toThrow(/toKeyArn/);
  });
});

describe('per-object jobs of a chunk', () => {
  it("build intent i's encrypt job with the run's fields and the object's stable job id", () => {
    const chunk = parseMessage(EncryptChunkSchema, JSON.stringify({ ...encryptChunk(2), keepAcl: true }));
    const intent = { ...chunk.intents[1]!, versionId: 'v1' };
    expect(encryptJobOf(chunk, intent)).toEqual({
      runId: 'r1',
      bucket: 'data-bucket',
      mode: 'sse-kms',
      keyArn: KEY,
      keepAcl: true,
      jobId: jobIdFor('r1', 'data-bucket', 'k0001'),
      key: 'k0001',
      etag: '"e1"',
      size: 1,
      versionId: 'v1',
    });
  });

  it("build a rewrap job with the chunk's keys", () => {
    const chunk = {
      type: 'rewrap-chunk' as const,
      runId: 'r1',
      bucket: 'data-bucket',
      fromKeyArn: KEY,
      toKeyArn: KEY,
      wrappedBefore: '2026-01-01T00:00:00.000Z',
      chunkId: chunkIdFor('r1', 'o'),
      origin: 'o',
      intents: [{ key: 'x' }],
    };
    expect(rewrapJobOf(chunk, chunk.intents[0]!)).toEqual({
      runId: 'r1',
      jobId: jobIdFor('r1', 'data-bucket', 'x'),
      bucket: 'data-bucket',
      key: 'x',
      fromKeyArn: KEY,
      toKeyArn: KEY,
      wrappedBefore: '2026-01-01T00:00:00.000Z',
    });
  });
});
