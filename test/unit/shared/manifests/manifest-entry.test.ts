import { describe, expect, it } from 'vitest';
import type { ChunkRecord } from '../../../../shared/chunks/chunk-log-types.js';
import { latestWrapOf, manifestEntryOf } from '../../../../shared/manifests/manifest-entry.js';
import {
  compactionMarkerKey,
  manifestKey,
  manifestKeyId,
} from '../../../../shared/manifests/manifest-key.js';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const record = (overrides: Partial<ChunkRecord>): ChunkRecord => ({
  decision: 'encrypted',
  runId: 'r',
  jobId: 'j',
  actor: 'me',
  bucket: 'bkt',
  key: 'k',
  mode: 'sse-kms',
  at: '2026-02-03T04:05:06.000Z',
  chunkId: 'c'.repeat(24),
  position: 0,
  ...overrides,
});

describe('manifest entries from committed records', () => {
  it('names the key id path and the run', () => {
    expect(manifestKeyId(KEY)).toBe('1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(manifestKey({ bucket: 'audit', prefix: 'audit/' }, KEY, '20260203T040506-abcd0123')).toBe(
      'audit/manifests/1234abcd-12ab-34cd-56ef-1234567890ab/20260203T040506-abcd0123.jsonl.gz',
    );
    expect(compactionMarkerKey({ bucket: 'audit', prefix: '' }, 'r1')).toBe('runs/r1/manifests.json');
  });

  it('dates a written object by its record and a compliant one as seen only', () => {
    const written = record({
      keyArn: KEY,
      etagBefore: '"a"',
      etagAfter: '"b"',
      versionIdAfter: 'v2',
      size: 7,
    });
    expect(manifestEntryOf(written)).toEqual({
      keyArn: KEY,
      entry: { bucket: 'bkt', key: 'k', versionId: 'v2', etag: '"b"', size: 7, wrappedAt: written.at },
    });
    const compliant = record({ decision: 'compliant', keyArn: KEY, etagBefore: '"a"' });
    expect(manifestEntryOf(compliant)?.entry).toEqual({
      bucket: 'bkt',
      key: 'k',
      etag: '"a"',
      seenAt: compliant.at,
    });
    // A compliant object was wrapped when last written: its LastModified dates it, so a rotation's
    // cut-off finds an old object a later run saw compliant.
    const dated = record({ decision: 'compliant', keyArn: KEY, lastModified: '2024-01-02T00:00:00.000Z' });
    expect(manifestEntryOf(dated)?.entry).toMatchObject({
      wrappedAt: '2024-01-02T00:00:00.000Z',
      seenAt: dated.at,
    });
    expect(latestWrapOf(manifestEntryOf(dated)!.entry)).toBe('2024-01-02T00:00:00.000Z');
  });

  it('leaves out records that leave no object under a key', () => {
    expect(manifestEntryOf(record({ decision: 'skipped', keyArn: KEY }))).toBeUndefined();
    expect(manifestEntryOf(record({ decision: 'failed', keyArn: KEY }))).toBeUndefined();
    expect(manifestEntryOf(record({ decision: 'encrypted', mode: 'sse-s3' }))).toBeUndefined();
    expect(manifestEntryOf(record({ decision: 'rewrapped', keyArn: KEY }))).toBeDefined();
  });
});
