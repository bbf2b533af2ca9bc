import type { S3Client } from '@aws-sdk/client-s3';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import { listManifestKeyIds, listManifestsOfKeyId, summarizeManifest } from '../manifests/list-manifests.js';

export interface KeyUsage {
  keyArn: string;
  /** Objects the key's manifests name, summed: an upper bound (an object moved on stays in older ones). */
  objects: number;
  /** ISO times of the oldest and newest wrap the manifests date. */
  oldestWrap?: string;
  newestWrap?: string;
  manifests: number;
}

/**
 * Wrapping keys in use, from the per-key manifests (docs/architecture.md, "Manifests"):
 * one delimited listing of the manifest prefixes, one listing per key and one HEAD per manifest
 * (its `objects` metadata), never a manifest's content. Busiest key first.
 */
export async function wrappingKeysInUse(s3: S3Client, location: AuditLocation): Promise<KeyUsage[]> {
  const usage: KeyUsage[] = [];
  for (const keyId of await listManifestKeyIds(s3, location)) {
    const found: KeyUsage = { keyArn: keyId, objects: 0, manifests: 0 };
    for (const key of await listManifestsOfKeyId(s3, location, keyId)) {
      const summary = await summarizeManifest(s3, location, key);
      found.keyArn = summary.keyArn ?? found.keyArn;
      found.objects += summary.objects;
      found.manifests++;
      if (summary.oldestWrap && (!found.oldestWrap || summary.oldestWrap < found.oldestWrap)) {
        found.oldestWrap = summary.oldestWrap;
      }
      if (summary.newestWrap && (!found.newestWrap || summary.newestWrap > found.newestWrap)) {
        found.newestWrap = summary.newestWrap;
      }
    }
    if (found.objects > 0) usage.push(found);
  }
  return usage.sort((a, b) => b.objects - a.objects || a.keyArn.localeCompare(b.keyArn));
}
