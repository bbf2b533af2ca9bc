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
 * Slack for two S3 timestamps: a tile's LastModified against a chunk log's, both set by S3, so
 * apart only by S3's own clocks.
 */
const SLACK_MS = 5 * 60 * 1000;

/**
 * The index of the leaf whose entry is `entry`, in a tree of `size` leaves, or undefined when no
 * leaf is (docs/audit.md, "Expired event chunks"): for a chunk whose item expired, and with it the
 * `leafIndex` it carried. It reads the level-0 tiles (32-byte leaf hashes, 8 KiB per 256 leaves),
 * one in memory at a time. Unauthenticated by itself: the inclusion proof built from the index is
 * what is checked.
 *
 * `notBefore` (the chunk log's LastModified) is a time the leaf cannot predate: a chunk is appended
 * after its commit, which follows its log. Full tiles are written once (`If-None-Match: *`), when
 * their last leaf is appended, so their LastModified grows with their index: where the store says
 * when a tile was written, the first full tile written since `notBefore` is found in about
 * log2(size / 256) HEADs and the search reads forward from there, where the leaf usually is. The
 * tiles before it are read last, newest first, so a leaf is found wherever it is. Without
 * `notBefore`, or a store that keeps no times, every tile is read newest first.
 */
export async function findLeaf(
  store: TileStore,
  size: number,
  entry: Uint8Array,
  options: { notBefore?: Date; onProgress?: (progress: LeafSearchProgress) => void } = {},
): Promise<number | undefined> {
  const wanted = Buffer.from(hashLeaf(entry));
  const progress: LeafSearchProgress = { tiles: 0, leaves: 0, size };
  const tiles = Math.ceil(size / TILE_WIDTH);
  const look = async (n: number): Promise<number | undefined> => {
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
    options.onProgress?.(progress);
    return undefined;
  };
  const since = options.notBefore && (await firstTileWrittenSince(store, size, options.notBefore));
  const start = since ?? tiles;
  for (let n = start; n < tiles; n++) {
    const found = await look(n);
    if (found !== undefined) return found;
  }
  for (let n = start - 1; n >= 0; n--) {
    const found = await look(n);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The first full level-0 tile S3 wrote at or after `time` (less the slack), by binary search on
 * LastModified; the count of full tiles when none was (the leaf is then in the partial edge), or
 * undefined when the store keeps no times or a full tile's cannot be read (then no order is assumed).
 */
async function firstTileWrittenSince(
  store: TileStore,
  size: number,
  time: Date,
): Promise<number | undefined> {
  if (!store.writtenAt) return undefined;
  const threshold = time.getTime() - SLACK_MS;
  let lo = 0;
  let hi = Math.floor(size / TILE_WIDTH);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    // A HEAD refused (a reader allowed GetObject but not ListBucket gets 403 for a missing key) or
    // failed only costs the shortcut: every tile is then read, as without times.
    const written = await store.writtenAt(tilePath(0, mid, TILE_WIDTH)).catch(() => undefined);
    if (!written) return undefined;
    if (written.getTime() >= threshold) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
