import { describe, expect, it } from 'vitest';
import { indexEntry } from '../../../bench/dynamo-footprint.js';
import { itemBytes, numberBytes } from '../../../bench/item-size.js';

describe('itemBytes (DynamoDB item-size rule)', () => {
  it('counts attribute names and string values in UTF-8 bytes', () => {
    expect(itemBytes({ pk: { S: 'obj#b/k' } })).toBe(2 + 7);
    expect(itemBytes({ é: { S: 'é' } })).toBe(2 + 2);
  });

  it('counts a number as one byte per two significant digits plus one', () => {
    expect(numberBytes('123')).toBe(3);
    expect(numberBytes('1000')).toBe(2);
    expect(numberBytes('0.001')).toBe(2);
    expect(numberBytes('0')).toBe(1);
    expect(numberBytes('-12.50')).toBe(4);
    expect(itemBytes({ n: { N: '1796594920414' } })).toBe(1 + 8);
  });

  it('counts booleans and nulls as one byte, binaries and sets by their contents', () => {
    expect(itemBytes({ ok: { BOOL: false }, no: { NULL: true } })).toBe(3 + 3);
    expect(itemBytes({ b: { B: new Uint8Array(5) } })).toBe(1 + 5);
    expect(itemBytes({ s: { SS: ['a', 'bc'] }, n: { NS: ['1', '22'] } })).toBe(1 + 3 + 1 + 4);
  });

  it('adds three bytes per list or map and one per element', () => {
    expect(itemBytes({ l: { L: [{ S: 'a' }, { N: '7' }] } })).toBe(1 + 3 + (1 + 1) + (1 + 2));
    expect(itemBytes({ m: { M: { x: { S: 'yz' } } } })).toBe(1 + 3 + (1 + 1 + 2));
    expect(itemBytes({ e: { M: {} } })).toBe(1 + 3);
  });
});

describe('indexEntry', () => {
  const item = {
    pk: { S: 'p' },
    sk: { S: 's' },
    wrapKey: { S: 'k#1' },
    at: { S: 't' },
    big: { S: 'x'.repeat(50) },
  };

  it('stores the table key and the index key for KEYS_ONLY, the whole item for ALL', () => {
    const keysOnly = indexEntry(item, ['pk', 'sk'], {
      keys: ['wrapKey', 'at'],
      projection: 'KEYS_ONLY',
      include: [],
    });
    expect(Object.keys(keysOnly!).sort()).toEqual(['at', 'pk', 'sk', 'wrapKey']);
    expect(indexEntry(item, ['pk', 'sk'], { keys: ['wrapKey'], projection: 'ALL', include: [] })).toBe(item);
    const included = indexEntry(item, ['pk', 'sk'], {
      keys: ['wrapKey'],
      projection: 'INCLUDE',
      include: ['big'],
    });
    expect(Object.keys(included!).sort()).toEqual(['big', 'pk', 'sk', 'wrapKey']);
  });

  it('leaves out an item without every index key attribute (a sparse index)', () => {
    expect(
      indexEntry(item, ['pk', 'sk'], { keys: ['runId'], projection: 'ALL', include: [] }),
    ).toBeUndefined();
  });
});
