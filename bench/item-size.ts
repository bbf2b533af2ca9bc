import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB's item-size rule (Developer Guide, "DynamoDB item sizes and formats"): the sum of each
 * attribute's name (UTF-8 bytes) and value. Strings: UTF-8 bytes. Numbers: one byte per two
 * significant digits (leading and trailing zeroes trimmed) plus one; a negative number one more,
 * as DynamoDB's own size calculators count it. Binary: raw bytes. Null and Boolean: one byte. Lists
 * and maps: three bytes plus their elements, each element one byte more. Sets: their elements.
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((total, [name, value]) => total + utf8(name) + valueBytes(value), 0);
}

/** Storage DynamoDB bills per item (base table and index entry alike), on top of its size. */
export const ITEM_STORAGE_OVERHEAD_BYTES = 100;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Bytes DynamoDB counts for a number: its significant digits, two to a byte, plus one. */
export function numberBytes(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1 + (text.startsWith('-') ? 1 : 0);
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if (value.M !== undefined)
    return (
      3 +
      Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + utf8(name) + valueBytes(element), 0)
    );
  throw new Error(`itemBytes: unknown attribute value type ${Object.keys(value).join(',')}`);
}
