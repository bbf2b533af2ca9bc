import { inflateRawSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type ManifestEntry, ManifestFormatError, parseManifestLine } from './manifest-entry.js';
import { MEMBER_READ_BYTES } from './manifest-members.js';

/** One page of a manifest: the entries of one gzip member, and where the next member starts. */
export interface ManifestPage {
  entries: ManifestEntry[];
  /** Byte offset of the next member; undefined after the last. */
  next?: number;
}

const GZIP_HEADER_BYTES = 10;
const GZIP_TRAILER_BYTES = 8;

/**
 * Reads the member that starts at `offset` with one ranged GET (manifest-members.ts): the raw
 * deflate stream stops at the member's end, and the bytes it consumed say where the next begins.
 */
export async function readManifestPage(
  s3: S3Client,
  manifest: { bucket: string; key: string },
  offset: number,
): Promise<ManifestPage> {
  const out = await s3.send(
    new GetObjectCommand({
      Bucket: manifest.bucket,
      Key: manifest.key,
      Range: `bytes=${offset}-${offset + MEMBER_READ_BYTES - 1}`,
    }),
  );
  const bytes = Buffer.from(await out.Body!.transformToByteArray());
  const total = totalSize(out.ContentRange, offset + bytes.length);
  return decodeMember(bytes, offset, total, `s3://${manifest.bucket}/${manifest.key}@${offset}`);
}

/** Decodes the member at the start of `bytes` (read from `offset` of an object of `total` bytes). */
export function decodeMember(bytes: Buffer, offset: number, total: number, where: string): ManifestPage {
  // Members written by MemberEncoder: magic, deflate, no optional header fields.
  if (
    bytes.length < GZIP_HEADER_BYTES ||
    bytes[0] !== 0x1f ||
    bytes[1] !== 0x8b ||
    bytes[2] !== 8 ||
    bytes[3] !== 0
  ) {
    throw new ManifestFormatError(`${where}: no gzip member starts here`);
  }
  let text: Buffer;
  let consumed: number;
  try {
    const inflated = inflateRawSync(bytes.subarray(GZIP_HEADER_BYTES), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    text = inflated.buffer;
    consumed = inflated.engine.bytesWritten;
  } catch (error) {
    throw new ManifestFormatError(`${where}: the gzip member does not inflate`, { cause: error });
  }
  const end = GZIP_HEADER_BYTES + consumed + GZIP_TRAILER_BYTES;
  if (bytes.length < end || bytes.readUInt32LE(end - 4) !== text.length % 2 ** 32) {
    throw new ManifestFormatError(`${where}: the gzip member's trailer does not match its content`);
  }
  const entries = text
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line, i) => parseManifestLine(line, `${where} line ${i + 1}`));
  const next = offset + end;
  return { entries, ...(next < total ? { next } : {}) };
}

/** The object's size from `Content-Range: bytes a-b/total` (absent when the range covered it whole). */
function totalSize(contentRange: string | undefined, fallback: number): number {
  const total = contentRange ? Number(contentRange.split('/')[1]) : Number.NaN;
  return Number.isFinite(total) ? total : fallback;
}
