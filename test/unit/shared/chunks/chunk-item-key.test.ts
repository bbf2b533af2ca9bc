import { describe, expect, it } from 'vitest';
import {
  CHUNK_SHARDS,
  chunkItemKey,
  chunkPartitionKey,
  chunkShardOf,
} from '../../../../shared/chunks/chunk-item-key.js';
import { chunkIdFor } from '../../../../shared/chunks/chunk-message.js';

describe('chunkItemKey', () => {
  it('puts a chunk in the shard of its first 32 bits modulo 8, two digits, sort key its id', () => {
    expect(CHUNK_SHARDS).toBe(8);
    // 0x0000002a = 42 → 42 % 8 = 2
    expect(chunkItemKey({ runId: 'r-1', chunkId: '0000002a0000000000000000' })).toEqual({
      pk: 'chunks#r-1#02',
      sk: '0000002a0000000000000000',
    });
    // 0xffffffff = 4294967295 → % 8 = 7
    expect(chunkItemKey({ runId: 'r-1', chunkId: 'ffffffff0000000000000000' }).pk).toBe('chunks#r-1#07');
    expect(chunkItemKey({ runId: 'r-1', chunkId: '000000200000000000000000' }).pk).toBe('chunks#r-1#00');
    expect(chunkPartitionKey('r-1', 3)).toBe('chunks#r-1#03');
  });

  it('spreads the chunks of a run over all its shards, none with more than twice its share', () => {
    const counts = new Array<number>(CHUNK_SHARDS).fill(0);
    const chunks = 3200;
    for (let n = 0; n < chunks; n++) counts[chunkShardOf(chunkIdFor('run-spread', `listing:a:${n}:0`))]! += 1;
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(Math.max(...counts)).toBeLessThan((2 * chunks) / CHUNK_SHARDS);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(chunks);
  });

  it('refuses a chunk id that is not hex', () => {
    expect(() => chunkItemKey({ runId: 'r', chunkId: 'zz' })).toThrow(/not hex/);
  });
});
