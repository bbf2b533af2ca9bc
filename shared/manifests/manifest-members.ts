import { gzipSync } from 'node:zlib';
import { encodeManifestLine, type ManifestEntry } from './manifest-entry.js';

/**
 * A manifest is gzip JSON Lines written as a series of gzip members (RFC 1952 allows several; any
 * gunzip reads them as one stream) of at most MEMBER_MAX_LINES entries each. One member is one plan
 * page: a page reads its member with one ranged GET from its byte offset, whatever the manifest's
 * size (docs/architecture.md, "Manifests").
 */
export const MEMBER_MAX_LINES = 1000;
/** Members stop growing past this many uncompressed bytes. */
export const MEMBER_MAX_RAW_BYTES = 256 * 1024;
/**
 * A line is at most a 1,024-byte key, JSON-escaped (6 bytes for a control character), plus the
 * other fields; deflate adds at most 5 bytes per 16 KiB stored block, gzip 18 bytes of framing. A
 * ranged GET of MEMBER_READ_BYTES from a member's offset therefore holds the whole member.
 */
export const MEMBER_READ_BYTES = MEMBER_MAX_RAW_BYTES + 8 * 1024 + 8 * 1024;

/** Collects entries into gzip members; `add` returns a member once one is full. */
export class MemberEncoder {
  private lines: string[] = [];
  private rawBytes = 0;

  add(entry: ManifestEntry): Buffer | undefined {
    const line = encodeManifestLine(entry);
    this.lines.push(line);
    this.rawBytes += Buffer.byteLength(line);
    if (this.lines.length < MEMBER_MAX_LINES && this.rawBytes < MEMBER_MAX_RAW_BYTES) return undefined;
    return this.flush();
  }

  /** The member of the entries added since the last one, or undefined when there are none. */
  flush(): Buffer | undefined {
    if (this.lines.length === 0) return undefined;
    // gzipSync writes the 10-byte header without a file name, which the page reader relies on.
    const member = gzipSync(Buffer.from(this.lines.join('')));
    this.lines = [];
    this.rawBytes = 0;
    return member;
  }
}
