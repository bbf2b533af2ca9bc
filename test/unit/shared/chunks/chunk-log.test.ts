import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { canonicalJson } from '../../../../shared/chunks/canonical-json.js';
import { chunkLogKey, encodeChunkLog, lineHash } from '../../../../shared/chunks/chunk-log.js';
import { decodeChunkLog, sha256Hex } from '../../../../shared/chunks/chunk-log-codec.js';
import type { ChunkRecord } from '../../../../shared/chunks/chunk-log-types.js';

const CHUNK = '0123456789abcdef01234567';
const location = { bucket: 'trail', prefix: 'audit/' };

function record(position: number, overrides: Partial<ChunkRecord> = {}): ChunkRecord {
  return {
    decision: 'encrypted',
    runId: '20261207T000000-abcdef12',
    jobId: `job-${position}`,
    actor: 'worker:1',
    bucket: 'data',
    key: `docs/é ${position}.txt`,
    mode: 'sse-kms',
    keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
    at: '2026-12-07T00:00:00.000Z',
    chunkId: CHUNK,
    position,
    ...overrides,
  };
}
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

describe('chunkLogKey', () => {
  it('places an attempt under its run and chunk, zero-padded so listing order is attempt order', () => {
    expect(chunkLogKey(location, 'run-1', CHUNK, 1)).toBe(`audit/runs/run-1/chunks/${CHUNK}/0001.jsonl.gz`);
    expect(chunkLogKey({ bucket: 'b', prefix: '' }, 'run-1', CHUNK, 12)).toBe(
      `runs/run-1/chunks/${CHUNK}/0012.jsonl.gz`,
    );
    const keys = [2, 10, 1, 9999, 100].map((n) => chunkLogKey(location, 'r', CHUNK, n));
    expect([...keys].sort()).toEqual([1, 2, 10, 100, 9999].map((n) => chunkLogKey(location, 'r', CHUNK, n)));
  });

  it('refuses attempts below 1, chunk ids that are not 24 hex digits and run ids with a slash', () => {
    expect(() => chunkLogKey(location, 'r', CHUNK, 0)).toThrow(/attempt/);
    expect(() => chunkLogKey(location, 'r', CHUNK, 1.5)).toThrow(/attempt/);
    expect(() => chunkLogKey(location, 'r', 'ABC', 1)).toThrow(/chunk id/);
    expect(() => chunkLogKey(location, 'a/b', CHUNK, 1)).toThrow(/run id/);
    expect(() => chunkLogKey(location, '', CHUNK, 1)).toThrow(/run id/);
  });
});

describe('lineHash', () => {
  it('is the SHA-256 of the canonical JSON: key order and undefined fields do not change it', () => {
    const a = record(0);
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as unknown as ChunkRecord;
    expect(lineHash(reordered)).toBe(lineHash(a));
    expect(lineHash({ ...a, error: undefined })).toBe(lineHash(a));
    expect(lineHash(record(0, { key: 'other' }))).not.toBe(lineHash(a));
    expect(lineHash({ position: 0 } as ChunkRecord)).toBe(sha256('{"position":0}'));
  });
});

describe('encodeChunkLog', () => {
  const records = [record(0), record(1, { decision: 'compliant', keyArn: undefined })];

  it('writes gzip JSON Lines of {"hash","record"}, one line per record, each ended by a newline', () => {
    const encoded = encodeChunkLog(records);
    const text = gunzipSync(encoded.body).toString('utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ hash: lineHash(records[0]!), record: records[0] });
    expect(lines[0]!.startsWith(`{"hash":"${lineHash(records[0]!)}","record":{"actor":`)).toBe(true);
    // An undefined field is left out, not written as null.
    expect(lines[1]).not.toContain('keyArn');
    expect(encoded.lines.map((l) => l.hash)).toEqual(records.map(lineHash));
    expect(encoded.sha256).toBe(sha256(encoded.body));
    // Each line is exactly the canonical JSON of { hash, record }, as verifiers recompute it.
    expect(lines.slice(0, 2)).toEqual(encoded.lines.map((line) => canonicalJson(line)));
  });

  it('gives the same bytes for the same records: no time and no platform in the gzip header', () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const first = encodeChunkLog(records);
    vi.setSystemTime(new Date('2027-06-30T12:34:56Z'));
    const second = encodeChunkLog(structuredClone(records));
    vi.useRealTimers();
    expect(second.body.equals(first.body)).toBe(true);
    expect(second.sha256).toBe(first.sha256);
    // RFC 1952: MTIME (bytes 4-7) zero, OS (byte 9) 255 "unknown".
    expect([...first.body.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  });

  it('changes the sha256 when one byte of the records changes', () => {
    const base = encodeChunkLog(records);
    const changed = encodeChunkLog([records[0]!, { ...records[1]!, key: 'docs/é 2.txt' }]);
    expect(changed.sha256).not.toBe(base.sha256);
    expect(changed.lines[0]!.hash).toBe(base.lines[0]!.hash);
    expect(changed.lines[1]!.hash).not.toBe(base.lines[1]!.hash);
  });

  it('encodes an empty chunk as an empty gzip stream', () => {
    const empty = encodeChunkLog([]);
    expect(gunzipSync(empty.body).length).toBe(0);
    expect(decodeChunkLog(empty.body)).toEqual({ lines: [], problems: [] });
  });
});

describe('decodeChunkLog', () => {
  it('reads back what was encoded, line hashes and records', () => {
    const records = [record(0), record(1, { key: 'a\r\nb' })];
    expect(decodeChunkLog(encodeChunkLog(records).body)).toEqual({
      lines: records.map((r) => ({ hash: lineHash(r), record: r })),
      problems: [],
    });
  });

  it('names every line it cannot read by position, and keeps the others', () => {
    const good = (p: number) => JSON.stringify({ hash: lineHash(record(p)), record: record(p) });
    const text = [
      good(0),
      '{"hash":"abc","record":{}}',
      'not json',
      good(3),
      '[1,2]',
      JSON.stringify({ hash: 'f'.repeat(64), record: { chunkId: CHUNK } }),
      JSON.stringify({ hash: 'f'.repeat(64) }),
      '',
    ].join('\n');
    const decoded = decodeChunkLog(gzipSync(text));
    expect(decoded.lines.map((l) => l.record.position)).toEqual([0, 3]);
    expect(decoded.problems).toEqual([
      'line 2 (position 1): no "hash" of 64 hex digits',
      'line 3 (position 2): not JSON: "not json"',
      'line 5 (position 4): not a JSON object',
      'line 6 (position 5): the record has no "chunkId" and integer "position"',
      'line 7 (position 6): no "record" object',
    ]);
  });

  it('names a body that is not gzip, or a truncated one, instead of throwing', () => {
    expect(decodeChunkLog(Buffer.from('plain text')).problems).toEqual([
      expect.stringMatching(/^not a gzip stream: /),
    ]);
    const body = encodeChunkLog([record(0)]).body;
    expect(decodeChunkLog(body.subarray(0, body.length - 5)).problems[0]).toMatch(/^not a gzip stream/);
    const flipped = Buffer.from(body);
    flipped[20]! ^= 0x01;
    expect(sha256Hex(flipped)).not.toBe(sha256Hex(body));
    expect(decodeChunkLog(flipped).problems.length).toBeGreaterThan(0);
  });
});
