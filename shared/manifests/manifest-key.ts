import type { AuditLocation } from '../chunks/chunk-log-types.js';

/**
 * Where per-key manifests live (docs/architecture.md, "Manifests"):
 * `<prefix>manifests/<keyId>/<runId>.jsonl.gz` of the audit location. Run ids start with their
 * start time, so a key's manifests list oldest run first.
 */

/** The key id of a key ARN (its last path part: `arn:aws:kms:R:A:key/ID` → `ID`). */
export function manifestKeyId(keyArn: string): string {
  return keyArn.slice(keyArn.lastIndexOf('/') + 1);
}

export function manifestsRoot(location: AuditLocation): string {
  return `${location.prefix}manifests/`;
}

export function manifestPrefix(location: AuditLocation, keyArn: string): string {
  return `${manifestsRoot(location)}${manifestKeyId(keyArn)}/`;
}

export function manifestKey(location: AuditLocation, keyArn: string, runId: string): string {
  return `${manifestPrefix(location, keyArn)}${runId}.jsonl.gz`;
}

/** The run a manifest key names, or undefined for anything else under the prefix. */
export function runIdOfManifest(key: string): string | undefined {
  const match = /\/([^/]+)\.jsonl\.gz$/.exec(key);
  return match?.[1];
}

/**
 * Written last by a run's compaction: the manifests it wrote. Its presence says the run's
 * compaction is finished, so a later closer does nothing more.
 */
export function compactionMarkerKey(location: AuditLocation, runId: string): string {
  return `${location.prefix}runs/${runId}/manifests.json`;
}

/** Object metadata of a manifest (S3 user metadata: lower-case ASCII names and values). */
export const MANIFEST_METADATA = {
  objects: 'objects',
  keyArn: 'key-arn',
  oldestWrap: 'oldest-wrap',
  newestWrap: 'newest-wrap',
} as const;
