import type { S3Client } from '@aws-sdk/client-s3';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import { listKeyManifests, type ManifestSummary, summarizeManifest } from '../manifests/list-manifests.js';
import type { ManifestEntry } from '../manifests/manifest-entry.js';
import { readManifestPage } from '../manifests/manifest-page.js';
import { type CandidateFilter, isCandidate, WRAP_TIME_SLACK_MS } from './manifest-candidates.js';

/**
 * A key's manifests a plan reads, newest run first (docs/architecture.md, "Manifests"):
 * one listing and one HEAD per manifest. With a cut-off, a manifest whose oldest entry is dated
 * after it (by more than the slack) holds no candidate, but its entries are still their objects'
 * newest and hide those objects' older entries (a rotation's own manifest hides the backfill's):
 * it is left out only when no manifest read after it (an older one) may hold a candidate.
 */
export async function manifestsToPlan(
  s3: S3Client,
  location: AuditLocation,
  keyArn: string,
  wrappedBefore?: string,
): Promise<ManifestSummary[]> {
  const summaries: ManifestSummary[] = [];
  let read = 0;
  for (const key of await listKeyManifests(s3, location, keyArn)) {
    const summary = await summarizeManifest(s3, location, key);
    if (summary.objects === 0) continue;
    summaries.push(summary);
    const afterCutOff =
      wrappedBefore !== undefined &&
      summary.oldestWrap !== undefined &&
      Date.parse(summary.oldestWrap) >= Date.parse(wrappedBefore) + WRAP_TIME_SLACK_MS;
    if (!afterCutOff) read = summaries.length;
  }
  return summaries.slice(0, read);
}

/** Every page of a manifest, in order: one ranged GET each. */
export async function* manifestPages(
  s3: S3Client,
  location: AuditLocation,
  manifestKey: string,
): AsyncGenerator<{ page: number; entries: ManifestEntry[] }> {
  let offset: number | undefined = 0;
  for (let page = 1; offset !== undefined; page++) {
    const read = await readManifestPage(s3, { bucket: location.bucket, key: manifestKey }, offset);
    yield { page, entries: read.entries };
    offset = read.next;
  }
}

/** Objects the preview de-duplicates exactly; past this, each manifest entry counts (an upper bound). */
export const PREVIEW_DEDUP_OBJECTS = 2_000_000;

/**
 * Counts, per bucket, the candidates a plan from `keyArn`'s manifests would queue, reading every
 * manifest to the end and recording nothing: what `rewrap --dry-run` and `rotate --dry-run` print.
 * An object named by several manifests counts once (its newest entry decides) up to
 * PREVIEW_DEDUP_OBJECTS objects.
 */
export async function countCandidates(
  s3: S3Client,
  location: AuditLocation,
  input: CandidateFilter & { fromKeyArn: string },
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  for (const manifest of await manifestsToPlan(s3, location, input.fromKeyArn, input.wrappedBefore)) {
    for await (const { entries } of manifestPages(s3, location, manifest.key)) {
      for (const entry of entries) {
        const id = `${entry.bucket}/${entry.key}`;
        if (seen.has(id)) continue;
        if (seen.size < PREVIEW_DEDUP_OBJECTS) seen.add(id);
        if (isCandidate(entry, input)) counts.set(entry.bucket, (counts.get(entry.bucket) ?? 0) + 1);
      }
    }
  }
  return counts;
}
