import type { ChunkRecord } from '../chunks/chunk-log-types.js';

/**
 * One object of a per-key manifest (docs/architecture.md, "Manifests"): an object a run's
 * committed record left under the manifest's key, as that record saw it.
 */
export interface ManifestEntry {
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
  size?: number;
  /**
   * When the data key was wrapped: the record's time, for an object the run wrote (encrypted,
   * re-wrapped); for a compliant object, its LastModified as the record's HEAD saw it (it was
   * wrapped when last written). A compliant record without LastModified (written before records
   * carried it) has only `seenAt`: the record's time, an upper bound of its wrap.
   */
  wrappedAt?: string;
  seenAt?: string;
}

/** Decisions that leave an object under the record's `keyArn`. */
const KEEPS_UNDER_KEY = new Set(['encrypted', 'rewrapped', 'compliant']);

/** The manifest entry a committed record makes, or undefined when it leaves the object under no key. */
export function manifestEntryOf(record: ChunkRecord): { keyArn: string; entry: ManifestEntry } | undefined {
  if (!record.keyArn || !KEEPS_UNDER_KEY.has(record.decision)) return undefined;
  const wrote = record.decision !== 'compliant';
  return {
    keyArn: record.keyArn,
    entry: {
      bucket: record.bucket,
      key: record.key,
      versionId: record.versionIdAfter ?? record.versionIdBefore,
      etag: record.etagAfter ?? record.etagBefore,
      size: record.size,
      ...(wrote
        ? { wrappedAt: record.at }
        : { ...(record.lastModified ? { wrappedAt: record.lastModified } : {}), seenAt: record.at }),
    },
  };
}

/** When the entry's data key was wrapped at the latest (its wrap, else when a run saw it). */
export function latestWrapOf(entry: ManifestEntry): string | undefined {
  return entry.wrappedAt ?? entry.seenAt;
}

/** One JSON line; fields in a fixed order, undefined dropped. */
export function encodeManifestLine(entry: ManifestEntry): string {
  const { bucket, key, versionId, etag, size, wrappedAt, seenAt } = entry;
  return `${JSON.stringify({ bucket, key, versionId, etag, size, wrappedAt, seenAt })}\n`;
}

/** Parses one manifest line; throws ManifestFormatError on anything that is not an entry. */
export function parseManifestLine(line: string, where: string): ManifestEntry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ManifestFormatError(`${where}: not JSON`);
  }
  const entry = value as ManifestEntry;
  if (typeof entry?.bucket !== 'string' || typeof entry.key !== 'string' || entry.key === '') {
    throw new ManifestFormatError(`${where}: not a manifest entry`);
  }
  return entry;
}

/** A manifest that does not read as written: permanent, a redelivery reads the same bytes. */
export class ManifestFormatError extends Error {
  override name = 'ManifestFormatError';
}
