import type { ChunkIntent } from '../chunks/chunk-message.js';
import { latestWrapOf, type ManifestEntry } from '../manifests/manifest-entry.js';

/** Which manifest entries a re-wrap plan keeps: its bucket (absent: all), prefix and cut-off. */
export interface CandidateFilter {
  bucket?: string;
  prefix: string;
  /** ISO time: only objects wrapped before it (a rotation's cut-off). */
  wrappedBefore?: string;
}

/**
 * A written entry's time is its record's, taken after the write: S3's LastModified (when the data
 * key was wrapped) is earlier, by hours for a large multipart copy, whose LastModified is its
 * start. An entry dated less than this after the cut-off stays a candidate; its HEAD decides.
 */
export const WRAP_TIME_SLACK_MS = 24 * 60 * 60 * 1000;

/** Whether a manifest entry may still be wrapped under the plan's key before its cut-off. */
export function isCandidate(entry: ManifestEntry, filter: CandidateFilter): boolean {
  if (filter.bucket && entry.bucket !== filter.bucket) return false;
  if (!entry.key.startsWith(filter.prefix)) return false;
  const at = latestWrapOf(entry);
  if (!filter.wrappedBefore || at === undefined) return true;
  return Date.parse(at) < Date.parse(filter.wrappedBefore) + WRAP_TIME_SLACK_MS;
}

/**
 * A page's candidates as chunk intents per bucket, in manifest order. `seen` (bucket/key) drops an
 * object an earlier page or a newer manifest of the same plan already named: the newest entry of
 * an object is its current one, and a stale one would only cost a HEAD.
 */
export function candidatesByBucket(
  entries: ManifestEntry[],
  filter: CandidateFilter,
  seen: Set<string> = new Set(),
): Map<string, ChunkIntent[]> {
  const byBucket = new Map<string, ChunkIntent[]>();
  for (const entry of entries) {
    const id = `${entry.bucket}/${entry.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!isCandidate(entry, filter)) continue;
    const intents = byBucket.get(entry.bucket) ?? [];
    intents.push({
      key: entry.key,
      ...(entry.versionId ? { versionId: entry.versionId } : {}),
      ...(entry.etag ? { etag: entry.etag } : {}),
      ...(entry.size !== undefined ? { size: entry.size } : {}),
    });
    byBucket.set(entry.bucket, intents);
  }
  return byBucket;
}
