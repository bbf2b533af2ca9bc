import type { S3Client } from '@aws-sdk/client-s3';
import type { AuditLocation } from '../chunks/chunk-log-types.js';
import { countCandidates } from './manifest-plan.js';

/** What a re-wrap from the manifests would queue: objects per bucket, busiest first. */
export interface RewrapPreview {
  buckets: Array<{ bucket: string; objects: number }>;
  total: number;
}

/**
 * Counts, per bucket, the objects a re-wrap from the key's manifests would queue
 * (docs/architecture.md, "Manifests"), with the plan pages' filters (bucket, prefix,
 * cut-off) and nothing recorded or queued: what `rewrap --dry-run` and `rotate --dry-run` print,
 * and what `rotate --key` shows before it rotates. Each object's HEAD still decides in the run.
 */
export async function previewRewrap(
  deps: { s3: S3Client; location: AuditLocation },
  input: { fromKeyArn: string; wrappedBefore?: string; bucket?: string; prefix: string },
): Promise<RewrapPreview> {
  const wrappedBefore = input.wrappedBefore && new Date(input.wrappedBefore).toISOString();
  const counts = await countCandidates(deps.s3, deps.location, { ...input, wrappedBefore });
  const buckets = [...counts]
    .map(([bucket, objects]) => ({ bucket, objects }))
    .sort((a, b) => b.objects - a.objects || a.bucket.localeCompare(b.bucket));
  return { buckets, total: buckets.reduce((sum, b) => sum + b.objects, 0) };
}
