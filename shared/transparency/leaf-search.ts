import { HASH_SIZE, hashLeaf } from '../tlog/merkle-hash.js';
import { TILE_WIDTH, tilePath, tileWidth } from '../tlog/tile-path.js';
import type { TileStore } from '../tlog/tile-store.js';

/** How far a search has gone: tiles read and leaves looked at, of the tree's size. */
export interface LeafSearchProgress {
  tiles: number;
  leaves: number;
  size: number;
}

/**
 * The index of the leaf whose entry is `entry`, in a tree of `size` leaves, or undefined when no
 * leaf is (docs/audit.md, "Expired event chunks"): for a chunk whose item expired, and with it the
 * `leafIndex` it carried. It reads the level-0 tiles (32-byte leaf hashes, 8 KiB per 256 leaves,
 * about a fifth of the entry bundles' bytes) newest first, as an expired chunk is usually a day or
 * a few old: the cost is one GET per 256 leaves appended since its leaf, one tile in memory at a
 * time. Unauthenticated by itself: the inclusion proof built from the index is what is checked.
 */
export async function findLeafNewestFirst(
  store: TileStore,
  size: number,
  entry: Uint8Array,
  onProgress?: (progress: LeafSearchProgress) => void,
): Promise<number | undefined> {
  const wanted = Buffer.from(hashLeaf(entry));
  const progress: LeafSearchProgress = { tiles: 0, leaves: 0, size };
  for (let n = Math.ceil(size / TILE_WIDTH) - 1; n >= 0; n--) {
    const width = tileWidth(size, 0, n);
    const tile = await store.read(tilePath(0, n, width));
    progress.tiles += 1;
    progress.leaves += width;
    // A missing or short tile is skipped: the proof of any leaf found elsewhere still checks all.
    if (tile && tile.length === width * HASH_SIZE) {
      const hashes = Buffer.from(tile.buffer, tile.byteOffset, tile.byteLength);
      for (let i = width - 1; i >= 0; i--)
        if (hashes.compare(wanted, 0, HASH_SIZE, i * HASH_SIZE, (i + 1) * HASH_SIZE) === 0)
          return n * TILE_WIDTH + i;
    }
    onProgress?.(progress);
  }
  return undefined;
}
