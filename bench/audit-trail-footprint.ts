import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';

/** What a run left in the audit bucket (docs/architecture.md, "Audit trail in S3"), by kind. */
export interface AuditTrailFootprint {
  objects: number;
  bytes: number;
  /** `chunks` (chunk logs), `listings` (listing records), or whatever else lies under the run. */
  byKind: Record<string, { objects: number; bytes: number }>;
}

/**
 * Lists `<prefix>runs/<runId>/` of the audit bucket and sums the stored sizes: the S3 storage a
 * run's trail keeps for good (Object Lock). Give it a client the request counter does not see.
 */
export async function measureAuditTrail(
  s3: S3Client,
  location: { bucket: string; prefix: string },
  runId: string,
): Promise<AuditTrailFootprint> {
  const runPrefix = `${location.prefix}runs/${runId}/`;
  const out: AuditTrailFootprint = { objects: 0, bytes: 0, byKind: {} };
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: location.bucket, Prefix: runPrefix },
  )) {
    for (const object of page.Contents ?? []) {
      const size = object.Size ?? 0;
      const kind = object.Key!.slice(runPrefix.length).split('/')[0]!;
      const entry = out.byKind[kind] ?? { objects: 0, bytes: 0 };
      out.byKind[kind] = entry;
      entry.objects += 1;
      entry.bytes += size;
      out.objects += 1;
      out.bytes += size;
    }
  }
  return out;
}
