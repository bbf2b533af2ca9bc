import { AUDIT_TRAIL_REQUESTS } from './request-counter.js';

/** Cells and lines the bench prints: figures formatted the same way for every contender. */
export const fmt = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(1) : '—');
export const services = (r: Record<string, number>) =>
  Object.entries(r)
    .filter(([k]) => !k.includes('.'))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
/**
 * Measured DynamoDB write units per object: table + indexes, and read units; and the S3 requests
 * that went to the audit bucket, already part of `s3` (request-counter.ts).
 */
export const writeUnits = (r: Record<string, number>) => {
  const table = r['dynamo.wcu.table'] ?? 0;
  const index = r['dynamo.wcu.index'] ?? 0;
  const reads = r['dynamo.rcu'] ?? 0;
  const trail = r[AUDIT_TRAIL_REQUESTS];
  return (
    `${(table + index).toFixed(3)} (table ${table.toFixed(3)}, indexes ${index.toFixed(3)}); read units ${reads.toFixed(3)}` +
    (trail === undefined ? '' : `; S3 to the audit trail ${trail.toFixed(3)} (in s3)`)
  );
};

/** What a backfill left in its audit bucket, per object (audit-trail-footprint.ts). */
export interface AuditTrailLeft {
  objects_per_object: number;
  bytes_per_object: number;
  by_kind: Record<string, { objects: number; bytes_per_object: number }>;
}

/** What an s3-seal backfill left in DynamoDB after its run closed, per object (dynamo-footprint.ts). */
export interface DynamoLeft {
  base_bytes_per_object: number;
  index_bytes_per_object: number;
  billed_bytes_per_object: number;
  items_per_object: number;
  by_kind: Record<string, { items: number; bytes_per_object: number }>;
}

/**
 * The footprint as printed: DynamoDB bytes left per object (the ledger table's items once the run
 * closed), each kind of item, largest first; then the audit trail the run left in S3.
 */
export function footprintLines(mode: string, l: DynamoLeft, trail?: AuditTrailLeft): string[] {
  const kinds = Object.entries(l.by_kind).sort(([, a], [, b]) => b.bytes_per_object - a.bytes_per_object);
  const trailKinds = Object.entries(trail?.by_kind ?? {}).sort(
    ([, a], [, b]) => b.bytes_per_object - a.bytes_per_object,
  );
  return [
    `\ns3-seal ${mode}: DynamoDB bytes left per object ${l.billed_bytes_per_object} billed ` +
      `(${l.items_per_object} items; ${l.base_bytes_per_object} bytes in the ledger table + ` +
      `${l.index_bytes_per_object} in indexes by the item-size rule, 100 per item and index entry)`,
    ...kinds.map(
      ([kind, k]) =>
        `  ${kind.padEnd(56)} ${String(k.items).padStart(7)} items  ${k.bytes_per_object} bytes per object`,
    ),
    ...(trail
      ? [
          `s3-seal ${mode}: S3 audit trail left per object ${trail.bytes_per_object} bytes ` +
            `(${trail.objects_per_object} objects)`,
          ...trailKinds.map(
            ([kind, k]) =>
              `  ${kind.padEnd(56)} ${String(k.objects).padStart(7)} objects  ${k.bytes_per_object} bytes per object`,
          ),
        ]
      : []),
  ];
}
