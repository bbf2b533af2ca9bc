import { describe, expect, it } from 'vitest';
import { ChunkLogCache } from '../../../../shared/chunks/chunk-log-cache.js';
import { encodeChunkLog } from '../../../../shared/chunks/chunk-log-codec.js';
import type { ChunkRecord } from '../../../../shared/chunks/chunk-log-types.js';

const record = (key: string): ChunkRecord => ({
  decision: 'encrypted',
  runId: 'R1',
  jobId: key,
  actor: 'me',
  bucket: 'b',
  key,
  mode: 'sse-kms',
  at: '2026-12-07T00:00:00.000Z',
  chunkId: 'c'.repeat(24),
  position: 0,
});

describe('ChunkLogCache', () => {
  it('gives back a log it kept only for the SHA-256 a commit names, parsed as a GET would', () => {
    const cache = new ChunkLogCache();
    const log = encodeChunkLog([record('a'), record('b')]);
    cache.remember('k1', log.sha256, log.body);
    expect(cache.recall('k1', log.sha256)).toEqual({
      key: 'k1',
      sha256: log.sha256,
      lines: log.lines,
      problems: [],
    });
    expect(cache.recall('k1', 'f'.repeat(64))).toBeUndefined();
    expect(cache.recall('k2', log.sha256)).toBeUndefined();
  });

  it('keeps at most its bytes, dropping the oldest logs first', () => {
    const logs = ['a', 'b', 'c'].map((key) => encodeChunkLog([record(key)]));
    const cache = new ChunkLogCache(logs[0]!.body.length * 2 + 1);
    for (const [i, log] of logs.entries()) cache.remember(`k${i}`, log.sha256, log.body);
    expect(cache.recall('k0', logs[0]!.sha256)).toBeUndefined();
    expect(cache.recall('k1', logs[1]!.sha256)).toBeDefined();
    expect(cache.recall('k2', logs[2]!.sha256)).toBeDefined();
    expect(cache.size).toBe(logs[1]!.body.length + logs[2]!.body.length);
    // A log larger than the whole cache is not kept, and evicts nothing.
    const big = new ChunkLogCache(10);
    big.remember('k', logs[0]!.sha256, logs[0]!.body);
    expect(big.size).toBe(0);
  });
});
