import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  encodeManifestLine,
  type ManifestEntry,
  ManifestFormatError,
} from '../../../../shared/manifests/manifest-entry.js';
import {
  MEMBER_MAX_LINES,
  MEMBER_READ_BYTES,
  MemberEncoder,
} from '../../../../shared/manifests/manifest-members.js';
import { decodeMember } from '../../../../shared/manifests/manifest-page.js';

const entry = (i: number): ManifestEntry => ({
  bucket: 'bkt',
  key: `dir/object-${String(i).padStart(6, '0')}`,
  etag: `"${i}"`,
  wrappedAt: '2026-01-01T00:00:00.000Z',
});

function encode(count: number): Buffer {
  const encoder = new MemberEncoder();
  const members: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const member = encoder.add(entry(i));
    if (member) members.push(member);
  }
  const last = encoder.flush();
  return Buffer.concat(last ? [...members, last] : members);
}

describe('manifest members', () => {
  it('is one gzip JSON Lines stream to any gunzip, whatever its members', () => {
    const bytes = encode(2500);
    const lines = gunzipSync(bytes).toString().split('\n').filter(Boolean);
    expect(lines).toHaveLength(2500);
    expect(`${lines[1234]}\n`).toBe(encodeManifestLine(entry(1234)));
  });

  it('reads page by page from byte offsets: every entry once, in order, 1,000 a page', () => {
    const bytes = encode(2500);
    const pages: ManifestEntry[][] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      // What a ranged GET from the offset returns.
      const page = decodeMember(
        bytes.subarray(offset, offset + MEMBER_READ_BYTES),
        offset,
        bytes.length,
        'm',
      );
      pages.push(page.entries);
      offset = page.next;
    }
    expect(pages.map((p) => p.length)).toEqual([MEMBER_MAX_LINES, MEMBER_MAX_LINES, 500]);
    expect(pages.flat()).toEqual(Array.from({ length: 2500 }, (_, i) => entry(i)));
  });

  it('ends a member early at 256 KiB of lines, still within one ranged read', () => {
    const encoder = new MemberEncoder();
    const long = (i: number): ManifestEntry => ({ bucket: 'bkt', key: `${'k'.repeat(1000)}${i}` });
    let member: Buffer | undefined;
    let added = 0;
    while (!member) member = encoder.add(long(added++));
    expect(added).toBeLessThan(MEMBER_MAX_LINES);
    expect(member.length).toBeLessThan(MEMBER_READ_BYTES);
    expect(decodeMember(member, 0, member.length, 'm').entries).toHaveLength(added);
  });

  it('refuses bytes that are not a member start, and a member cut short', () => {
    const bytes = encode(10);
    expect(() => decodeMember(bytes.subarray(3), 3, bytes.length, 'm')).toThrow(ManifestFormatError);
    expect(() => decodeMember(bytes.subarray(0, bytes.length - 4), 0, bytes.length, 'm')).toThrow(
      ManifestFormatError,
    );
  });
});
