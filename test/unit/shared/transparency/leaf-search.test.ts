import { describe, expect, it } from 'vitest';
import { TILE_WIDTH, tilePath } from '../../../../shared/tlog/tile-path.js';
import type { TileStore } from '../../../../shared/tlog/tile-store.js';
import { findLeaf } from '../../../../shared/transparency/leaf-search.js';
import { MemoryLog } from '../../../helpers/memory-tlog.js';

const BASE = Date.parse('2026-12-01T00:00:00.000Z');
const MINUTE = 60_000;
const FULL_TILES = 20;
const SIZE = FULL_TILES * TILE_WIDTH + 10;
const entryOf = (i: number) => new TextEncoder().encode(`leaf ${i}`);

/** A log of SIZE leaves whose full tile n S3 wrote at BASE + (n + 1) × 10 min, counting reads and HEADs. */
async function timedLog(
  writtenAt: (n: number) => Date | undefined = (n) => new Date(BASE + (n + 1) * 10 * MINUTE),
) {
  const log = new MemoryLog();
  await log.append(Array.from({ length: SIZE }, (_, i) => entryOf(i)));
  const reads: string[] = [];
  const heads: string[] = [];
  const times = new Map(
    Array.from({ length: FULL_TILES }, (_, n) => [tilePath(0, n, TILE_WIDTH), writtenAt(n)]),
  );
  const store: TileStore = {
    read: (path) => {
      reads.push(path);
      return log.store.read(path);
    },
    write: (path, bytes) => log.store.write(path, bytes),
    writtenAt: async (path) => {
      heads.push(path);
      return times.get(path);
    },
  };
  return { store, reads, heads };
}

describe('findLeaf', () => {
  it('reads from the first tile written since its log, not every tile since', async () => {
    const { store, reads, heads } = await timedLog();
    const leaf = 12 * TILE_WIDTH + 5;
    // Its log was written a minute after tile 11 filled; tile 12 filled later.
    const notBefore = new Date(BASE + 12 * 10 * MINUTE + MINUTE);
    expect(await findLeaf(store, SIZE, entryOf(leaf), { notBefore })).toBe(leaf);
    // Five minutes of slack reach back to tile 11, written at 120 min; then tile 12.
    expect(reads).toEqual([tilePath(0, 11), tilePath(0, 12)]);
    expect(heads.length).toBeLessThanOrEqual(Math.ceil(Math.log2(FULL_TILES)) + 1);
  });

  it('reads every tile newest first without a time, or with a store that keeps none', async () => {
    const { store, reads } = await timedLog();
    const leaf = 12 * TILE_WIDTH + 5;
    expect(await findLeaf(store, SIZE, entryOf(leaf))).toBe(leaf);
    expect(reads).toHaveLength(FULL_TILES + 1 - 12);
    const { writtenAt: _none, ...timeless } = store;
    expect(await findLeaf(timeless, SIZE, entryOf(leaf), { notBefore: new Date(BASE) })).toBe(leaf);
  });

  it('still finds a leaf whose tiles’ times mislead it, or that it cannot HEAD, and none that is absent', async () => {
    // Every tile claims to be older than the log: the search starts at the partial edge, then goes back.
    const early = await timedLog(() => new Date(BASE));
    const notBefore = new Date(BASE + 1000 * MINUTE);
    expect(await findLeaf(early.store, SIZE, entryOf(3), { notBefore })).toBe(3);
    expect(early.reads).toHaveLength(FULL_TILES + 1);
    const unreadable = await timedLog(() => undefined);
    expect(await findLeaf(unreadable.store, SIZE, entryOf(SIZE - 1), { notBefore })).toBe(SIZE - 1);
    expect(unreadable.reads).toEqual([tilePath(0, FULL_TILES, 10)]);
    expect(await findLeaf(early.store, SIZE, entryOf(SIZE), { notBefore })).toBeUndefined();
  });
});
