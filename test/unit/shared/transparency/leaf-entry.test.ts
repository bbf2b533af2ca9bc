import { describe, expect, it } from 'vitest';
import { decodeLeafEntry, encodeLeafEntry } from '../../../../shared/transparency/leaf-entry.js';

const leaf = { bucket: 'audit-trail', key: 'audit/run/0a/1.jsonl.gz', sha256: 'ab'.repeat(32) };

describe('leaf entries', () => {
  it('are the canonical JSON of bucket, key and SHA-256, and read back', () => {
    const entry = encodeLeafEntry(leaf);
    expect(Buffer.from(entry).toString()).toBe(
      `{"bucket":"audit-trail","key":"audit/run/0a/1.jsonl.gz","sha256":"${'ab'.repeat(32)}"}`,
    );
    expect(decodeLeafEntry(entry)).toEqual(leaf);
  });

  it('refuse anything but the canonical form', () => {
    const reordered = `{"key":"${leaf.key}","bucket":"${leaf.bucket}","sha256":"${leaf.sha256}"}`;
    expect(() => decodeLeafEntry(Buffer.from(reordered))).toThrow(/canonical/);
    expect(() => decodeLeafEntry(Buffer.from('not json'))).toThrow(/not JSON/);
    expect(() => encodeLeafEntry({ ...leaf, sha256: 'AB'.repeat(32) })).toThrow(/hex SHA-256/);
    const extra = `{"bucket":"${leaf.bucket}","extra":1,"key":"${leaf.key}","sha256":"${leaf.sha256}"}`;
    expect(() => decodeLeafEntry(Buffer.from(extra))).toThrow(/canonical/);
  });
});
