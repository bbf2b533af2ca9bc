import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { WRAPPING_KEY_INDEX } from './plan-rewrap.js';

export interface KeyUsage {
  keyArn: string;
  objects: number;
  oldestWrap: string;
  newestWrap: string;
}

/**
 * Wrapping keys in use, from the index (it holds only protected objects, so the scan reads
 * nothing else): how many objects each protects and since when.
 */
export async function wrappingKeysInUse(
  dynamo: DynamoDBDocumentClient,
  ledgerTable: string,
): Promise<KeyUsage[]> {
  const usage = new Map<string, KeyUsage>();
  for await (const page of paginateScan(
    { client: dynamo },
    { TableName: ledgerTable, IndexName: WRAPPING_KEY_INDEX },
  )) {
    for (const item of page.Items ?? []) {
      const found = usage.get(item.keyArn) ?? {
        keyArn: item.keyArn,
        objects: 0,
        oldestWrap: item.wrappedAt,
        newestWrap: item.wrappedAt,
      };
      found.objects++;
      if (item.wrappedAt < found.oldestWrap) found.oldestWrap = item.wrappedAt;
      if (item.wrappedAt > found.newestWrap) found.newestWrap = item.wrappedAt;
      usage.set(item.keyArn, found);
    }
  }
  return [...usage.values()].sort((a, b) => b.objects - a.objects);
}
