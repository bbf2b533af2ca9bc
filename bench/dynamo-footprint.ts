import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  paginateScan,
} from '@aws-sdk/client-dynamodb';
import { ITEM_STORAGE_OVERHEAD_BYTES, itemBytes } from './item-size.js';

/** What a run left in DynamoDB, by DynamoDB's item-size rule (bench/item-size.ts). */
export interface Footprint {
  items: number;
  /** Base-table items: attribute names and values. */
  baseBytes: number;
  /** Global secondary index entries (items that carry an index's key attributes). */
  indexEntries: number;
  /** Index entries: the table's key, the index's key and the projected attributes. */
  indexBytes: number;
  /** What DynamoDB bills storage on: both of the above plus 100 bytes per item and per entry. */
  billedBytes: number;
  /** Base-table bytes by kind of item: `label pk-prefix/sk-prefix` (the text before the first `#`). */
  byKind: Record<string, { items: number; bytes: number }>;
}

export interface IndexShape {
  keys: string[];
  projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  include: string[];
}

/** The part of an item a global secondary index stores (Developer Guide, "Projections"). */
export function indexEntry(
  item: Record<string, AttributeValue>,
  tableKeys: string[],
  index: IndexShape,
): Record<string, AttributeValue> | undefined {
  if (!index.keys.every((name) => item[name] !== undefined)) return undefined;
  if (index.projection === 'ALL') return item;
  const names = [...tableKeys, ...index.keys, ...(index.projection === 'INCLUDE' ? index.include : [])];
  return Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]!]));
}

/**
 * A key's kind: the text before its first `#` (`chunks`, `run`, `tally`), and `<id>` for a bare
 * hex id (a chunk item's sort key is its chunk id), so one kind is not one line per chunk.
 */
export const kindOf = (value: AttributeValue | undefined) => {
  const text = (value?.S ?? value?.N ?? '?').split('#')[0]!;
  return /^[0-9a-f]{16,}$/.test(text) ? '<id>' : text.slice(0, 24);
};

/**
 * Scans `tables` (label → table name) whole, which must hold one run's items only (the bench gives
 * each s3-seal contender its own tables), and sums what DynamoDB would keep: base items and index
 * entries.
 */
export async function measureFootprint(
  dynamo: DynamoDBClient,
  tables: Record<string, string>,
): Promise<Footprint> {
  const out: Footprint = {
    items: 0,
    baseBytes: 0,
    indexEntries: 0,
    indexBytes: 0,
    billedBytes: 0,
    byKind: {},
  };
  for (const [label, table] of Object.entries(tables)) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    const tableKeys = (Table?.KeySchema ?? []).map((k) => k.AttributeName!);
    const indexes: IndexShape[] = (Table?.GlobalSecondaryIndexes ?? []).map((i) => ({
      keys: (i.KeySchema ?? []).map((k) => k.AttributeName!),
      projection: (i.Projection?.ProjectionType ?? 'ALL') as IndexShape['projection'],
      include: i.Projection?.NonKeyAttributes ?? [],
    }));
    for await (const page of paginateScan({ client: dynamo }, { TableName: table })) {
      for (const item of page.Items ?? []) {
        const bytes = itemBytes(item);
        out.items += 1;
        out.baseBytes += bytes;
        const kind = `${label} ${kindOf(item[tableKeys[0]!])}/${kindOf(item[tableKeys[1] ?? ''])}`;
        const entry = out.byKind[kind] ?? { items: 0, bytes: 0 };
        out.byKind[kind] = entry;
        entry.items += 1;
        entry.bytes += bytes;
        for (const index of indexes) {
          const projected = indexEntry(item, tableKeys, index);
          if (!projected) continue;
          out.indexEntries += 1;
          out.indexBytes += itemBytes(projected);
        }
      }
    }
  }
  out.billedBytes =
    out.baseBytes + out.indexBytes + ITEM_STORAGE_OVERHEAD_BYTES * (out.items + out.indexEntries);
  return out;
}
