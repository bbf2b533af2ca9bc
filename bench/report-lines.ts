/** Cells and lines the bench prints: figures formatted the same way for every contender. */
export const fmt = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(1) : '—');
export const services = (r: Record<string, number>) =>
  Object.entries(r)
    .filter(([k]) => !k.includes('.'))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
/** Measured DynamoDB write units per object: table + indexes, and read units (request-counter.ts). */
export const writeUnits = (r: Record<string, number>) => {
  const table = r['dynamo.wcu.table'] ?? 0;
  const index = r['dynamo.wcu.index'] ?? 0;
  const reads = r['dynamo.rcu'] ?? 0;
  return `${(table + index).toFixed(2)} (table ${table.toFixed(2)}, indexes ${index.toFixed(2)}); read units ${reads.toFixed(2)}`;
};

/** What an s3-seal backfill left in DynamoDB after its run closed, per object (dynamo-footprint.ts). */
export interface DynamoLeft {
  base_bytes_per_object: number;
  index_bytes_per_object: number;
  billed_bytes_per_object: number;
  items_per_object: number;
  by_kind: Record<string, { items: number; bytes_per_object: number }>;
}

/** The footprint as printed: the totals, then each kind of item, largest first. */
export function footprintLines(mode: string, l: DynamoLeft): string[] {
  const kinds = Object.entries(l.by_kind).sort(([, a], [, b]) => b.bytes_per_object - a.bytes_per_object);
  return [
    `\ns3-seal ${mode} left in DynamoDB after its run closed, per object: ${l.items_per_object} items, ` +
      `${l.base_bytes_per_object} bytes in the base tables + ${l.index_bytes_per_object} in indexes ` +
      `(item-size rule); ${l.billed_bytes_per_object} billed with 100 bytes per item and index entry`,
    ...kinds.map(
      ([kind, k]) =>
        `  ${kind.padEnd(56)} ${String(k.items).padStart(7)} items  ${k.bytes_per_object} bytes per object`,
    ),
  ];
}
